"""What money in adds to the shared surfaces (imported from ``ReceivablesConfig.ready``, no I/O): the
approval engine's document types "payment_plan" and "invoice", the navigation (payments, invoices,
aging), the customer page's "Receivables" tab, the money panel on the contract page, what a contract's
edits must keep (its invoiced amount) and its money following a new owner, My day's "Overdue
receivables", the overdue notification and its daily job, and the audit verbs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.approvals import registry as approvals
from xietong.collaboration import kinds, myday
from xietong.contracts.registrations import ContractDependent, register_dependent
from xietong.core import audit, components, navigation, scheduling
from xietong.core.navigation import NavItem
from xietong.customers.registrations import CustomerTab, register_customer_tab

from . import selectors, services, tasks
from .choices import InvoiceKind
from .models import PaymentPlan

MODULE = "receivables"


def _may_view(user: Any) -> bool:
    return bool(user.access.can(MODULE, "view"))


# --- the approval engine ------------------------------------------------------------------------------


def _business_units() -> list[tuple[int, str]]:
    from xietong.org.models import BusinessUnit

    return list(BusinessUnit.objects.order_by("name").values_list("pk", "name"))


def _plan_amount(plan: PaymentPlan) -> Decimal:
    return plan.contract.amount


def _plan_difference(plan: PaymentPlan) -> Decimal:
    change = services.proposal_of(plan)
    return change.difference if change else plan.difference


def _plan_installments(plan: PaymentPlan) -> int:
    change = services.proposal_of(plan)
    return len(change.installments) if change else plan.installments.count()


def _plan_summary(plan: PaymentPlan) -> list[tuple[str, str]]:
    """What the approver decides: the installments proposed and, for a change, those in force."""
    from xietong.core.templatetags.xt import money

    change = services.proposal_of(plan)
    in_force = services.describe_installments(list(plan.installments.order_by("position", "pk")), "\n")
    rows = [(_("Contract"), f"{plan.contract.number} · {money(plan.contract.amount)}")]
    if change is None:
        rows.append((_("Installments"), in_force))
        if plan.difference:
            rows.append(
                (_("Difference from the contract amount"), f"{money(plan.difference)} · {plan.difference_reason}")
            )
        return rows
    rows.append((_("Proposed installments"), services.describe_installments(change.installments, "\n")))
    rows.append((_("Installments in force"), in_force))
    if change.difference or plan.difference:
        rows.append(
            (_("Difference from the contract amount"), f"{money(change.difference)} · {change.difference_reason}")
        )
    if plan.difference and (plan.difference, plan.difference_reason) != (change.difference, change.difference_reason):
        rows.append((_("Difference in force"), f"{money(plan.difference)} · {plan.difference_reason}"))
    return rows


def _invoice_summary(i: Any) -> list[tuple[str, str]]:
    from xietong.core.templatetags.xt import money

    return [
        (_("Invoice type"), i.get_kind_display()),
        (_("Invoice title"), i.title),
        (_("Taxpayer number"), i.tax_number),
        (_("Amount with VAT"), money(i.amount)),
        (_("Contract"), f"{i.contract.number} · {money(i.contract.amount)}"),
    ]


approvals.register(
    approvals.DocumentType(
        code="payment_plan",
        label=gettext_lazy("Payment plan"),
        model="receivables.PaymentPlan",
        fields=(
            approvals.ConditionField("amount", gettext_lazy("Contract amount"), "number", _plan_amount),
            approvals.ConditionField(
                "business_unit",
                gettext_lazy("Business unit"),
                "reference",
                lambda p: p.business_unit_id,
                choices=_business_units,
            ),
            approvals.ConditionField(
                "difference", gettext_lazy("Difference from the contract amount"), "number", _plan_difference
            ),
            approvals.ConditionField(
                "installments", gettext_lazy("Number of installments"), "number", _plan_installments
            ),
        ),
        title=lambda p: f"{p.contract.number} · {p.customer}",
        url=lambda p: reverse("receivables:plan_edit", args=[p.contract_id]),
        business_unit_id=lambda p: p.business_unit_id,
        owner_id=lambda p: p.owner_id,
        amount=_plan_amount,
        summary=_plan_summary,
        on_submitted=services.plan_on_submitted,
        on_approved=services.plan_on_approved,
        on_returned=services.plan_on_returned,
        extra={"is_locked": services.plan_is_locked},
    )
)

approvals.register(
    approvals.DocumentType(
        code="invoice",
        label=gettext_lazy("Invoice"),
        model="receivables.Invoice",
        fields=(
            approvals.ConditionField("amount", gettext_lazy("Amount"), "number", lambda i: i.amount),
            approvals.ConditionField(
                "business_unit",
                gettext_lazy("Business unit"),
                "reference",
                lambda i: i.business_unit_id,
                choices=_business_units,
            ),
            approvals.ConditionField(
                "kind", gettext_lazy("Invoice type"), "choice", lambda i: i.kind, choices=InvoiceKind.choices
            ),
        ),
        title=lambda i: f"{services.yuan(i.amount)} · {i.contract.number} · {i.customer}",
        url=lambda i: reverse("receivables:invoice_detail", args=[i.pk]),
        business_unit_id=lambda i: i.business_unit_id,
        owner_id=lambda i: i.owner_id,
        amount=lambda i: i.amount,
        summary=_invoice_summary,
        on_submitted=services.invoice_on_submitted,
        on_approved=services.invoice_on_approved,
        on_returned=services.invoice_on_returned,
        extra={"is_locked": services.invoice_is_locked},
    )
)

# --- navigation ------------------------------------------------------------------------------------------

navigation.register(
    NavItem("orders", gettext_lazy("Payments received"), "receivables:payment_list", "cash-coin", 50, _may_view)
)
navigation.register(NavItem("orders", gettext_lazy("Invoices"), "receivables:invoice_list", "receipt", 60, _may_view))
navigation.register(
    NavItem("orders", gettext_lazy("Receivables aging"), "receivables:aging", "hourglass-bottom", 70, _may_view)
)

# --- the customer page's tab, the contract page's money panel ---------------------------------------------

register_customer_tab(
    CustomerTab(
        "receivables",
        gettext_lazy("Receivables"),
        "receivables/customer_tab.html",
        order=60,
        applies=lambda user, customer: _may_view(user),
    )
)
components.register_record_panel("receivables/contract_money_panel.html", order=3)
components.register_record_url("receivables.payment", "receivables:payment_detail")
components.register_record_url("receivables.invoice", "receivables:invoice_detail")

# a contract's amendment keeps its amount at or above what is invoiced; a contract handed over takes its
# plan, payments and invoices along (the contracts app imports no receivables: ADR 0013)
register_dependent(
    ContractDependent(
        "receivables",
        invoiced=services.invoiced_total,
        owner_changed=services.follow_contract_owner,
    )
)

# --- My day: overdue receivables ---------------------------------------------------------------------------


def overdue_section(user: Any) -> dict[str, Any] | None:
    """The user's own installments past due (oldest first), one query."""
    if not _may_view(user):
        return None
    items = list(selectors.overdue_for_owner(user=user)[: myday.LIMIT + 1])
    if not items:
        return None
    return {"items": items[: myday.LIMIT], "more": len(items) > myday.LIMIT}


myday.register(
    myday.Section(
        "overdue_receivables",
        gettext_lazy("Overdue receivables"),
        "receivables/myday_overdue.html",
        overdue_section,
        order=22,
    )
)

# --- notifications and the daily job -----------------------------------------------------------------------

RECEIVABLES_KIND = gettext_lazy("Receivables")

kinds.register(
    kinds.Kind(
        "installment_overdue",
        RECEIVABLES_KIND,
        lambda p: (
            _("%(installment)s of contract %(contract)s (%(customer)s) is overdue since %(due)s: %(open)s open.")
            % {
                "installment": p["installment"],
                "contract": p["contract"],
                "customer": p["customer"],
                "due": p["due"],
                "open": p["open"],
            }
        ),
    )
)

kinds.register(
    kinds.Kind(
        "installment_due_soon",
        RECEIVABLES_KIND,
        lambda p: (
            _("%(installment)s of contract %(contract)s (%(customer)s) is due on %(due)s: %(open)s open.")
            % {
                "installment": p["installment"],
                "contract": p["contract"],
                "customer": p["customer"],
                "due": p["due"],
                "open": p["open"],
            }
        ),
    )
)

scheduling.register(
    "receivables-overdue",
    tasks.remind_overdue_installments,
    every=timedelta(days=1),
    description="tell the owners once of each installment due within 3 days and once when it is overdue",
)

# --- the audit trail ------------------------------------------------------------------------------------------

for _verb, _label in (
    ("plan_changed", gettext_lazy("changed the payment plan")),
    ("plan_change_proposed", gettext_lazy("proposed a change to the payment plan")),
    ("plan_change_discarded", gettext_lazy("discarded the change to the payment plan")),
    ("money_submitted", gettext_lazy("submitted for approval")),
    ("payment_allocated", gettext_lazy("allocated the payment")),
    ("refund_recorded", gettext_lazy("recorded a refund")),
    ("invoice_issued", gettext_lazy("issued the invoice")),
    ("invoice_voided", gettext_lazy("voided the invoice")),
):
    audit.register_verb(_verb, _label)
audit.register_change_label("receivables.paymentplan", "installments", gettext_lazy("installments"))
audit.register_change_label("receivables.payment", "allocations", gettext_lazy("allocations"))
audit.register_access("receivables.customercredit", lambda user: bool(user.access.can(MODULE, "view")))
