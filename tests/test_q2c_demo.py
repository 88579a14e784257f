"""The demo data of quote-to-cash (issue 6): approval flows, price books, quotes in every status,
contracts in every state, payment plans with payments, refunds and overdue installments in every
aging bucket, invoices, credit limits and orders — consistent money, and nothing added the second time.

The demo is loaded once for the module (about half a minute) inside a transaction that is rolled back
at the end; each test runs in a savepoint inside it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.test import override_settings
from django.utils import timezone

from tests.support.clock import midday
from xietong.approvals import demo as approvals_demo
from xietong.approvals import selectors as approval_selectors
from xietong.approvals.models import ApprovalFlow, ApprovalRequest, ApprovalTask
from xietong.contracts import demo as contracts_demo
from xietong.contracts.choices import ContractStatus
from xietong.contracts.models import Contract, ContractVersion
from xietong.orders import demo as orders_demo
from xietong.orders import demo_history
from xietong.orders.models import Order, OrderLine, Shipment
from xietong.org.models import User
from xietong.quotes import demo as quotes_demo
from xietong.quotes.choices import QuoteStatus
from xietong.quotes.models import PriceBook, PriceBookEntry, Quote
from xietong.receivables import demo as receivables_demo
from xietong.receivables import selectors as money_selectors
from xietong.receivables.models import Allocation, CustomerCredit, Installment, Invoice, Payment, PaymentPlan

pytestmark = pytest.mark.django_db

MONEY_STATUSES = ("signed", "active", "expired", "terminated")


def q2c_contracts() -> Any:
    """The contracts of quote-to-cash's demo (not the framework contracts of the order history)."""
    return Contract.objects.exclude(number__startswith=demo_history.NUMBER_PREFIX)


def q2c_orders() -> Any:
    return Order.objects.exclude(contract__number__startswith=demo_history.NUMBER_PREFIX)


# The demo's history is a rolling window of months up to today: its counts change every month. The
# module runs on one fixed day (and its clock ticks from noon), so the figures below always hold.
DEMO_DAY = date(2026, 11, 30)


@pytest.fixture(scope="module", autouse=True)
def demo(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    media = str(tmp_path_factory.mktemp("media"))
    with (
        midday(DEMO_DAY),
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media),
        transaction.atomic(),
    ):
        call_command("demo_data", "--no-logins", verbosity=0)
        yield
        transaction.set_rollback(True)


def _counts() -> dict[str, int]:
    models: tuple[Any, ...] = (
        ApprovalFlow,
        ApprovalRequest,
        ApprovalTask,
        PriceBook,
        PriceBookEntry,
        Quote,
        Contract,
        ContractVersion,
        PaymentPlan,
        Installment,
        Payment,
        Allocation,
        Invoice,
        CustomerCredit,
        Order,
        Shipment,
    )
    return {model.__name__: model.objects.count() for model in models}


def test_each_bu_has_its_five_approval_flows_made_by_its_head():
    flows = ApprovalFlow.objects.select_related("business_unit")
    assert Counter(flows.values_list("business_unit__code", flat=True)) == {"ind": 5, "med": 5, "energy": 5}
    assert set(flows.values_list("document_type", "name")) == {
        ("quote", approvals_demo.QUOTE_FLOW),
        ("contract", approvals_demo.CONTRACT_FLOW),
        ("order", approvals_demo.ORDER_FLOW),
        ("invoice", approvals_demo.INVOICE_FLOW),
        ("payment_plan", approvals_demo.PLAN_FLOW),
    }
    contract_flow = flows.get(document_type="contract", business_unit__code="ind")
    assert [(s.name, s.kind, s.mode, s.user.username if s.user else None) for s in contract_flow.steps.all()] == [
        ("法务审核", "user", "any", "dong.jie"),
        ("财务审核", "role", "all", None),
    ]
    quote_flow = flows.get(document_type="quote", business_unit__code="ind")
    assert quote_flow.conditions == [{"field": "max_discount", "op": ">", "value": "10"}]
    assert [s.conditions for s in quote_flow.steps.all()] == [
        [],
        [{"field": "max_discount", "op": ">", "value": "20"}],
    ]


def test_price_books_direct_per_bu_a_dealer_book_and_a_usd_book():
    books = PriceBook.objects.order_by("pk")
    assert [
        (b.business_unit.code if b.business_unit else None, b.channel, b.currency, b.exchange_rate) for b in books
    ] == [
        ("ind", "direct", "CNY", Decimal("1")),
        ("ind", "direct", "USD", quotes_demo.USD_RATE),
        ("med", "direct", "CNY", Decimal("1")),
        ("energy", "direct", "CNY", Decimal("1")),
        ("energy", "dealer", "CNY", Decimal("1")),
    ]
    direct = PriceBook.objects.get(business_unit__code="ind", channel="direct", currency="CNY")
    entries = direct.entries.all()
    # every product the BU sells (12 of its own, 3 group services) at list price from quantity 1
    assert entries.filter(min_quantity=1, customer__isnull=True).count() == 15
    assert (
        not entries.filter(min_quantity=1, customer__isnull=True).exclude(unit_price=F("product__list_price")).exists()
    )
    assert entries.filter(min_quantity__gt=1).exists()  # volume tiers
    assert entries.filter(customer__isnull=False).exists()  # customer-specific prices
    for tier in entries.filter(min_quantity__gt=1):
        assert tier.unit_price < tier.product.list_price


def test_quotes_in_every_status_and_v2_superseding_v1():
    assert dict(Quote.objects.values_list("status").annotate(n=Count("pk"))) == {
        QuoteStatus.DRAFT: 3,
        QuoteStatus.IN_APPROVAL: 6,
        QuoteStatus.APPROVED: 2,
        QuoteStatus.SENT: 5,
        QuoteStatus.ACCEPTED: 6,
        QuoteStatus.REJECTED: 3,
        QuoteStatus.SUPERSEDED: 3,
    }
    for v1 in Quote.objects.filter(status=QuoteStatus.SUPERSEDED):
        assert v1.version == 1
        assert Quote.objects.get(number=v1.number, version=2).status == QuoteStatus.SENT
    # in approval only above the 10 % threshold; what needs none was approved at once
    assert not Quote.objects.filter(status=QuoteStatus.IN_APPROVAL, max_discount__lte=10).exists()
    assert not Quote.objects.filter(status=QuoteStatus.REJECTED, decision_note="").exists()
    # an accepted quote's lines became its opportunity's product lines
    for quote in Quote.objects.filter(status=QuoteStatus.ACCEPTED):
        assert sorted(quote.lines.values_list("product_id", "quantity")) == sorted(
            quote.opportunity.lines.values_list("product_id", "quantity")
        )


def test_contracts_in_every_state_with_scans_an_amendment_and_renewals_due():
    assert dict(q2c_contracts().values_list("status").annotate(n=Count("pk"))) == {
        ContractStatus.DRAFT: 1,
        ContractStatus.IN_REVIEW: 2,
        ContractStatus.APPROVED: 1,
        ContractStatus.SIGNED: 2,
        ContractStatus.ACTIVE: 7,
        ContractStatus.EXPIRED: 1,
        ContractStatus.TERMINATED: 1,
    }
    today = timezone.localdate()
    signed = q2c_contracts().filter(status__in=MONEY_STATUSES)
    assert not signed.filter(Q(signed_scan="") | Q(signed_date__isnull=True)).exists()
    assert not q2c_contracts().exclude(status__in=MONEY_STATUSES).exclude(signed_scan="").exists()
    assert not q2c_contracts().filter(status=ContractStatus.EXPIRED, end_date__gte=today).exists()
    assert not q2c_contracts().filter(status=ContractStatus.TERMINATED, terminated_reason="").exists()
    assert not q2c_contracts().filter(status=ContractStatus.SIGNED, start_date__lte=today).exists()
    amended = q2c_contracts().get(version=2)
    assert amended.status == ContractStatus.ACTIVE
    assert list(amended.versions.values_list("version", "reason")) == [(1, contracts_demo.AMENDMENT)]
    ending = signed.filter(status=ContractStatus.ACTIVE, end_date__lte=today + timedelta(days=30))
    assert ending.count() == 2
    assert not ending.filter(renewal_reminded_at__isnull=True).exists()
    # from accepted quotes and from won opportunities
    assert q2c_contracts().filter(quote__isnull=False).count() == 6
    assert q2c_contracts().filter(quote__isnull=True, opportunity__status="won").count() == 9


def test_a_bu_head_and_the_managers_have_approvals_waiting():
    dong_jie = User.objects.get(username="dong.jie")
    waiting = approval_selectors.pending_tasks(user=dong_jie)
    assert {t.request.document_type for t in waiting} == {"quote", "contract"}
    pending = ApprovalTask.objects.filter(status="pending")
    approvers = set(pending.values_list("approver__username", flat=True))
    assert {"dong.jie", "lu.juan"} <= approvers
    # nothing was approved without every required decision
    for request in ApprovalRequest.objects.filter(status="approved"):
        decided = set(request.tasks.filter(status="approved").values_list("step", flat=True))
        assert decided == {n for n, step in enumerate(request.steps) if not step["skipped"]}


def test_payment_plans_add_up_and_received_is_the_sum_of_allocations():
    plans = PaymentPlan.objects.select_related("contract").exclude(
        contract__number__startswith=demo_history.NUMBER_PREFIX
    )
    assert plans.count() == q2c_contracts().filter(status__in=MONEY_STATUSES).count() == 11
    for plan in plans:
        total = plan.installments.aggregate(s=Sum("amount"))["s"]
        assert total - plan.contract.amount == plan.difference == 0
        assert 2 <= plan.installments.count() <= 4
    for inst in Installment.objects.annotate(allocated=Sum("allocations__amount")):
        assert inst.received == (inst.allocated or 0)
        assert 0 <= inst.received <= inst.amount
    assert PaymentPlan.objects.filter(status="in_approval").count() == 1  # a change waiting for the manager


def test_payments_include_an_over_payment_and_a_refund():
    refund = Payment.objects.select_related("refund_of").get(kind="refund")
    refunded = refund.refund_of
    assert refunded is not None and refund.amount == refunded.amount
    assert not refunded.allocations.exists()
    receipts = Payment.objects.filter(kind="receipt").annotate(allocated=Sum("allocations__amount"))
    rests = [row["amount"] - row["allocated"] for row in receipts.values("amount", "allocated") if row["allocated"]]
    assert [rest for rest in rests if rest] == [Decimal("3000.00")]
    assert not Payment.objects.filter(received_on__gt=timezone.localdate()).exists()


def test_overdue_receivables_fill_every_aging_bucket():
    admin = User.objects.get(username="admin")
    totals = money_selectors.aging(user=admin).totals
    for bucket in ("not_due", "d1_30", "d31_60", "d61_90", "d90_plus"):
        assert getattr(totals, bucket) > 0, bucket


def test_invoices_never_exceed_the_contract_and_show_every_state():
    q2c = Invoice.objects.exclude(contract__number__startswith=demo_history.NUMBER_PREFIX)
    assert dict(q2c.values_list("status").annotate(n=Count("pk"))) == {
        "in_approval": 2,
        "approved": 1,
        "issued": 8,
        "void": 2,
    }
    for contract in Contract.objects.filter(status__in=MONEY_STATUSES):
        invoiced = Invoice.objects.filter(contract=contract).exclude(status="void").aggregate(s=Sum("amount"))["s"]
        assert (invoiced or 0) <= contract.amount
    assert not Invoice.objects.filter(status="issued", issued_number="").exists()


def test_credit_limits_with_one_customer_over_its_limit():
    over = []
    for credit in CustomerCredit.objects.all():
        state = money_selectors.customer_credit(
            customer_id=credit.customer_id, business_unit_id=credit.business_unit_id
        )
        if state.open_receivables > credit.credit_limit:
            over.append(credit.customer_id)
    assert len(over) == 1


def test_orders_of_signed_contracts_never_ship_more_than_ordered():
    orders = q2c_orders()
    assert orders.count() == q2c_contracts().filter(status__in=("signed", "active")).count()
    assert not orders.exclude(contract__status__in=("signed", "active")).exists()
    assert not OrderLine.objects.filter(shipped_quantity__gt=F("quantity")).exists()
    assert orders.filter(status="credit_review").exists()
    assert Shipment.objects.exclude(carrier="").exclude(tracking_number="").count() == Shipment.objects.count() > 0


def test_loading_the_demo_again_creates_nothing():
    before = _counts()
    call_command("demo_data", "--no-logins", "--force", verbosity=0)
    assert _counts() == before
    created: Counter[str] = Counter()
    for module in (approvals_demo, quotes_demo, contracts_demo, receivables_demo, orders_demo):
        module.load(created)
    assert +created == Counter()


# --- the order history (orders/demo_history.py, quantities from supply/demo.py) -----------------------


def _months_back(n: int) -> Any:
    from xietong.supply.signals import add_months

    return add_months(timezone.localdate().replace(day=1), -n)


def test_three_years_of_order_history_are_framework_contracts_called_off_monthly_and_shipped():
    from xietong.customers.models import Relationship

    today = timezone.localdate()
    framework = Contract.objects.filter(number__startswith=demo_history.NUMBER_PREFIX)
    years = set(framework.values_list("start_date__year", flat=True))
    assert years == {today.year - 3, today.year - 2, today.year - 1, today.year}
    assert set(framework.filter(end_date__lt=today).values_list("status", flat=True)) == {ContractStatus.EXPIRED}
    assert set(framework.filter(end_date__gte=today).values_list("status", flat=True)) == {ContractStatus.ACTIVE}
    assert not framework.filter(signed_date__gte=F("start_date")).exists()
    for contract in framework.prefetch_related("lines"):
        lines = list(contract.lines.all())
        assert contract.amount == sum(line.amount for line in lines) == contract.net_amount + contract.tax_amount
        for line in lines:  # every contract line is called off exactly, to the cent
            ordered = line.order_lines.aggregate(q=Sum("quantity"), a=Sum("amount"))
            assert (ordered["q"], ordered["a"]) == (line.quantity, line.amount)
    orders = Order.objects.filter(contract__in=framework)
    assert orders.count() == 432
    assert set(orders.values_list("status", flat=True)) == {"shipped"}
    first, last = _months_back(36), _months_back(1)
    for order in orders.prefetch_related("lines", "shipments__lines"):
        placed = timezone.localtime(order.created_at).date()
        assert order.number.startswith(f"DD{placed:%Y%m}-")
        assert first <= placed.replace(day=1) <= last
        assert all(line.shipped_quantity == line.quantity for line in order.lines.all())
        (shipment,) = order.shipments.all()
        assert sorted(s.quantity for s in shipment.lines.all()) == sorted(line.quantity for line in order.lines.all())
    # the buyers are customers now, known from before their first contract (not from the demo's load)
    buyers = set(framework.values_list("customer_id", "business_unit_id"))
    for customer_id, bu_id in buyers:
        relationship = Relationship.objects.select_related("customer").get(
            customer_id=customer_id, business_unit_id=bu_id
        )
        assert relationship.status == "active"
        first_signed = framework.filter(customer_id=customer_id, business_unit_id=bu_id).order_by("signed_date")[0]
        since = timezone.localtime(relationship.created_at).date()
        assert (first_signed.signed_date - since).days in range(30, 91)
        assert relationship.customer.created_at <= relationship.created_at


def test_services_are_not_stocked_so_they_have_no_atp_and_raise_no_supply_risk():
    from xietong.catalog.models import Product
    from xietong.supply.models import OpportunityRisk, SupplyItem

    services = Product.objects.filter(product_line="技术服务")
    assert sorted(services.values_list("code", flat=True)) == ["SV-INST", "SV-MAINT", "SV-TRAIN"]
    assert not SupplyItem.objects.filter(product__in=services).exists()
    assert SupplyItem.objects.count() == Product.objects.filter(status="active").count() - 4
    assert not SupplyItem.objects.filter(product__code="EMS-PRO").exists()  # a software licence
    assert not OpportunityRisk.objects.filter(product__in=services).exists()
    assert OpportunityRisk.objects.exists()  # goods short of demand still raise them
    assert (
        not OrderLine.objects.filter(order__number__startswith="DD", product__in=services)
        .filter(order__contract__number__startswith=demo_history.NUMBER_PREFIX)
        .exists()
    )  # the order history is of goods


def test_the_forecast_reads_three_years_of_orders_and_the_erp_year_before_them():
    from xietong.supply.models import SalesHistory
    from xietong.supply.signals import demand_history

    first, now = _months_back(36), _months_back(0)
    assert not SalesHistory.objects.filter(month__gte=first).exists()
    assert set(SalesHistory.objects.values_list("month", flat=True)) == {_months_back(n) for n in range(37, 49)}
    history = demand_history(start=first, end=now)
    from_orders = OrderLine.objects.filter(order__contract__number__startswith=demo_history.NUMBER_PREFIX)
    assert sum(history.values()) == from_orders.aggregate(q=Sum("quantity"))["q"]
    months = {m for _p, _b, m in history}
    assert months == {_months_back(n) for n in range(1, 37)}
    # a yearly season (the Spring Festival dip, the year-end peak) and lumpy, intermittent items
    by_month: Counter[int] = Counter()
    for (_p, _b, m), q in history.items():
        by_month[m.month] += int(q)
    assert by_month[2] < by_month[1] < by_month[12]
    series: dict[tuple[int, int], int] = Counter((p, b) for p, b, _m in history)
    assert any(n <= 18 for n in series.values())  # in half the months or fewer
    assert max(series.values()) == 36


def test_the_order_history_is_invoiced_and_paid_order_by_order_and_leaves_nothing_open():
    framework = Contract.objects.filter(number__startswith=demo_history.NUMBER_PREFIX)
    today = timezone.localdate()
    for contract in framework:
        plan = PaymentPlan.objects.get(contract=contract)
        assert plan.status == "active"
        orders = list(contract.orders.order_by("created_at", "pk"))
        installments = list(plan.installments.order_by("position"))
        assert [i.amount for i in installments] == [o.amount for o in orders]
        assert sum(i.amount for i in installments) == contract.amount
        for inst in installments:
            allocated = inst.allocations.aggregate(s=Sum("amount"))["s"]
            assert inst.received == allocated == inst.amount
            (allocation,) = inst.allocations.select_related("payment")
            assert allocation.payment.received_on <= min(inst.due_date, today)
        invoices = Invoice.objects.filter(contract=contract)
        assert set(invoices.values_list("status", flat=True)) == {"issued"}
        assert sorted(invoices.values_list("amount", flat=True)) == sorted(o.amount for o in orders)
    # settled: no open or overdue money from the history, so credit checks see only the live demo
    history = Installment.objects.filter(plan__contract__in=framework)
    assert not history.filter(received__lt=F("amount")).exists()
    assert Payment.objects.filter(contract__in=framework).count() == 432
    # entered as the money came: the newest-entered-first lists read newest first
    paid = list(Payment.objects.filter(contract__in=framework).order_by("pk").values_list("received_on", "number"))
    assert [day for day, _n in paid] == sorted(day for day, _n in paid)
    assert all(number.startswith(f"HK-{day:%Y%m}-") for day, number in paid)
    issued = list(Invoice.objects.filter(contract__in=framework).order_by("pk").values_list("issued_on", flat=True))
    assert issued == sorted(issued)


# --- every editor, saved as it is rendered, changes nothing ------------------------------------------------

# What a save may touch without changing anything a user sees: the moment things were last saved or
# touched, and the engine's own trails (audit, notifications, queued tasks, sessions).
_VOLATILE_COLUMNS = {"id", "updated_at", "last_activity_at"}
_TRAIL_TABLES = ("audit", "notification", "session", "dbtaskresult", "activity", "event", "follow")


def _business_data() -> dict[str, Counter[tuple[Any, ...]]]:
    """Every table's rows without their ids (an editor may write lines anew), as multisets."""
    from django.apps import apps
    from django.db import connection

    data: dict[str, Counter[tuple[Any, ...]]] = {}
    with connection.cursor() as cursor:
        for model in apps.get_models():
            table = model._meta.db_table
            if any(word in table for word in _TRAIL_TABLES):
                continue
            columns = [f.column for f in model._meta.concrete_fields if f.column not in _VOLATILE_COLUMNS]
            cursor.execute(f"SELECT {', '.join(connection.ops.quote_name(c) for c in columns)} FROM {table}")
            data[table] = Counter(cursor.fetchall())
    return data


def _editors() -> list[tuple[str, str]]:
    """(url, form id) of an editor of each kind, on records of the demo."""
    from xietong.customers.models import Contact, Customer, Relationship
    from xietong.pipeline.models import Opportunity
    from xietong.supply.models import ContingencyPlan, ProductionLine, ScheduledReceipt, SupplyItem, Warehouse

    opp = Opportunity.objects.filter(status="open", lines__isnull=False, contact_roles__isnull=False).order_by("pk")[0]
    entry = PriceBookEntry.objects.order_by("pk")[0]
    pool_rel = Relationship.objects.filter(owner__isnull=True, pool__isnull=False).order_by("pk")[0]
    owned_rel = Relationship.objects.filter(owner__isnull=False).order_by("pk")[0]
    return [
        (f"/customers/{Customer.objects.order_by('pk')[0].pk}/edit/", "xt-form"),
        (f"/customers/contacts/{Contact.objects.order_by('pk')[0].pk}/edit/", "xt-form"),
        (f"/customers/relationships/{pool_rel.pk}/edit/", "xt-form"),
        (f"/customers/relationships/{owned_rel.pk}/edit/", "xt-form"),
        (f"/pipeline/opportunities/{opp.pk}/edit/", "xt-form"),
        (f"/pipeline/opportunities/{opp.pk}/lines/", "opp-editor"),
        (f"/pipeline/opportunities/{opp.pk}/contacts/", "opp-editor"),
        (f"/pipeline/opportunities/{opp.pk}/team/", "opp-editor"),
        (f"/quotes/{Quote.objects.filter(status='draft').order_by('pk')[0].pk}/edit/", "quote-editor"),
        (f"/price-books/{entry.price_book_id}/edit/", "xt-form"),
        (f"/price-books/{entry.price_book_id}/entries/{entry.pk}/edit/", "xt-form"),
        (f"/contracts/{q2c_contracts().filter(status='draft').order_by('pk')[0].pk}/edit/", "contract-editor"),
        (f"/approvals/flows/{ApprovalFlow.objects.order_by('pk')[0].pk}/edit/", "flow-form"),
        (f"/orders/shipments/{Shipment.objects.order_by('pk')[0].pk}/edit/", "xt-form"),
        (f"/sop/items/{SupplyItem.objects.order_by('pk')[0].product_id}/edit/", "xt-form"),
        (f"/sop/warehouses/{Warehouse.objects.order_by('pk')[0].pk}/edit/", "xt-form"),
        (f"/sop/lines/{ProductionLine.objects.order_by('pk')[0].pk}/edit/", "xt-form"),
        (f"/sop/receipts/{ScheduledReceipt.objects.order_by('pk')[0].pk}/edit/", "xt-form"),
        (f"/sop/contingency/{ContingencyPlan.objects.order_by('pk')[0].pk}/edit/", "xt-form"),
    ]


def test_every_editor_saved_as_it_is_rendered_changes_no_data():
    """Each editor's own form posted back untouched, as a browser sends it, is accepted and leaves the
    data as it was. This found a quote editor that emptied the quote, line editors that cleared
    delivery months, a pool customer handed to the first person listed and a deal team re-stamped."""
    from tests.conftest import login
    from tests.support.forms import submitted

    client = login(User.objects.get(username="admin"))
    for url, form_id in _editors():
        data = submitted(client.get(url).content.decode(), form_id)
        before = _business_data()
        response = client.post(url, data)
        assert response.status_code == 303, (url, response.status_code)
        after = _business_data()
        changed = {table: (before[table] - after[table], after[table] - before[table]) for table in before}
        assert {table: diff for table, diff in changed.items() if any(diff)} == {}, url
