"""What the contracts app adds to the shared surfaces (imported from ``ContractsConfig.ready``, no
I/O): the approval engine's "contract" document type (HQ review), the navigation, the global search,
My day's "contracts to renew", the customer page's "Contracts" tab, the panels on quote and
opportunity pages, the collaboration surface of a contract, audit verb labels, the renewal
notification and the daily job; and the extension points the apps above use: to say, on the terminate
form, what a termination stops (``register_termination_notice``: the orders still to deliver), and to
tell the contract's services what they hold of a contract, which its edits must keep
(``register_dependent``: what orders took of its lines, what is invoiced on it, and following a new
owner). It tells the quotes app which quotes are under contract (``quotes.registrations.register_dependent``).
ADR 0013: the contracts app imports neither receivables nor orders."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.approvals import registry as approvals
from xietong.collaboration import kinds, myday
from xietong.collaboration import registry as collaboration
from xietong.core import audit, components, navigation, scheduling, search
from xietong.core.navigation import NavItem
from xietong.core.search import SearchHit, SearchProvider
from xietong.customers.choices import Level
from xietong.customers.registrations import CustomerTab, register_customer_tab
from xietong.quotes.registrations import QuoteDependent
from xietong.quotes.registrations import register_dependent as register_quote_dependent

from . import selectors, services, tasks
from .models import Contract

MODULE = "contracts"


def _may_view(user: Any) -> bool:
    return bool(user.access.can(MODULE, "view"))


def _may_administer(user: Any) -> bool:
    return bool(user.access.can(MODULE, "administer"))


def detail_url(pk: int) -> str:
    return reverse("contracts:detail", args=[pk])


# --- what a termination stops, said by the apps above (NetBox's template extensions) -----------------


@dataclass(frozen=True)
class TerminationNotice:
    """A note on the terminate form of a contract: ``context(user, contract)`` reads what the app above
    holds of the contract (its own selectors, visibility applied) and answers the context of
    ``template``, or None when there is nothing to say."""

    code: str
    template: str
    context: Callable[[Any, Contract], dict[str, Any] | None]


_termination_notices: dict[str, TerminationNotice] = {}


def register_termination_notice(notice: TerminationNotice) -> TerminationNotice:
    _termination_notices[notice.code] = notice
    return notice


def termination_notices(user: Any, contract: Contract) -> list[dict[str, Any]]:
    """The notes that apply to ``contract`` for ``user``: each ``{"template": ..., "context": ...}``."""
    out = []
    for code in sorted(_termination_notices):
        notice = _termination_notices[code]
        context = notice.context(user, contract)
        if context is not None:
            out.append({"template": notice.template, "context": context})
    return out


# --- what the apps above hold of a contract, which its edits must keep ------------------------------------

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ContractDependent:
    """What an app above holds of contracts (ADR 0013: the contracts app imports none of them; each
    registers one of these from its ``registrations.py``). The callables run inside the contract
    service's transaction, the contract locked; the defaults hold nothing, so with nothing registered
    every line is free and nothing is invoiced.

    - ``ordered(line_ids)``: of these contract lines, those the app's records point at, each with the
      (quantity, amount with VAT) they took of it. A line in the answer (even with zeros) keeps its
      product and cannot be removed; its quantity and amount cannot go below what it took.
    - ``invoiced(contract_id)``: the amount with VAT invoiced on the contract; its amount cannot go below.
    - ``owner_changed(contract)``: the contract (saved) changed hands; what the app keeps of it follows.

    Several apps' answers add up (each takes its own part of a line, invoices its own money)."""

    code: str
    ordered: Callable[[Sequence[int]], Mapping[int, tuple[Decimal, Decimal]]] = lambda line_ids: {}
    invoiced: Callable[[int], Decimal] = lambda contract_id: ZERO
    owner_changed: Callable[[Contract], object] = lambda contract: None


_dependents: dict[str, ContractDependent] = {}


def register_dependent(dependent: ContractDependent) -> ContractDependent:
    _dependents[dependent.code] = dependent
    return dependent


def _each_dependent() -> list[ContractDependent]:
    return [_dependents[code] for code in sorted(_dependents)]


def ordered_of_lines(line_ids: Sequence[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """The contract lines the apps above point at, each with the (quantity, amount) they took of it."""
    out: dict[int, tuple[Decimal, Decimal]] = {}
    if not line_ids:
        return out
    for dependent in _each_dependent():
        for pk, (quantity, amount) in dependent.ordered(line_ids).items():
            was_quantity, was_amount = out.get(pk, (Decimal("0"), ZERO))
            out[pk] = (was_quantity + quantity, was_amount + amount)
    return out


def invoiced_of(contract_id: int) -> Decimal:
    """The amount with VAT the apps above invoiced on the contract."""
    return sum((dependent.invoiced(contract_id) for dependent in _each_dependent()), ZERO)


def owner_changed(contract: Contract) -> None:
    """The contract changed hands: what the apps above keep of it follows."""
    for dependent in _each_dependent():
        dependent.owner_changed(contract)


# --- what contracts made of quotes (the quotes app imports no contracts) -----------------------------------


def _quotes_under_contract(quote_ids: Sequence[int]) -> set[int]:
    """Of these quotes, those a contract was made from. One query."""
    return set(Contract.objects.filter(quote_id__in=list(quote_ids)).values_list("quote_id", flat=True))


register_quote_dependent(QuoteDependent("contracts", contracted=_quotes_under_contract))


# --- HQ review: the approval engine's document type ----------------------------------------------------


def _customer_level(contract: Contract) -> str:
    from xietong.customers.models import Relationship

    return (
        Relationship.objects.filter(customer_id=contract.customer_id, business_unit_id=contract.business_unit_id)
        .values_list("level", flat=True)
        .first()
        or ""
    )


def _product_lines(contract: Contract) -> str:
    lines = contract.lines.values_list("product__product_line", flat=True).distinct()
    return ", ".join(sorted({line for line in lines if line}))


def _business_units() -> list[tuple[int, str]]:
    from xietong.org.models import BusinessUnit

    return list(BusinessUnit.objects.filter(is_active=True).order_by("code").values_list("pk", "name"))


def _title(contract: Contract) -> str:
    version = f" v{contract.version}" if contract.version > 1 else ""
    return f"{contract.number}{version} · {contract.party_a}"


def _summary(c: Any) -> list[tuple[str, str]]:
    """What legal and finance see of the contract on the request page."""
    from django.utils.formats import date_format

    from xietong.core.templatetags.xt import money

    def day(value: Any) -> str:
        return date_format(value) if value else "—"

    return [
        (_("Party A (customer)"), c.party_a),
        (_("Party B (our company)"), c.party_b),
        (_("Amount with VAT"), money(c.amount)),
        (_("Term"), f"{day(c.start_date)} – {day(c.end_date)}"),
        (_("Payment terms"), c.payment_terms or "—"),
        (_("Version"), f"v{c.version}"),
    ]


CONTRACT_DOCUMENT = approvals.register(
    approvals.DocumentType(
        code="contract",
        label=gettext_lazy("Contract"),
        model="contracts.Contract",
        fields=(
            approvals.ConditionField("amount", gettext_lazy("Amount with VAT"), "number", lambda c: c.amount),
            approvals.ConditionField(
                "business_unit",
                gettext_lazy("Business unit"),
                "reference",
                lambda c: c.business_unit_id,
                choices=_business_units,
            ),
            approvals.ConditionField(
                "customer_level", gettext_lazy("Customer level"), "choice", _customer_level, choices=Level.choices
            ),
            approvals.ConditionField("product_line", gettext_lazy("Product line"), "text", _product_lines),
            approvals.ConditionField("payment_terms", gettext_lazy("Payment terms"), "text", lambda c: c.payment_terms),
        ),
        title=_title,
        url=lambda c: detail_url(c.pk),
        business_unit_id=lambda c: c.business_unit_id,
        owner_id=lambda c: c.owner_id,
        amount=lambda c: c.amount,
        summary=_summary,
        on_submitted=services.on_submitted,
        on_approved=services.on_approved,
        on_returned=services.on_returned,
        extra={"is_locked": services.is_locked},
    )
)

# --- navigation and search -------------------------------------------------------------------------------

navigation.register(
    NavItem("quotes", gettext_lazy("Contracts"), "contracts:list", "file-earmark-check", order=20, visible=_may_view)
)
navigation.register(
    NavItem(
        "settings",
        gettext_lazy("Contract numbers"),
        "contracts:sequences",
        "123",
        order=60,
        visible=_may_administer,
    )
)


def search_contracts(user: Any, q: str, limit: int) -> list[SearchHit]:
    if not _may_view(user):
        return []
    rows = selectors.contract_list(user=user, q=q).order_by("-pk")[:limit]
    return [
        SearchHit(
            title=f"{c.number} {c.title}",
            subtitle=" · ".join(p for p in (c.customer.name, c.get_status_display(), str(c.owner)) if p),
            url=detail_url(c.pk),
        )
        for c in rows
    ]


search.register(SearchProvider("contracts", gettext_lazy("Contracts"), "file-earmark-text", search_contracts, 45))

# --- My day: contracts to renew --------------------------------------------------------------------------


def contracts_to_renew_section(user: Any) -> dict[str, Any] | None:
    """My signed or active contracts ending within 60 days, soonest first. One query."""
    if not _may_view(user):
        return None
    rows = list(selectors.to_renew(user=user)[: myday.LIMIT + 1])
    if not rows:
        return None
    return {"items": rows[: myday.LIMIT], "more": len(rows) > myday.LIMIT}


myday.register(
    myday.Section(
        "contracts_to_renew",
        gettext_lazy("Contracts to renew"),
        "contracts/myday_renew.html",
        contracts_to_renew_section,
        order=40,
    )
)

# --- the customer page's tab, panels on quote and opportunity pages -------------------------------------

register_customer_tab(
    CustomerTab(
        "contracts",
        gettext_lazy("Contracts"),
        "contracts/customer_tab.html",
        order=40,
        applies=lambda user, customer: _may_view(user),
    )
)
components.register_record_panel("contracts/record_panel.html", order=20)

# --- the collaboration surface and the record page ------------------------------------------------------

collaboration.register(Contract, owner_field="owner", notify_fields=("owner", "status", "amount", "end_date"))
components.register_record_url("contracts.contract", "contracts:detail")

# --- audit labels -------------------------------------------------------------------------------------------

for _verb, _label in (
    ("from_quote", gettext_lazy("created the contract from a quote")),
    ("contract_submitted", gettext_lazy("submitted the contract for review")),
    ("contract_in_review", gettext_lazy("the contract went into review")),
    ("contract_approved", gettext_lazy("the contract was approved")),
    ("contract_returned", gettext_lazy("the contract came back from review")),
    ("contract_signed", gettext_lazy("signed the contract")),
    ("contract_activated", gettext_lazy("the contract became active")),
    ("contract_expired", gettext_lazy("the contract expired")),
    ("contract_terminated", gettext_lazy("terminated the contract")),
    ("contract_amended", gettext_lazy("amended the contract")),
    ("amendment_approved", gettext_lazy("the amendment was approved")),
    ("amendment_rejected", gettext_lazy("the amendment was rejected and undone")),
):
    audit.register_verb(_verb, _label)
audit.register_change_label("contracts.contract", "lines", gettext_lazy("line items"))
audit.register_access("contracts.contractsequence", _may_administer)

# --- the renewal reminder and the daily job -----------------------------------------------------------------


def _renewal_text(p: dict[str, Any]) -> str:
    return _("Contract %(number)s “%(title)s” ends on %(end)s (in %(days)s days): time to talk about renewal.") % {
        "number": p["number"],
        "title": p["title"],
        "end": p["end_date"],
        "days": p["days"],
    }


kinds.register(kinds.Kind("contract_renewal", gettext_lazy("Contracts"), _renewal_text))

scheduling.register(
    "contracts-daily",
    tasks.contracts_daily,
    every=timedelta(days=1),
    description="activate contracts whose start has come, expire those past their end, remind owners of renewals",
)
