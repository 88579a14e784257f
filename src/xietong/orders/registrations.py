"""What orders add to the shared surfaces (imported from ``OrdersConfig.ready``, no I/O): the
navigation (my orders, the operations queue), the approval engine's document type "order" (credit
review), the customer page's "Orders" tab, the orders panel on contract and opportunity pages, the
note on a contract's terminate form (its orders still to deliver) and the reaction to a termination
(their operations teams are told), what orders took of a contract's lines (which its edits keep),
notification kinds, audit verbs and the daily check for late orders."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.approvals import registry as approvals
from xietong.collaboration import kinds, myday
from xietong.contracts.registrations import (
    ContractDependent,
    TerminationNotice,
    register_dependent,
    register_termination_notice,
)
from xietong.core import audit, components, events, navigation, scheduling, search
from xietong.core.navigation import NavItem
from xietong.core.search import SearchHit, SearchProvider
from xietong.customers.registrations import CustomerTab, register_customer_tab

from . import selectors, services, tasks
from .choices import OrderStatus

MODULE = "orders"


def _may_view(user: Any) -> bool:
    return bool(user.access.can(MODULE, "view"))


def _may_operate(user: Any) -> bool:
    return bool(user.access.can(MODULE, "edit"))


# --- navigation ----------------------------------------------------------------------------------------

navigation.register(NavItem("orders", gettext_lazy("Orders"), "orders:list", "box-seam", order=10, visible=_may_view))
navigation.register(
    NavItem("orders", gettext_lazy("Operations queue"), "orders:queue", "truck", order=15, visible=_may_operate)
)

# --- My day: late orders ----------------------------------------------------------------------------------


def late_orders_section(user: Any) -> dict[str, Any] | None:
    """Open orders past their promised date that are mine (sales owner, also those still in credit
    review) or my operations teams' (one query); nothing when there are none."""
    if not _may_view(user):
        return None
    rows = selectors.order_list(user=user, late=True).filter(
        Q(owner_id=user.pk) | (Q(operations_team_id__in=user.access.team_ids) & ~Q(status=OrderStatus.CREDIT_REVIEW))
    )
    items = list(rows.order_by("promised_date", "pk")[: myday.LIMIT + 1])
    if not items:
        return None
    return {"items": items[: myday.LIMIT], "more": len(items) > myday.LIMIT}


myday.register(
    myday.Section("late_orders", gettext_lazy("Late orders"), "orders/myday_late.html", late_orders_section, order=22)
)

# --- global search -------------------------------------------------------------------------------------


def search_orders(user: Any, q: str, limit: int) -> list[SearchHit]:
    """Visible orders whose number, customer or contract number contains ``q``, newest first."""
    if not _may_view(user):
        return []
    rows = selectors.order_list(user=user, q=q)[:limit]
    return [
        SearchHit(
            title=o.number,
            subtitle=" · ".join((o.customer.name, o.get_status_display(), o.contract.number)),
            url=reverse("orders:detail", args=[o.pk]),
        )
        for o in rows
    ]


search.register(SearchProvider("orders", gettext_lazy("Orders"), "truck", search_orders, order=60))

# --- the approval engine: credit review of orders ------------------------------------------------------


def _credit(order: Any) -> Any:
    """The customer's credit state as ``order_create`` judged it: the order's own contract's plan left
    out of the open receivables (the order's amount stands for it)."""
    from xietong.receivables.selectors import customer_credit

    return customer_credit(
        customer_id=order.customer_id, business_unit_id=order.business_unit_id, except_contract_id=order.contract_id
    )


def _unpaid(order: Any) -> Decimal:
    """The customer's other unpaid orders as ``order_create`` counted them (``unpaid_orders``)."""
    from .services import unpaid_orders

    return unpaid_orders(
        customer_id=order.customer_id,
        business_unit_id=order.business_unit_id,
        contract_id=order.contract_id,
        exclude_order_id=order.pk,
    )


def _over_limit(order: Any) -> str:
    return "yes" if _credit(order).exceeded_by(order.amount + _unpaid(order)) else "no"


def _overdue(order: Any) -> Decimal:
    return Decimal(_credit(order).overdue)


def _customer_level(order: Any) -> str:
    from xietong.customers.models import Relationship

    level = (
        Relationship.objects.filter(customer_id=order.customer_id, business_unit_id=order.business_unit_id)
        .values_list("level", flat=True)
        .first()
    )
    return level or ""


def _levels() -> list[tuple[str, Any]]:
    from xietong.customers.choices import Level

    return list(Level.choices)


def _business_units() -> list[tuple[int, str]]:
    from xietong.org.models import BusinessUnit

    return [(bu.pk, bu.name) for bu in BusinessUnit.objects.filter(is_active=True).order_by("pk")]


def _summary(o: Any) -> list[tuple[str, str]]:
    """What the credit reviewer sees: the customer's credit state beside the order."""
    from xietong.core.templatetags.xt import money

    credit = _credit(o)
    return [
        (_("Customer"), o.customer.name),
        (_("Order amount"), money(o.amount)),
        (_("Credit limit"), money(credit.limit) if credit.limit is not None else _("none set")),
        (_("Open receivables of other contracts"), money(credit.open_receivables)),
        (_("Other orders not yet paid"), money(_unpaid(o))),
        (_("Overdue"), money(credit.overdue)),
    ]


approvals.register(
    approvals.DocumentType(
        code="order",
        label=gettext_lazy("Order (credit review)"),
        model="orders.Order",
        fields=(
            approvals.ConditionField("amount", gettext_lazy("Amount"), "number", lambda o: o.amount),
            approvals.ConditionField(
                "business_unit",
                gettext_lazy("Business unit"),
                "reference",
                lambda o: o.business_unit_id,
                choices=_business_units,
            ),
            approvals.ConditionField(
                "over_credit_limit",
                gettext_lazy("Over the credit limit"),
                "choice",
                _over_limit,
                choices=[("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))],
            ),
            approvals.ConditionField("overdue_amount", gettext_lazy("Overdue receivables"), "number", _overdue),
            approvals.ConditionField(
                "customer_level", gettext_lazy("Customer level"), "choice", _customer_level, choices=_levels()
            ),
        ),
        title=lambda o: f"{o.number} · {o.customer}",
        url=lambda o: reverse("orders:detail", args=[o.pk]),
        business_unit_id=lambda o: o.business_unit_id,
        owner_id=lambda o: o.owner_id,
        amount=lambda o: o.amount,
        summary=_summary,
        on_approved=services.credit_review_approved,
        on_returned=services.credit_review_returned,
    )
)

# --- the customer page's "Orders" tab, and the orders panel on contracts and opportunities ---------------

register_customer_tab(
    CustomerTab(
        "orders",
        gettext_lazy("Orders"),
        "orders/customer_tab.html",
        order=40,
        applies=lambda user, customer: _may_view(user),
    )
)
components.register_record_panel("orders/record_panel.html", order=60)
components.register_record_url("orders.order", "orders:detail")

# --- a contract terminated: the terminate form says what it stops; operations hear of it --------------

NOTICE_ORDERS = 10  # orders named on the terminate form (the rest counted)


def _termination_notice(user: Any, contract: Any) -> dict[str, Any] | None:
    """The contract's orders not yet finished that the user sees: how many, the first few."""
    if not _may_view(user):
        return None
    rows = selectors.unfinished_orders_of_contract(user=user, contract=contract)
    count = rows.count()
    if not count:
        return None
    return {"count": count, "orders": list(rows.only("pk", "number", "status")[:NOTICE_ORDERS])}


register_termination_notice(TerminationNotice("orders", "orders/terminate_notice.html", _termination_notice))

# a contract's edit or amendment keeps what orders took of its lines (the contracts app imports no orders)
register_dependent(ContractDependent("orders", ordered=services.contract_lines_in_orders))


@events.subscriber("contracts.terminated")
def _tell_operations_contract_terminated(event: events.Event) -> None:
    services.tell_operations_contract_terminated(
        contract_id=event.data["contract_id"], actor_id=event.data.get("actor_id"), event_key=event.key
    )


# --- notifications -----------------------------------------------------------------------------------

ORDERS_KIND = gettext_lazy("Orders")

kinds.register(
    kinds.Kind(
        "order_late",
        ORDERS_KIND,
        lambda p: (
            _("Order %(order)s is not fully shipped by its promised date %(promised)s.")
            % {"order": p["order"], "promised": p["promised"]}
        ),
    )
)
kinds.register(
    kinds.Kind(
        "order_scheduled_late",
        ORDERS_KIND,
        lambda p: (
            _("%(actor)s scheduled order %(order)s for %(scheduled)s, after the promised date %(promised)s.")
            % {"actor": p.get("actor", ""), "order": p["order"], "scheduled": p["scheduled"], "promised": p["promised"]}
        ),
    )
)
kinds.register(
    kinds.Kind(
        "order_queued",
        ORDERS_KIND,
        lambda p: (
            _("New order %(order)s of %(customer)s in your operations queue.")
            % {"order": p["order"], "customer": p["customer"]}
        ),
    )
)

kinds.register(
    kinds.Kind(
        "order_contract_terminated",
        ORDERS_KIND,
        lambda p: (
            _(
                "Contract %(contract)s is terminated: order %(order)s of %(customer)s can no longer be "
                "confirmed, scheduled or shipped. Cancel it or close it short."
            )
            % {"contract": p["contract"], "order": p["order"], "customer": p["customer"]}
        ),
    )
)

# --- the audit trail ------------------------------------------------------------------------------------

for _verb, _label in (
    ("confirmed", gettext_lazy("confirmed the order")),
    ("scheduled", gettext_lazy("scheduled the order")),
    ("shipment", gettext_lazy("recorded a shipment")),
    ("shipment_corrected", gettext_lazy("corrected a shipment")),
    ("shipment_voided", gettext_lazy("voided a shipment")),
    ("closed_short", gettext_lazy("closed the order short")),
    ("cancelled", gettext_lazy("cancelled the order")),
    ("credit_approved", gettext_lazy("passed the credit review")),
    ("credit_rejected", gettext_lazy("rejected in credit review")),
):
    audit.register_verb(_verb, _label)
audit.register_change_label("orders.order", "shipment", gettext_lazy("shipment"))
audit.register_change_label("orders.order", "shipped_on", gettext_lazy("shipped on"))
audit.register_change_label("orders.order", "carrier", gettext_lazy("carrier"))
audit.register_change_label("orders.order", "tracking_number", gettext_lazy("tracking number"))
audit.register_change_label("orders.order", "shipment_note", gettext_lazy("shipment note"))
audit.register_change_label("orders.order", "closed_lines", gettext_lazy("closed quantities"))

# --- the daily check for late orders ----------------------------------------------------------------------

scheduling.register(
    "orders-late",
    tasks.notify_late_orders,
    every=timedelta(days=1),
    description="tell the owners (and operations team managers) once of orders not shipped by the promised date",
)
