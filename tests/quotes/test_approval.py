"""Quotes with the approval engine: a discount above the threshold goes into approval (locked on every
path) and the manager's decision approves it or returns it; the condition fields read the quote."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import login
from xietong.approvals import registry
from xietong.approvals import services as approvals
from xietong.approvals.models import ApprovalFlow, ApprovalRequest, ApprovalStep
from xietong.core.errors import Conflict
from xietong.customers.models import Relationship
from xietong.quotes import services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def discount_flow(people) -> ApprovalFlow:
    flow = ApprovalFlow.objects.create(
        document_type="quote",
        name="折扣超过10%",
        business_unit=people.org["bu1"],
        conditions=[{"field": "max_discount", "op": ">", "value": "10"}],
    )
    ApprovalStep.objects.create(flow=flow, position=1, name="经理审批", kind="user", user=people.manager)
    return flow


def _discounted(people, opp, products, percent: str):
    q = services.quote_create(actor=people.rep, opportunity=opp, lines=[])
    return services.quote_update(
        actor=people.rep,
        quote=q,
        lines=[{"product": products.lathe.pk, "quantity": "1", "discount_value": percent}],
    )


def test_a_discount_above_the_threshold_goes_into_approval_and_locks(people, opp, products, discount_flow) -> None:
    q = services.quote_submit(actor=people.rep, quote=_discounted(people, opp, products, "15"))
    assert q.status == "in_approval"
    from django.utils.translation import gettext, override

    from xietong.core.models import AuditEntry

    entry = AuditEntry.objects.get(verb="quote_in_approval", object_id=str(q.pk))
    with override("zh-hans"):  # the history shows labels, never the stored codes
        assert entry.changes == {"status": [gettext("Draft"), gettext("In approval")]}
    with pytest.raises(Conflict):
        services.quote_update(actor=people.rep, quote=q, title="改")
    response = login(people.rep).patch(
        f"/api/v1/quotes/{q.pk}", data='{"title": "改"}', content_type="application/json"
    )
    assert response.status_code == 409
    request = ApprovalRequest.objects.get(object_id=str(q.pk))
    approvals.approval_approve(request=request, actor=people.manager)
    q.refresh_from_db()
    assert q.status == "approved"


def test_a_rejected_quote_is_a_draft_again(people, opp, products, discount_flow) -> None:
    q = services.quote_submit(actor=people.rep, quote=_discounted(people, opp, products, "20"))
    approvals.approval_reject(
        request=ApprovalRequest.objects.get(object_id=str(q.pk)), actor=people.manager, comment="太低"
    )
    q.refresh_from_db()
    assert q.status == "draft"
    assert services.quote_update(actor=people.rep, quote=q, title="改").title == "改"


def test_a_small_discount_needs_no_approval(people, opp, products, discount_flow) -> None:
    q = services.quote_submit(actor=people.rep, quote=_discounted(people, opp, products, "10"))
    assert q.status == "approved"
    assert not ApprovalRequest.objects.filter(object_id=str(q.pk)).exists()


def test_the_condition_fields_read_the_quote(people, opp, products) -> None:
    Relationship.objects.filter(customer=opp.customer, business_unit=people.org["bu1"]).update(level="A")
    Relationship.objects.get_or_create(
        customer=opp.customer, business_unit=people.org["bu1"], defaults={"owner": people.rep, "level": "A"}
    )
    q = services.quote_create(actor=people.rep, opportunity=opp)
    fields = {f.name: f.value(q) for f in registry.get("quote").fields}
    assert fields == {
        "total": Decimal("254250.00"),
        "max_discount": Decimal("0.00"),
        "business_unit": people.org["bu1"].pk,
        "product_line": "数控机床、通用机床",
        "customer_level": "A",
    }


def test_a_unit_price_typed_below_the_book_price_needs_the_discount_approval(
    people, opp, products, book, discount_flow
) -> None:
    """The book asks ¥95,000 for the lathe; a rep who types ¥80,000 and no discount gives 15.79 %: the
    flow for discounts above 10 % holds, as it would for a 15.79 % discount typed as a discount."""
    q = services.quote_create(actor=people.rep, opportunity=opp, lines=[])
    q = services.quote_update(
        actor=people.rep, quote=q, lines=[{"product": products.lathe.pk, "quantity": "1", "unit_price": "80000"}]
    )
    line = q.lines.get()
    assert (line.book_price, line.unit_price, line.discount_percent, q.max_discount) == (
        Decimal("95000.00"),
        Decimal("80000.00"),
        Decimal("0.00"),
        Decimal("15.79"),
    )
    # the recalculation measures against the same stored book price
    assert services.quote_recalculate(actor=people.rep, quote=q.pk).max_discount == Decimal("15.79")
    assert services.quote_submit(actor=people.rep, quote=q).status == "in_approval"
    request = ApprovalRequest.objects.get(object_id=str(q.pk))
    facts = dict(registry.get("quote").summary(q))
    assert facts[products.lathe.name] == "1 × ¥80,000.00 − 15.79%"
    assert request.steps[0]["name"] == "经理审批"
    body = login(people.rep).get(f"/api/v1/quotes/{q.pk}").json()
    assert (body["lines"][0]["book_price"], body["max_discount"]) == ("95000.00", "15.79")


def test_a_price_typed_above_the_book_price_or_at_it_needs_no_approval(
    people, opp, products, book, discount_flow
) -> None:
    q = services.quote_create(actor=people.rep, opportunity=opp, lines=[])
    q = services.quote_update(
        actor=people.rep,
        quote=q,
        lines=[
            {"product": products.lathe.pk, "quantity": "1", "unit_price": "99000"},
            {"product": products.drill.pk, "quantity": "10"},  # the book's tier price, ¥2,200
        ],
    )
    assert [line.book_price for line in q.lines.order_by("position")] == [Decimal("95000.00"), Decimal("2200.00")]
    assert q.max_discount == Decimal("0.00")
    assert services.quote_submit(actor=people.rep, quote=q).status == "approved"
