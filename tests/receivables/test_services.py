"""Payment plans, payments, allocations, refunds, invoices and credit limits through the services."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from tests.support import money
from tests.support.i18n import zh
from xietong.core.errors import Conflict, NotFound
from xietong.core.models import AuditEntry
from xietong.receivables import selectors, services
from xietong.receivables.choices import InvoiceStatus, PlanStatus
from xietong.receivables.models import CustomerCredit, Installment, Invoice, Payment, PaymentPlan

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = date(2026, 11, 29)


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def three_installments(contract: Any) -> list[dict[str, Any]]:
    return [
        {"name": "预付款", "due_date": days(-40), "amount": "33900.00"},
        {"name": "到货款", "due_date": days(-5), "amount": "56500.00"},
        {"name": "质保金", "due_date": days(60), "amount": "22600.00"},
    ]


def field_errors(exc: Any) -> dict[str, list[str]]:
    return exc.value.message_dict


# --- payment plans --------------------------------------------------------------------------------------


def test_a_plan_that_adds_up_to_the_contract_amount_is_saved_as_a_draft(people, contract):
    plan = services.plan_save(actor=people.rep, contract=contract, installments=three_installments(contract))
    assert plan.status == PlanStatus.DRAFT
    assert [(i.position, i.name, i.amount) for i in plan.installments.order_by("position")] == [
        (1, "预付款", D("33900.00")),
        (2, "到货款", D("56500.00")),
        (3, "质保金", D("22600.00")),
    ]
    assert [e.verb for e in AuditEntry.objects.for_object(plan).order_by("pk")] == ["", "plan_changed"]


def test_a_plan_that_does_not_add_up_is_refused_naming_the_sum_the_amount_and_the_gap(people, contract):
    rows = three_installments(contract)
    rows[2]["amount"] = "20000.00"
    with pytest.raises(ValidationError) as exc:
        services.plan_save(actor=people.rep, contract=contract, installments=rows)
    (message,) = field_errors(exc)["installments"]
    assert "¥110,400.00" in message and "¥113,000.00" in message and "¥-2,600.00" in message
    assert not PaymentPlan.objects.exists()


def test_a_recorded_difference_with_its_reason_lets_the_plan_differ(people, contract):
    rows = three_installments(contract)
    rows[2]["amount"] = "20000.00"
    with pytest.raises(ValidationError) as exc:
        services.plan_save(actor=people.rep, contract=contract, installments=rows, difference="-2600.00")
    assert list(field_errors(exc)) == ["difference_reason"]
    plan = services.plan_save(
        actor=people.rep, contract=contract, installments=rows, difference="-2600.00", difference_reason="结算折让"
    )
    assert (plan.difference, plan.difference_reason) == (D("-2600.00"), "结算折让")


def test_a_plan_holds_at_most_120_installments(people, contract):
    def rows(n: int) -> list[dict[str, Any]]:
        each = (D("113000.00") / n).quantize(D("0.01"))
        amounts = [each] * (n - 1) + [D("113000.00") - each * (n - 1)]
        return [{"name": f"第{i + 1}期", "due_date": days(30 * i), "amount": str(a)} for i, a in enumerate(amounts)]

    with pytest.raises(ValidationError) as exc:
        services.plan_save(actor=people.rep, contract=contract, installments=rows(121))
    message = gettext("At most %(limit)s installments: %(count)s were given.") % {"limit": 120, "count": 121}
    assert field_errors(exc) == {"installments": [message]}
    assert not PaymentPlan.objects.exists()
    plan = services.plan_save(actor=people.rep, contract=contract, installments=rows(120))
    assert plan.installments.count() == 120


@pytest.mark.parametrize("amount", ["0", "-1.00", "1.001", "abc"])
def test_an_installment_amount_must_be_positive_money(people, contract, amount):
    rows = three_installments(contract)
    rows[0]["amount"] = amount
    with pytest.raises(ValidationError) as exc:
        services.plan_save(actor=people.rep, contract=contract, installments=rows)
    assert list(field_errors(exc)) == ["installments.0.amount"]


def test_a_change_to_an_active_plan_goes_back_to_draft_and_is_activated_by_submitting(people, contract):
    plan = services.plan_save(actor=people.rep, contract=contract, installments=three_installments(contract))
    assert services.plan_submit(actor=people.rep, plan=plan) is None  # no flow: approved at once
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    rows = [{"id": i.pk, "name": i.name, "due_date": i.due_date, "amount": i.amount} for i in plan.installments.all()]
    rows[2]["due_date"] = days(90)
    plan = services.plan_save(actor=people.rep, contract=contract, installments=rows)
    assert plan.status == PlanStatus.DRAFT


def test_a_plan_in_approval_is_locked_on_every_write(people, contract):
    plan = money.payment_plan(contract, status=PlanStatus.IN_APPROVAL)
    with pytest.raises(Conflict):
        services.plan_save(
            actor=people.rep, contract=contract, installments=[{"due_date": days(3), "amount": "113000.00"}]
        )
    with pytest.raises(Conflict):
        services.plan_submit(actor=people.rep, plan=plan)
    inst = plan.installments.get()
    with pytest.raises(Conflict):
        services.payment_record(
            actor=people.rep,
            contract=contract,
            received_on=days(0),
            amount="100.00",
            allocations=[{"installment": inst.pk, "amount": "100.00"}],
        )
    assert not Payment.objects.exists()


def test_the_approval_callbacks_move_the_plan_through_its_states(people, contract):
    plan = money.payment_plan(contract, status=PlanStatus.DRAFT)
    services.plan_on_submitted(plan, None)
    assert PaymentPlan.objects.get().status == PlanStatus.IN_APPROVAL
    services.plan_on_returned(plan, None)
    assert PaymentPlan.objects.get().status == PlanStatus.DRAFT
    services.plan_on_approved(plan, None)
    assert PaymentPlan.objects.get().status == PlanStatus.ACTIVE


def test_a_paid_installment_cannot_shrink_below_what_it_received_nor_be_removed(people, contract):
    plan = money.payment_plan(contract, [(days(-10), "60000.00"), (days(20), "53000.00")])
    services.payment_record(actor=people.rep, contract=contract, received_on=days(0), amount="40000.00")
    first, second = plan.installments.order_by("position")
    rows = [
        {"id": first.pk, "due_date": first.due_date, "amount": "30000.00"},
        {"id": second.pk, "due_date": second.due_date, "amount": "83000.00"},
    ]
    with pytest.raises(ValidationError) as exc:
        services.plan_save(actor=people.rep, contract=contract, installments=rows)
    assert field_errors(exc) == {
        "installments.0.amount": [
            zh(
                "%(amount)s is less than the %(received)s already received on this installment.",
                amount="¥30,000.00",
                received="¥40,000.00",
            )
        ]
    }
    with pytest.raises(ValidationError) as exc:
        services.plan_save(
            actor=people.rep,
            contract=contract,
            installments=[{"id": second.pk, "due_date": days(5), "amount": "113000.00"}],
        )
    assert list(field_errors(exc)) == ["installments"]


def test_someone_outside_the_scope_gets_not_found_for_the_contract(people, contract):
    with pytest.raises(NotFound):
        services.plan_save(actor=people.outsider, contract=contract, installments=three_installments(contract))
    with pytest.raises(NotFound):
        services.payment_record(actor=people.rep2, contract=contract, received_on=days(0), amount="1.00")


# --- payments and allocations ----------------------------------------------------------------------------


def test_a_payment_is_allocated_oldest_due_first_and_the_excess_stays_unallocated(people, contract):
    plan = money.payment_plan(contract, [(days(30), "13000.00"), (days(-30), "50000.00"), (days(-60), "50000.00")])
    payment = services.payment_record(actor=people.finance, contract=contract, received_on=days(0), amount="120000.00")
    by_due = list(plan.installments.order_by("due_date"))
    assert [i.received for i in Installment.objects.filter(pk__in=[i.pk for i in by_due]).order_by("due_date")] == [
        D("50000.00"),
        D("50000.00"),
        D("13000.00"),
    ]
    assert services.unallocated_of(payment) == D("7000.00")
    assert payment.number.startswith("HK-")


def test_an_allocation_larger_than_the_installment_lacks_is_refused_naming_both_numbers(people, contract):
    plan = money.payment_plan(contract, [(days(-10), "10000.00"), (days(20), "103000.00")])
    first = plan.installments.get(position=1)
    with pytest.raises(ValidationError) as exc:
        services.payment_record(
            actor=people.rep,
            contract=contract,
            received_on=days(0),
            amount="20000.00",
            allocations=[{"installment": first.pk, "amount": "12000.00"}],
        )
    assert field_errors(exc) == {
        "allocations.0.amount": [
            zh(
                "Allocating %(amount)s exceeds the %(open)s still open on this installment.",
                amount="¥12,000.00",
                open="¥10,000.00",
            )
        ]
    }
    assert not Payment.objects.exists()


def test_an_allocation_larger_than_what_is_left_of_the_payment_is_refused_naming_both_numbers(people, contract):
    plan = money.payment_plan(contract, [(days(-10), "10000.00"), (days(20), "103000.00")])
    first, second = plan.installments.order_by("position")
    with pytest.raises(ValidationError) as exc:
        services.payment_record(
            actor=people.rep,
            contract=contract,
            received_on=days(0),
            amount="15000.00",
            allocations=[
                {"installment": first.pk, "amount": "10000.00"},
                {"installment": second.pk, "amount": "6000.00"},
            ],
        )
    assert field_errors(exc) == {
        "allocations.1.amount": [
            zh("Allocating %(amount)s exceeds the %(left)s left of the payment.", amount="¥6,000.00", left="¥5,000.00")
        ]
    }
    assert Installment.objects.filter(received__gt=0).count() == 0


def test_an_overpayment_is_allocated_later_to_a_new_installment(people, contract):
    plan = money.payment_plan(contract, [(days(-10), "100000.00"), (days(20), "13000.00")])
    payment = services.payment_record(actor=people.rep, contract=contract, received_on=days(0), amount="120000.00")
    assert services.unallocated_of(payment) == D("7000.00")
    rows = [{"id": i.pk, "due_date": i.due_date, "amount": i.amount} for i in plan.installments.all()]
    rows.append({"name": "追加", "due_date": days(40), "amount": "7000.00"})
    services.plan_save(
        actor=people.rep, contract=contract, installments=rows, difference="7000.00", difference_reason="追加服务"
    )
    assert not Installment.objects.filter(name="追加").exists()  # a change waits for approval
    services.plan_submit(actor=people.rep, plan=plan)  # no flow applies: approved at once
    services.payment_allocate(actor=people.rep, payment=payment)
    assert services.unallocated_of(payment) == D("0.00")
    assert Installment.objects.get(name="追加").received == D("7000.00")


def test_a_refund_takes_the_unallocated_part_first_then_the_latest_installment(people, contract):
    plan = money.payment_plan(contract, [(days(-30), "60000.00"), (days(-1), "53000.00")])
    receipt = services.payment_record(actor=people.finance, contract=contract, received_on=days(0), amount="115000.00")
    refund = services.payment_refund(actor=people.finance, payment=receipt, amount="5000.00", refunded_on=days(0))
    first, second = plan.installments.order_by("position")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.received, second.received) == (D("60000.00"), D("50000.00"))
    assert services.unallocated_of(receipt) == D("0.00")
    assert [a.amount for a in refund.allocations.all()] == [D("-3000.00")]


def test_a_refund_never_exceeds_what_was_received(people, contract):
    money.payment_plan(contract)
    receipt = services.payment_record(actor=people.finance, contract=contract, received_on=days(0), amount="1000.00")
    services.payment_refund(actor=people.finance, payment=receipt, amount="600.00", refunded_on=days(0))
    with pytest.raises(ValidationError) as exc:
        services.payment_refund(actor=people.finance, payment=receipt, amount="500.00", refunded_on=days(0))
    assert field_errors(exc) == {
        "amount": [
            zh(
                "Refunding %(amount)s exceeds the %(left)s of this payment not yet refunded.",
                amount="¥500.00",
                left="¥400.00",
            )
        ]
    }


def test_a_payment_of_a_draft_contract_is_refused(people):
    draft = money.contract(people.rep, status="draft")
    with pytest.raises(Conflict):
        services.payment_record(actor=people.rep, contract=draft, received_on=days(0), amount="1.00")


def test_a_payment_in_the_future_or_not_positive_is_refused(people, contract):
    with pytest.raises(ValidationError) as exc:
        services.payment_record(actor=people.rep, contract=contract, received_on=days(1), amount="1.00")
    assert list(field_errors(exc)) == ["received_on"]
    with pytest.raises(ValidationError) as exc:
        services.payment_record(actor=people.rep, contract=contract, received_on=days(0), amount="-1.00")
    assert list(field_errors(exc)) == ["amount"]


def test_a_refund_in_the_future_is_refused(people, contract):
    money.payment_plan(contract)
    receipt = services.payment_record(actor=people.finance, contract=contract, received_on=days(0), amount="1000.00")
    with pytest.raises(ValidationError) as exc:
        services.payment_refund(actor=people.finance, payment=receipt, amount="100.00", refunded_on=days(1))
    assert field_errors(exc) == {"refunded_on": [zh("The date cannot be in the future.")]}
    assert not Payment.objects.filter(kind="refund").exists()


@pytest.mark.parametrize("value", ["1e30", "99999999999999999999999999999", "100000000000000"])
def test_an_amount_too_large_is_refused_by_name_not_a_crash(value):
    with pytest.raises(ValidationError) as exc:
        services.money(value, "amount")
    assert field_errors(exc) == {"amount": [zh("The amount is too large.")]}


def test_an_installment_listed_twice_is_refused_and_the_plan_kept(people, contract):
    plan = money.payment_plan(contract, status=PlanStatus.DRAFT)
    (only,) = plan.installments.all()
    half = contract.amount / 2
    rows = [{"id": only.pk, "name": name, "due_date": days(n), "amount": half} for n, name in ((10, "a"), (20, "b"))]
    with pytest.raises(ValidationError) as exc:
        services.plan_save(actor=people.rep, contract=contract, installments=rows)
    assert field_errors(exc) == {"installments.1.id": [zh("This installment is listed twice.")]}
    assert list(plan.installments.values_list("pk", "amount")) == [(only.pk, contract.amount)]


# --- invoices -----------------------------------------------------------------------------------------------

VALID_CODE = "91350100M000100Y43"


def invoice_fields(**kwargs: Any) -> dict[str, Any]:
    return {
        "kind": "special",
        "tax_number": VALID_CODE,
        "address_phone": "上海市浦东新区 021-12345678",
        "bank_name": "工商银行浦东支行",
        "bank_account": "1001234567890",
        **kwargs,
    }


def test_an_invoice_request_prefills_the_title_from_the_customer(people, contract):
    invoice = services.invoice_request(actor=people.rep, contract=contract, amount="50000.00", **invoice_fields())
    assert (invoice.title, invoice.tax_number, invoice.status) == (contract.customer.name, VALID_CODE, "draft")


def test_the_invoiced_total_never_exceeds_the_contract_amount(people, contract):
    services.invoice_request(actor=people.rep, contract=contract, amount="100000.00", **invoice_fields())
    with pytest.raises(ValidationError) as exc:
        services.invoice_request(actor=people.rep, contract=contract, amount="13000.01", **invoice_fields())
    assert field_errors(exc) == {
        "amount": [
            zh(
                "Invoicing %(amount)s would take the contract's invoices to %(total)s, over the contract "
                "amount %(contract)s (%(left)s left to invoice).",
                amount="¥13,000.01",
                total="¥113,000.01",
                contract="¥113,000.00",
                left="¥13,000.00",
            )
        ]
    }


def test_a_void_invoice_frees_its_amount(people, contract):
    first = services.invoice_request(actor=people.rep, contract=contract, amount="113000.00", **invoice_fields())
    services.invoice_void(actor=people.rep, invoice=first, reason="抬头错误")
    second = services.invoice_request(actor=people.rep, contract=contract, amount="113000.00", **invoice_fields())
    assert second.status == "draft"


@pytest.mark.parametrize("code", ["91350100M000100Y44", "123", "ABCDEFGHIJKLMNOPQ!"])
def test_an_invalid_taxpayer_number_is_refused(people, contract, code):
    with pytest.raises(ValidationError) as exc:
        services.invoice_request(actor=people.rep, contract=contract, amount="1.00", **invoice_fields(tax_number=code))
    assert list(field_errors(exc)) == ["tax_number"]


def test_an_invoice_goes_from_request_through_approval_to_issued_by_finance(people, contract):
    invoice = services.invoice_request(actor=people.rep, contract=contract, amount="1000.00", **invoice_fields())
    services.invoice_submit(actor=people.rep, invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED  # no flow applies
    with pytest.raises(PermissionDenied):
        services.invoice_issue(actor=people.rep, invoice=invoice, number="No.0001", issued_on=days(0))
    services.invoice_issue(actor=people.finance, invoice=invoice, number="No.0001", issued_on=days(0))
    invoice.refresh_from_db()
    assert (invoice.status, invoice.issued_number, invoice.issued_by) == ("issued", "No.0001", people.finance)


def test_an_invoice_number_is_issued_once(people, contract):
    a = services.invoice_request(actor=people.rep, contract=contract, amount="1000.00", **invoice_fields())
    b = services.invoice_request(actor=people.rep, contract=contract, amount="1000.00", **invoice_fields())
    Invoice.objects.update(status=InvoiceStatus.APPROVED)
    services.invoice_issue(actor=people.finance, invoice=a, number="No.0001", issued_on=days(0))
    with pytest.raises(Conflict):
        services.invoice_issue(actor=people.finance, invoice=b, number="No.0001", issued_on=days(0))


def test_an_invoice_cannot_be_dated_before_the_contract_was_signed(people, contract):
    invoice = services.invoice_request(actor=people.rep, contract=contract, amount="1000.00", **invoice_fields())
    Invoice.objects.update(status=InvoiceStatus.APPROVED)
    with pytest.raises(ValidationError) as exc:
        services.invoice_issue(actor=people.finance, invoice=invoice, number="No.1", issued_on=date(1, 1, 1))
    message = "An invoice cannot be dated before the contract was signed (%(day)s)."
    assert field_errors(exc) == {"issued_on": [zh(message, day=contract.signed_date)]}


@pytest.mark.parametrize("field", ["as_of", "period_from", "period_to"])
def test_aging_far_outside_the_calendar_is_refused_by_name(people, field):
    with pytest.raises(ValidationError) as exc:
        selectors.aging(user=people.finance, **{field: date(1, 1, 1)})
    assert list(field_errors(exc)) == [field]


def test_an_invoice_in_approval_is_locked(people, contract):
    invoice = services.invoice_request(actor=people.rep, contract=contract, amount="1000.00", **invoice_fields())
    services.invoice_on_submitted(invoice, None)
    with pytest.raises(Conflict):
        services.invoice_void(actor=people.rep, invoice=invoice, reason="x")
    with pytest.raises(Conflict):
        services.invoice_submit(actor=people.rep, invoice=invoice)


# --- credit limits, the money summary ---------------------------------------------------------------------


def test_finance_sets_a_credit_limit_and_it_is_audited(people, contract):
    credit = services.credit_set(
        actor=people.finance, customer=contract.customer, business_unit=people.org["bu1"], credit_limit="500000.00"
    )
    services.credit_set(
        actor=people.finance, customer=contract.customer, business_unit=people.org["bu1"], credit_limit="300000.00"
    )
    credit.refresh_from_db()
    assert credit.credit_limit == D("300000.00")
    assert [e.kind for e in AuditEntry.objects.for_object(credit).order_by("pk")] == ["create", "update"]
    state = selectors.customer_credit(customer_id=contract.customer_id, business_unit_id=people.org["bu1"].pk)
    assert state.limit == D("300000.00")


def test_a_credit_limit_names_an_existing_business_unit(people, contract):
    """Found by a sweep of the forms: an unknown BU failed (500) after the row was written."""
    for bu in (-1, 999_999, "²"):
        with pytest.raises(ValidationError) as refused:
            services.credit_set(actor=people.finance, customer=contract.customer, business_unit=bu, credit_limit="1.00")
        assert refused.value.message_dict == {"business_unit": ["请选择已有的事业部。"]}
    assert not CustomerCredit.objects.exists()


def test_a_sales_rep_cannot_set_a_credit_limit(people, contract):
    with pytest.raises(PermissionDenied):
        services.credit_set(
            actor=people.rep, customer=contract.customer, business_unit=people.org["bu1"], credit_limit="1.00"
        )
    assert not CustomerCredit.objects.exists()


def test_the_contract_money_summary_agrees_with_plan_payments_and_invoices(people, contract):
    money.payment_plan(contract, [(days(-10), "60000.00"), (days(20), "53000.00")])
    receipt = services.payment_record(actor=people.finance, contract=contract, received_on=days(0), amount="70000.00")
    services.payment_refund(actor=people.finance, payment=receipt, amount="5000.00", refunded_on=days(0))
    services.invoice_request(actor=people.rep, contract=contract, amount="60000.00", **invoice_fields())
    summary = selectors.contract_money(contract=contract)
    assert summary == selectors.ContractMoney(
        contract_amount=D("113000.00"),
        planned=D("113000.00"),
        invoiced=D("60000.00"),
        issued=D("0.00"),
        received=D("65000.00"),
        allocated=D("65000.00"),
        unallocated=D("0.00"),
        outstanding=D("48000.00"),
        overdue=D("0.00"),
    )


# --- overdue reminders --------------------------------------------------------------------------------------


def test_the_owner_is_reminded_once_of_an_installment_that_became_overdue(people, contract):
    from xietong.collaboration.models import Notification

    money.payment_plan(contract, [(days(-1), "100000.00"), (days(10), "13000.00")])
    assert services.overdue_remind() == 1
    assert services.overdue_remind() == 0
    (note,) = Notification.objects.filter(recipient=people.rep)
    assert note.kind == "installment_overdue"
    assert Installment.objects.filter(reminded_at__isnull=False).count() == 1


def test_the_owner_is_told_once_a_few_days_before_an_installment_is_due(people, contract):
    from xietong.collaboration.models import Notification

    money.payment_plan(contract, [(days(2), "100000.00"), (days(10), "13000.00")])
    assert services.overdue_remind() == 0
    services.overdue_remind()
    assert list(Notification.objects.filter(recipient=people.rep).values_list("kind", flat=True)) == [
        "installment_due_soon"
    ]


def test_merging_customers_moves_their_money_and_keeps_the_survivors_credit_limit(people: Any, admin: Any) -> None:
    """The contract moved to the surviving customer; its plan, payments, invoices and credit limit
    stayed on the merged-away one (their links are hidden relations): the survivor's credit control
    missed the overdue money and the aging still listed the merged-away customer."""
    from xietong.customers import duplicates

    today = timezone.localdate()
    keep, gone = money.contract(people.rep), money.contract(people.rep)
    money.payment_plan(gone, [(today - timedelta(days=10), "113000.00")])
    services.payment_record(actor=people.finance, contract=gone, received_on=today, amount="1000.00")
    bu = gone.business_unit
    CustomerCredit.objects.create(customer=keep.customer, business_unit=bu, credit_limit=Decimal("50000.00"))
    CustomerCredit.objects.create(customer=gone.customer, business_unit=bu, credit_limit=Decimal("90000.00"))
    duplicates.customer_merge(actor=admin, target=keep.customer, sources=[gone.customer])
    assert PaymentPlan.objects.get(contract=gone).customer_id == keep.customer_id
    assert Payment.objects.get(contract=gone).customer_id == keep.customer_id
    credit = selectors.customer_credit(customer_id=keep.customer_id, business_unit_id=bu.pk)
    assert (credit.limit, credit.overdue) == (Decimal("50000.00"), Decimal("112000.00"))
    assert {r.key for r in selectors.aging(user=people.finance).rows} == {keep.customer_id}
    # the merged-away customer's limit for the same BU is dropped, and the merge says so
    assert list(CustomerCredit.objects.values_list("customer_id", "credit_limit")) == [
        (keep.customer_id, Decimal("50000.00"))
    ]
    entry = AuditEntry.objects.filter(object_id=str(keep.customer_id), verb="merge", kind="action").get()
    assert entry.changes["dropped"] == [f"信用额度: {bu}: 90000.00", None]
