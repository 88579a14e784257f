"""Contract services: create by hand (money per line, half up, then sums) and from a quote; the status
machine draft → in review → approved → signed → active → expired / terminated, every illegal move a
409 naming the status; the lock while in review; amendments keep versions (approved: back to the
status it had; rejected: undone); the daily job (activation, expiry, one renewal reminder)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as t

from tests.support.clock import midday
from tests.support.crm import owned
from tests.support.factories import pdf_bytes, png_bytes, upload
from tests.support.money import contract, order, quote
from tests.support.pipeline import ProductFactory
from xietong.collaboration.models import Notification
from xietong.contracts import services
from xietong.contracts.choices import ContractStatus as S
from xietong.contracts.models import Contract, ContractVersion
from xietong.core.errors import Conflict, NotFound
from xietong.core.models import AuditEntry
from xietong.quotes.choices import QuoteStatus

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _on_one_day():
    """The whole module reads ``TODAY``: a run across midnight must not move it."""
    with midday(TODAY):
        yield


def new(user, customer=None, *, lines=None, **fields):
    """A draft by hand: one product, 3 × 33.33 with 0.01 off at 13 % unless told otherwise."""
    customer = customer or owned(owner=user).customer
    product = ProductFactory()
    values = {"start_date": TODAY, "end_date": TODAY + timedelta(days=365), **fields}
    return services.contract_create(
        actor=user,
        customer=customer,
        title="数控机床采购合同",
        lines=lines
        if lines is not None
        else [
            {"product": product.pk, "quantity": "3", "unit_price": "33.33", "discount_amount": "0.01", "tax_rate": "13"}
        ],
        **values,
    )


def signed_scan():
    return upload("签字版.pdf", pdf_bytes(), "application/pdf")


def conflict_message(status_label, action):
    return t("The contract is “%(status)s”: it cannot be %(action)s.") % {"status": status_label, "action": t(action)}


# --- create ----------------------------------------------------------------------------------------------


def test_a_contract_by_hand_rounds_each_line_half_up_then_sums(people):
    customer = owned(owner=people.rep).customer
    p1, p2 = ProductFactory(), ProductFactory()
    c = services.contract_create(
        actor=people.rep,
        customer=customer,
        title="合同",
        lines=[
            # 3 × 33.33 − 0.01 = 99.98; VAT 13 % = 12.9974 → 13.00
            {"product": p1.pk, "quantity": "3", "unit_price": "33.33", "discount_amount": "0.01", "tax_rate": "13"},
            # 1.5 × 10.05 = 15.075 → 15.08 (half up); VAT 6 % = 0.9048 → 0.90
            {"product": p2.pk, "quantity": "1.5", "unit_price": "10.05", "tax_rate": "6"},
        ],
    )
    lines = list(c.lines.order_by("position"))
    assert [(x.net_amount, x.tax_amount, x.amount) for x in lines] == [
        (Decimal("99.98"), Decimal("13.00"), Decimal("112.98")),
        (Decimal("15.08"), Decimal("0.90"), Decimal("15.98")),
    ]
    assert (c.net_amount, c.tax_amount, c.amount) == (Decimal("115.06"), Decimal("13.90"), Decimal("128.96"))
    assert (c.status, c.party_a, c.party_b, c.owner, c.version) == (
        S.DRAFT,
        customer.name,
        "协同测试集团有限公司",
        people.rep,
        1,
    )
    assert c.number == f"HT-IND-{TODAY.year}-0001"
    assert AuditEntry.objects.for_object(c).filter(kind="create").count() == 1


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ({"quantity": "0"}, "lines[1].quantity", "The quantity must be more than 0."),
        ({"unit_price": "-1"}, "lines[1].unit_price", "The amount cannot be negative."),
        ({"unit_price": "1.001"}, "lines[1].unit_price", "Money has at most two decimal places."),
        (
            {"discount_amount": "500"},
            "lines[1].discount_amount",
            "The discount is more than the line is worth before it.",
        ),
        ({"tax_rate": "17"}, "lines[1].tax_rate", "Choose a VAT rate: 13, 9, 6 or 0."),
        ({"product": 999999}, "lines[1].product", "No such product."),
        # a line worth more than the columns hold was saved, and the contract could not be read back
        ({"quantity": "99999999999", "unit_price": "999999999999"}, "lines[1].quantity", "The amount is too large."),
        ({"quantity": "100000000000"}, "lines[1].quantity", "The quantity is too large."),
        # too long: refused, not cut
        ({"description": "说" * 301}, "lines[1].description", ("At most %(n)d characters.", {"n": 300})),
        ({"unit": "套" * 11}, "lines[1].unit", ("At most %(n)d characters.", {"n": 10})),
    ],
)
def test_a_bad_line_is_refused_naming_the_line_and_nothing_is_written(people, line, field, message):
    product = ProductFactory()
    row = {"product": product.pk, "quantity": "2", "unit_price": "100.00", "tax_rate": "13", **line}
    with pytest.raises(ValidationError) as exc:
        new(people.rep, lines=[row])
    text = t(message[0]) % message[1] if isinstance(message, tuple) else t(message)
    assert exc.value.message_dict == {field: [text]}
    assert Contract.objects.count() == 0


def test_the_end_cannot_be_before_the_start(people):
    with pytest.raises(ValidationError) as exc:
        new(people.rep, start_date=TODAY, end_date=TODAY - timedelta(days=1))
    assert exc.value.message_dict == {"end_date": [t("The end cannot be before the start.")]}


def test_a_customer_outside_the_scope_is_no_such_customer(people):
    foreign = owned(owner=people.outsider).customer
    with pytest.raises(ValidationError) as exc:
        new(people.rep, customer=foreign)
    assert exc.value.message_dict == {"customer": [t("No such customer.")]}


def test_from_an_accepted_quote_the_lines_amounts_customer_and_opportunity_are_copied(people):
    q = quote(people.rep, lines=[(None, "2", "50000.00"), (None, "1", "12345.67")], status=QuoteStatus.ACCEPTED)
    c = services.contract_create_from_quote(
        actor=people.rep, quote=q, start_date=TODAY, end_date=TODAY + timedelta(days=30)
    )
    assert (c.customer_id, c.opportunity_id, c.quote_id, c.business_unit_id) == (
        q.customer_id,
        q.opportunity_id,
        q.pk,
        q.business_unit_id,
    )
    assert (c.amount, c.net_amount, c.tax_amount) == (q.total, q.net_total, q.tax_total)
    assert [(x.product_id, x.quantity, x.amount) for x in c.lines.order_by("position")] == [
        (x.product_id, x.quantity, x.amount) for x in q.lines.order_by("position")
    ]
    assert c.title == q.title


def test_a_draft_quote_cannot_become_a_contract(people):
    q = quote(people.rep, status=QuoteStatus.DRAFT)
    with pytest.raises(Conflict) as exc:
        services.contract_create_from_quote(actor=people.rep, quote=q)
    assert str(exc.value) == t("The quote is “%(status)s”: a contract is made from an accepted quote.") % {
        "status": QuoteStatus.DRAFT.label
    }


def test_a_quote_outside_the_scope_is_no_such_quote(people):
    q = quote(people.outsider, status=QuoteStatus.ACCEPTED)
    with pytest.raises(ValidationError) as exc:
        services.contract_create_from_quote(actor=people.rep, quote=q)
    assert exc.value.message_dict == {"quote": [t("No such quote.")]}


# --- the status machine ------------------------------------------------------------------------------------


def test_the_whole_life_draft_review_approved_signed_active_terminated(people, engine):
    c = new(people.rep)
    assert services.contract_submit(actor=people.rep, contract=c) == "request"
    c.refresh_from_db()
    assert c.status == S.IN_REVIEW
    engine.approve(c)
    assert c.status == S.APPROVED
    services.contract_sign(actor=people.rep, contract=c, signed_date=TODAY, scan=signed_scan())
    c.refresh_from_db()
    assert (c.status, c.signed_date) == (S.ACTIVE, TODAY)  # the start is today
    assert c.signed_scan.name.endswith(f"{c.number}.pdf")
    services.contract_terminate(actor=people.rep, contract=c, reason="客户破产")
    c.refresh_from_db()
    assert (c.status, c.terminated_reason) == (S.TERMINATED, "客户破产")
    verbs = list(AuditEntry.objects.for_object(c).order_by("pk").values_list("verb", flat=True))
    assert verbs == [
        "",
        "contract_submitted",
        "contract_in_review",
        "contract_approved",
        "contract_signed",
        "contract_terminated",
    ]


def test_without_an_approval_flow_the_contract_is_approved_at_once(people):
    c = new(people.rep)
    assert services.contract_submit(actor=people.rep, contract=c) is None
    c.refresh_from_db()
    assert c.status == S.APPROVED


def test_a_rejected_review_goes_back_to_draft(people, engine):
    c = new(people.rep)
    services.contract_submit(actor=people.rep, contract=c)
    engine.reject(c)
    assert c.status == S.DRAFT


def test_a_contract_starting_later_is_signed_not_active(people, engine):
    c = new(people.rep, start_date=TODAY + timedelta(days=10), end_date=TODAY + timedelta(days=40))
    services.contract_submit(actor=people.rep, contract=c)
    engine.approve(c)
    services.contract_sign(
        actor=people.rep, contract=c, signed_date=TODAY, scan=upload("scan.png", png_bytes(), "image/png")
    )
    c.refresh_from_db()
    assert c.status == S.SIGNED


@pytest.mark.parametrize(
    ("status", "call", "action"),
    [
        (S.DRAFT, "sign", "signed"),
        (S.APPROVED, "submit", "submitted for review"),
        (S.SIGNED, "submit", "submitted for review"),
        (S.DRAFT, "terminate", "terminated"),
        (S.EXPIRED, "terminate", "terminated"),
        (S.TERMINATED, "amend", "amended"),
        (S.SIGNED, "update", "edited (amend it instead)"),
    ],
)
def test_an_illegal_transition_is_a_conflict_naming_the_current_status(people, status, call, action):
    c = contract(people.rep, status=status)
    calls = {
        "sign": lambda: services.contract_sign(actor=people.rep, contract=c, signed_date=TODAY, scan=signed_scan()),
        "submit": lambda: services.contract_submit(actor=people.rep, contract=c),
        "terminate": lambda: services.contract_terminate(actor=people.rep, contract=c, reason="x"),
        "amend": lambda: services.contract_amend(actor=people.rep, contract=c, reason="x", title="新"),
        "update": lambda: services.contract_update(actor=people.rep, contract=c, title="新"),
    }
    with pytest.raises(Conflict) as exc:
        calls[call]()
    assert str(exc.value) == conflict_message(S(status).label, action)
    assert exc.value.field == "status"
    assert Contract.objects.get(pk=c.pk).status == status


@pytest.mark.parametrize("call", ["update", "submit", "sign", "terminate", "amend"])
def test_a_contract_in_review_is_locked_on_every_write(people, call):
    c = contract(people.rep, status=S.IN_REVIEW)
    calls = {
        "update": lambda: services.contract_update(actor=people.rep, contract=c, title="新"),
        "submit": lambda: services.contract_submit(actor=people.rep, contract=c),
        "sign": lambda: services.contract_sign(actor=people.rep, contract=c, signed_date=TODAY, scan=signed_scan()),
        "terminate": lambda: services.contract_terminate(actor=people.rep, contract=c, reason="x"),
        "amend": lambda: services.contract_amend(actor=people.rep, contract=c, reason="x", title="新"),
    }
    with pytest.raises(Conflict) as exc:
        calls[call]()
    assert str(exc.value) == t("The contract is in review and locked: it cannot be changed now.")
    assert Contract.objects.get(pk=c.pk).title == c.title


def test_signing_needs_a_pdf_or_image_scan_and_a_date_not_in_the_future(people):
    c = contract(people.rep, status=S.APPROVED)
    with pytest.raises(ValidationError) as exc:
        services.contract_sign(actor=people.rep, contract=c, signed_date=TODAY, scan=None)
    assert exc.value.message_dict == {"scan": [t("Attach the signed contract (PDF or image).")]}
    with pytest.raises(ValidationError) as exc:
        services.contract_sign(actor=people.rep, contract=c, signed_date=TODAY + timedelta(days=1), scan=signed_scan())
    assert exc.value.message_dict == {"signed_date": [t("The signing date cannot be in the future.")]}
    with pytest.raises(ValidationError) as exc:
        services.contract_sign(actor=people.rep, contract=c, signed_date=TODAY, scan=upload("x.pdf", b"not a pdf"))
    assert list(exc.value.message_dict) == ["scan"]
    assert Contract.objects.get(pk=c.pk).status == S.APPROVED


def test_terminating_needs_a_reason(people):
    c = contract(people.rep, status=S.ACTIVE)
    with pytest.raises(ValidationError) as exc:
        services.contract_terminate(actor=people.rep, contract=c, reason="  ")
    assert exc.value.message_dict == {"reason": [t("Say why the contract is terminated.")]}


def test_editing_an_approved_contract_sends_it_back_to_draft(people):
    c = contract(people.rep, status=S.APPROVED)
    services.contract_update(actor=people.rep, contract=c, payment_terms="30% 预付")
    c.refresh_from_db()
    assert (c.status, c.payment_terms) == (S.DRAFT, "30% 预付")


def test_someone_elses_contract_outside_the_scope_is_not_found(people):
    c = contract(people.outsider, status=S.DRAFT)
    with pytest.raises(NotFound):
        services.contract_update(actor=people.rep, contract=c, title="新")


def test_a_viewer_without_edit_is_refused(people):
    c = contract(people.rep, status=S.DRAFT)
    with pytest.raises(PermissionDenied):
        services.contract_update(actor=people.ops, contract=c, title="新")


# --- amendments ----------------------------------------------------------------------------------------------


def test_an_amendment_keeps_the_version_it_replaces_and_goes_through_review(people, engine):
    c = contract(people.rep, status=S.ACTIVE)
    old_amount, old_lines = c.amount, list(c.lines.values_list("product_id", "quantity", "amount"))
    product = ProductFactory()
    services.contract_amend(
        actor=people.rep,
        contract=c,
        reason="增加一台",
        lines=[{"product": product.pk, "quantity": "1", "unit_price": "1000.00", "tax_rate": "13"}],
        payment_terms="货到付款",
    )
    c.refresh_from_db()
    assert (c.status, c.version, c.amended_from_status, c.amount) == (S.IN_REVIEW, 2, S.ACTIVE, Decimal("1130.00"))
    (v1,) = ContractVersion.objects.filter(contract=c)
    assert (v1.version, v1.reason, v1.created_by) == (1, "增加一台", people.rep)
    assert v1.snapshot["fields"]["amount"] == str(old_amount)
    assert [(x["product_id"], Decimal(x["quantity"]), Decimal(x["amount"])) for x in v1.snapshot["lines"]] == old_lines
    engine.approve(c)
    assert (c.status, c.version, c.amended_from_status, c.payment_terms) == (S.ACTIVE, 2, "", "货到付款")
    assert ContractVersion.objects.filter(contract=c).count() == 1


def test_a_rejected_amendment_is_undone(people, engine):
    c = contract(people.rep, status=S.SIGNED, payment_terms="预付30%")
    before = services.snapshot_of(c)
    services.contract_amend(actor=people.rep, contract=c, reason="改付款", payment_terms="全额后付")
    engine.reject(c)
    assert (c.status, c.version, c.amended_from_status) == (S.SIGNED, 1, "")
    assert services.snapshot_of(c) == before
    assert ContractVersion.objects.filter(contract=c).count() == 0
    assert AuditEntry.objects.for_object(c).filter(verb="amendment_rejected").count() == 1


def test_two_amendments_keep_two_versions(people, engine):
    c = contract(people.rep, status=S.ACTIVE)
    services.contract_amend(actor=people.rep, contract=c, reason="一", terms="条款一")
    engine.approve(c)
    services.contract_amend(actor=people.rep, contract=c, reason="二", terms="条款二")
    engine.approve(c)
    assert c.version == 3
    assert list(ContractVersion.objects.filter(contract=c).values_list("version", "snapshot__fields__terms")) == [
        (2, "条款一"),
        (1, ""),
    ]


def test_an_amendment_needs_a_reason_and_a_change(people):
    c = contract(people.rep, status=S.ACTIVE)
    with pytest.raises(ValidationError) as exc:
        services.contract_amend(actor=people.rep, contract=c, reason="", terms="x")
    assert exc.value.message_dict == {"reason": [t("Say why the contract changes.")]}
    with pytest.raises(ValidationError) as exc:
        services.contract_amend(actor=people.rep, contract=c, reason="无")
    assert exc.value.message_dict == {"__all__": [t("The amendment changes nothing.")]}
    assert ContractVersion.objects.count() == 0


# --- the daily job --------------------------------------------------------------------------------------------


def test_the_daily_job_activates_expires_and_reminds_once(people):
    starting = contract(people.rep, status=S.SIGNED, start_date=TODAY, end_date=TODAY + timedelta(days=300))
    later = contract(
        people.rep, status=S.SIGNED, start_date=TODAY + timedelta(days=1), end_date=TODAY + timedelta(days=300)
    )
    ended = contract(
        people.rep, status=S.ACTIVE, start_date=TODAY - timedelta(days=30), end_date=TODAY - timedelta(days=1)
    )
    ending = contract(
        people.rep2, status=S.ACTIVE, start_date=TODAY - timedelta(days=300), end_date=TODAY + timedelta(days=30)
    )
    not_yet = contract(
        people.rep, status=S.ACTIVE, start_date=TODAY - timedelta(days=30), end_date=TODAY + timedelta(days=31)
    )
    assert services.contracts_daily(today=TODAY) == {"activated": 1, "expired": 1, "reminded": 1}
    statuses = dict(Contract.objects.values_list("pk", "status"))
    assert [statuses[c.pk] for c in (starting, later, ended, ending, not_yet)] == [
        S.ACTIVE,
        S.SIGNED,
        S.EXPIRED,
        S.ACTIVE,
        S.ACTIVE,
    ]
    (note,) = Notification.objects.filter(kind="contract_renewal")
    assert (note.recipient_id, note.object_id, note.params["days"]) == (people.rep2.pk, str(ending.pk), 30)
    assert services.contracts_daily(today=TODAY) == {"activated": 0, "expired": 0, "reminded": 0}
    assert Notification.objects.filter(kind="contract_renewal").count() == 1


def test_an_amended_end_date_is_reminded_again(people, engine):
    c = contract(
        people.rep, status=S.ACTIVE, start_date=TODAY - timedelta(days=300), end_date=TODAY + timedelta(days=10)
    )
    services.contracts_daily(today=TODAY)
    services.contract_amend(actor=people.rep, contract=c, reason="延期", end_date=TODAY + timedelta(days=20))
    engine.approve(c)
    assert c.renewal_reminded_at is None
    assert services.contracts_daily(today=TODAY)["reminded"] == 1
    assert Notification.objects.filter(kind="contract_renewal", recipient=people.rep).count() == 2


def _as_sent(c, **changes):
    """The contract's lines as an editor sends them back (each with its id), ``changes`` by position."""
    rows = [
        {
            "id": line.pk,
            "product": line.product_id,
            "quantity": str(line.quantity),
            "unit_price": str(line.unit_price),
            "discount_amount": str(line.discount_amount),
            "tax_rate": str(line.tax_rate),
        }
        for line in c.lines.order_by("position", "pk")
    ]
    for position, values in changes.items():
        rows[int(position.removeprefix("line")) - 1].update(values)
    return rows


def test_an_amendment_changes_ordered_lines_in_place_so_their_orders_stay_attached(people, engine):
    c = contract(people.rep, status=S.ACTIVE)
    o = order(c)
    (line,) = c.lines.all()
    product = ProductFactory()
    extra = {"product": product.pk, "quantity": "1", "unit_price": "1000.00", "tax_rate": "13"}
    lines = [*_as_sent(c, line1={"quantity": str(line.quantity + 1)}), extra]
    services.contract_amend(actor=people.rep, contract=c, reason="加量并增加一台", lines=lines)
    engine.approve(c)
    kept, added = c.lines.order_by("position")
    assert (kept.pk, kept.quantity, added.product_id) == (line.pk, line.quantity + 1, product.pk)
    assert list(o.lines.values_list("contract_line_id", flat=True)) == [line.pk]
    assert c.amount == kept.amount + added.amount


def test_a_rejected_amendment_of_a_contract_with_orders_is_undone_in_place(people, engine):
    c = contract(people.rep, status=S.ACTIVE)
    o = order(c)
    before = services.snapshot_of(c)
    product = ProductFactory()
    extra = {"product": product.pk, "quantity": "1", "unit_price": "1000.00", "tax_rate": "13"}
    services.contract_amend(actor=people.rep, contract=c, reason="增加一台", lines=[*_as_sent(c), extra])
    engine.reject(c)
    assert (c.status, c.version) == (S.ACTIVE, 1)
    assert services.snapshot_of(c) == before  # the same lines under the same ids
    assert list(o.lines.values_list("contract_line_id", flat=True)) == [before["lines"][0]["id"]]


def test_a_line_removed_by_a_rejected_amendment_comes_back_under_its_id(people, engine):
    c = new(people.rep)
    extra = {"product": ProductFactory().pk, "quantity": "2", "unit_price": "10.00", "tax_rate": "13"}
    services.contract_update(actor=people.rep, contract=c, lines=[*_as_sent(c), extra])
    Contract.objects.filter(pk=c.pk).update(status=S.SIGNED)
    c.refresh_from_db()
    before = services.snapshot_of(c)
    services.contract_amend(actor=people.rep, contract=c, reason="去掉第二项", lines=_as_sent(c)[:1])
    assert c.lines.count() == 1
    engine.reject(c)
    assert services.snapshot_of(c) == before


def test_a_snapshot_from_before_line_ids_is_restored_by_position_and_product(people, engine):
    c = contract(people.rep, status=S.ACTIVE)
    order(c)
    (line,) = c.lines.all()
    services.contract_amend(actor=people.rep, contract=c, reason="改付款", payment_terms="全额后付")
    version = ContractVersion.objects.get(contract=c)
    for old in version.snapshot["lines"]:
        del old["id"]
    version.save()
    engine.reject(c)
    assert list(c.lines.values_list("pk", flat=True)) == [line.pk]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({}, "lines", "%(product)s (line %(position)s) has been ordered: it cannot be removed."),
        (
            {"line1": {"quantity": "1"}},
            "lines[1].quantity",
            "%(quantity)s of this line have been ordered: it cannot be less.",
        ),
        (
            {"line1": {"product": "other"}},
            "lines[1].product",
            "This line has been ordered: its product cannot change. Add a line instead.",
        ),
        (
            {"line1": {"unit_price": "0.01"}},
            "lines[1].unit_price",
            "¥%(amount)s of this line has been ordered: its amount with VAT cannot be less.",
        ),
        ({"line1": {"id": "elsewhere"}}, "lines[1].id", "No such line on this contract."),
    ],
    ids=["removed", "below-ordered", "product-changed", "price-below-ordered", "another-contracts-line"],
)
def test_what_orders_point_at_is_kept_and_the_refusal_names_the_line(people, engine, change, field, message):
    c = contract(people.rep, status=S.ACTIVE)
    order(c)
    (line,) = c.lines.all()
    line.quantity = Decimal("2")
    line.save()
    other = ProductFactory()
    if change:
        values = change["line1"]
        if values.get("product") == "other":
            values["product"] = other.pk
        if values.get("id") == "elsewhere":
            values["id"] = contract(people.rep, status=S.DRAFT).lines.get().pk
        lines = _as_sent(c, **change)
    else:
        lines = [{"product": other.pk, "quantity": "1", "unit_price": "5.00", "tax_rate": "13"}]
    with pytest.raises(ValidationError) as refused:
        services.contract_amend(actor=people.rep, contract=c, reason="调整", lines=lines)
    params = {"product": line.product.name, "position": 1, "quantity": "2", "amount": f"{line.amount:,.2f}"}
    assert refused.value.message_dict == {field: [t(message) % params if "%(" in message else t(message)]}
    c.refresh_from_db()
    assert (c.status, c.version, c.lines.get().pk) == (S.ACTIVE, 1, line.pk)


def test_a_fully_ordered_line_keeps_its_amount_unless_its_quantity_changes(people, engine):
    """Raising the price of a line whose every unit is ordered left money no order could ever take."""
    c = contract(people.rep, status=S.ACTIVE)
    order(c)  # the whole contract
    (line,) = c.lines.all()
    lines = _as_sent(c, line1={"unit_price": str(line.unit_price * 2)})
    with pytest.raises(ValidationError) as refused:
        services.contract_amend(actor=people.rep, contract=c, reason="涨价", lines=lines)
    assert list(refused.value.message_dict) == ["lines[1].unit_price"]
    assert f"¥{line.amount:,.2f}" in refused.value.message_dict["lines[1].unit_price"][0]
    more = _as_sent(c, line1={"quantity": str(line.quantity + 1), "unit_price": str(line.unit_price * 2)})
    services.contract_amend(actor=people.rep, contract=c, reason="加量并涨价", lines=more)  # more units: allowed


# --- the approval engine's view of a contract ------------------------------------------------------------


def test_the_contract_document_type_gives_the_condition_values(people):
    from xietong.approvals import registry
    from xietong.customers.models import Relationship

    c = contract(people.rep, status=S.DRAFT)
    Relationship.objects.update_or_create(
        customer=c.customer, business_unit=c.business_unit, defaults={"level": "A", "owner": people.rep}
    )
    c.payment_terms = "预付30%"
    kind = registry.get("contract")
    values = {f.name: f.value(c) for f in kind.fields}
    assert values == {
        "amount": c.amount,
        "business_unit": c.business_unit_id,
        "customer_level": "A",
        "product_line": "数控机床",
        "payment_terms": "预付30%",
    }
    assert (kind.owner_id(c), kind.business_unit_id(c), kind.url(c)) == (
        people.rep.pk,
        c.business_unit_id,
        f"/contracts/{c.pk}/",
    )
    assert kind.extra["is_locked"](c) is False


def test_an_amendment_cannot_bring_the_contract_below_what_is_invoiced(people, engine):
    from tests.support.money import payment_plan
    from xietong.receivables import services as receivables

    c = contract(people.rep, status=S.SIGNED)
    payment_plan(c)
    receivables.invoice_request(actor=people.rep, contract=c, amount=Decimal("1000.00"), kind="ordinary")
    cheaper = _as_sent(c, line1={"unit_price": "100.00", "quantity": "1"})  # 113.00 with VAT
    with pytest.raises(ValidationError) as refused:
        services.contract_amend(actor=people.rep, contract=c, reason="降价", lines=cheaper)
    message = t("¥%(invoiced)s has been invoiced on this contract: its amount with VAT (¥%(amount)s) cannot be less.")
    assert refused.value.message_dict == {"lines": [message % {"invoiced": "1,000.00", "amount": "113.00"}]}
    c.refresh_from_db()
    assert (c.status, c.version, ContractVersion.objects.filter(contract=c).count()) == (S.SIGNED, 1, 0)
    services.contract_amend(
        actor=people.rep, contract=c, reason="降价", lines=_as_sent(c, line1={"unit_price": "1000.00", "quantity": "1"})
    )
    c.refresh_from_db()
    assert (c.status, c.amount) == (S.IN_REVIEW, Decimal("1130.00"))


def test_lines_that_each_fit_but_whose_total_does_not_are_refused_at_the_line_that_tips_it(people):
    row = {"product": ProductFactory().pk, "quantity": "9", "unit_price": "999999999999.99", "tax_rate": "0"}
    with pytest.raises(ValidationError) as exc:
        new(people.rep, lines=[row, row])
    assert exc.value.message_dict == {"lines[2].quantity": [t("Line %(n)s: the total would be too large.") % {"n": 2}]}
    assert Contract.objects.count() == 0
