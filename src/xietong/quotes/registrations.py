"""What quotes add to the shared surfaces (imported from ``QuotesConfig.ready``, no I/O): the approval
document type "quote", the stage gate "a quote", the navigation, the opportunity page's quotes
panel, the customer page's "Quotes" tab, record URLs and the audit trail's verbs; and the extension
point the apps above use to tell the quotes' services what they made of a quote
(``register_dependent``: the quotes under contract). ADR 0013: quotes import no contracts."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.approvals import registry as approvals
from xietong.collaboration import kinds
from xietong.core import audit, components, navigation
from xietong.core.navigation import NavItem
from xietong.customers.registrations import CustomerTab, register_customer_tab
from xietong.pipeline import gates

from . import services

MODULE = "quotes"


def _may_view(user: Any) -> bool:
    return bool(user.access.can(MODULE, "view"))


# --- what the apps above made of a quote, which the quotes' services must keep ---------------------------


@dataclass(frozen=True)
class QuoteDependent:
    """What an app above made of quotes (ADR 0013: quotes import none of them; each registers one of
    these from its ``registrations.py``). ``contracted(quote_ids)``: of these quotes, those a contract
    was made from (an accepted quote under contract is not superseded by another). The default: none."""

    code: str
    contracted: Callable[[Sequence[int]], Collection[int]] = lambda quote_ids: ()


_dependents: dict[str, QuoteDependent] = {}


def register_dependent(dependent: QuoteDependent) -> QuoteDependent:
    _dependents[dependent.code] = dependent
    return dependent


def contracted_of(quote_ids: Sequence[int]) -> set[int]:
    """The quotes among ``quote_ids`` that the apps above made a contract from."""
    out: set[int] = set()
    if quote_ids:
        for code in sorted(_dependents):
            out.update(_dependents[code].contracted(quote_ids))
    return out


# --- the approval engine's document type ------------------------------------------------------------


def _product_lines(quote: Any) -> str:
    from .models import QuoteLine

    names = (
        QuoteLine.objects.filter(quote_id=quote.pk)
        .exclude(product__product_line="")
        .values_list("product__product_line", flat=True)
        .distinct()
    )
    return "、".join(sorted(set(names)))


def _customer_level(quote: Any) -> str:
    from xietong.customers.models import Relationship

    level = (
        Relationship.objects.filter(customer_id=quote.customer_id, business_unit_id=quote.business_unit_id)
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


def _title(quote: Any) -> str:
    return f"{quote.number} v{quote.version} · {quote.customer}"


def _summary(q: Any) -> list[tuple[str, str]]:
    """What the approver of a discount sees without opening the quote."""
    from django.utils.formats import date_format

    from xietong.core.templatetags.xt import money

    lines = list(q.lines.select_related("product").order_by("position", "pk"))
    facts = [
        (_("Customer"), q.customer.name),
        (_("Opportunity"), q.opportunity.name),
        (_("Total without VAT"), money(q.net_total)),
        (
            _("Discount"),
            _("%(amount)s · up to %(percent)s%% on a line")
            % {"amount": money(q.discount_total), "percent": q.max_discount},
        ),
        (_("Valid until"), date_format(q.valid_until) if q.valid_until else "—"),
    ]
    for line in lines[:5]:
        quantity = f"{line.quantity.normalize():f}"
        # the line's discount as the flow counts it: a price below the book's included
        percent = services.figures_of(line).off_book_percent
        facts.append((line.product.name, f"{quantity} × {money(line.unit_price)} − {percent}%"))
    if len(lines) > 5:
        facts.append(("…", _("%(count)s more lines") % {"count": len(lines) - 5}))
    return facts


approvals.register(
    approvals.DocumentType(
        code="quote",
        label=gettext_lazy("Quote (discount)"),
        model="quotes.Quote",
        fields=(
            approvals.ConditionField("total", gettext_lazy("Total with VAT"), "number", lambda q: q.total),
            approvals.ConditionField(
                "max_discount", gettext_lazy("Largest line discount (%)"), "number", lambda q: q.max_discount
            ),
            approvals.ConditionField(
                "business_unit",
                gettext_lazy("Business unit"),
                "reference",
                lambda q: q.business_unit_id,
                choices=_business_units,
            ),
            approvals.ConditionField("product_line", gettext_lazy("Product lines"), "text", _product_lines),
            approvals.ConditionField(
                "customer_level", gettext_lazy("Customer level"), "choice", _customer_level, choices=_levels()
            ),
        ),
        title=_title,
        url=lambda q: reverse("quotes:detail", args=[q.pk]),
        business_unit_id=lambda q: q.business_unit_id,
        owner_id=lambda q: q.owner_id,
        amount=lambda q: q.total,
        summary=_summary,
        on_submitted=services.on_submitted,
        on_approved=services.on_approved,
        on_returned=services.on_returned,
        extra={"is_locked": services.is_locked},
    )
)

# --- the stage gate -------------------------------------------------------------------------------------

gates.register("quote", gettext_lazy("a quote"), services.quote_has_gate)

# --- navigation, record pages, customer tab ----------------------------------------------------------

navigation.register(
    NavItem("quotes", gettext_lazy("Quotes"), "quotes:list", "file-earmark-text", order=10, visible=_may_view)
)
navigation.register(
    NavItem(
        "quotes",
        gettext_lazy("Price books"),
        "quotes:price_books",
        "tags",
        order=30,
        visible=_may_view,
    )
)
components.register_record_panel("quotes/opportunity_panel.html", order=40)
components.register_record_url("quotes.quote", "quotes:detail")
components.register_record_url("quotes.pricebook", "quotes:price_book_detail")
register_customer_tab(
    CustomerTab(
        "quotes",
        gettext_lazy("Quotes"),
        "quotes/customer_tab.html",
        order=30,
        applies=lambda user, customer: _may_view(user),
    )
)

# --- how the audit trail reads ----------------------------------------------------------------------

for _verb, _label in (
    ("quote_submitted", gettext_lazy("submitted the quote for approval")),
    ("quote_in_approval", gettext_lazy("the quote entered approval")),
    ("quote_approved", gettext_lazy("the quote was approved")),
    ("quote_returned", gettext_lazy("the quote came back from approval")),
    ("quote_sent", gettext_lazy("sent the quote to the customer")),
    ("quote_accepted", gettext_lazy("recorded the customer's acceptance")),
    ("quote_rejected", gettext_lazy("recorded the customer's rejection")),
    ("quote_superseded", gettext_lazy("superseded by a newer version")),
    ("quote_new_version", gettext_lazy("made a new version of the quote")),
    ("quote_price", gettext_lazy("changed a price")),
    ("quote_prices_imported", gettext_lazy("imported prices")),
):
    audit.register_verb(_verb, _label)
audit.register_verb("quote_lines", gettext_lazy("changed the quote lines"))
audit.register_change_label("quotes.quote", "lines", gettext_lazy("lines"))

# --- e-mailing a quote (mailing.py) ---------------------------------------------------------------

audit.register_verb("quote_emailed", gettext_lazy("e-mailed the quote to the customer"))
audit.register_change_label("quotes.quote", "recipients", gettext_lazy("recipients"))
audit.register_change_label("quotes.quote", "subject", gettext_lazy("subject"))
kinds.register(
    kinds.Kind(
        "quote_email_failed",
        gettext_lazy("Quotes"),
        lambda p: (
            _("The e-mail of quote %(quote)s to %(to)s could not be sent; send it again from the quote.")
            % {"quote": p["quote"], "to": p["to"]}
        ),
    )
)
