"""The customers app in the shared UI (imported from ``CustomersConfig.ready``): the left navigation
(客户 · 联系人 · 被遗忘的客户), the collaboration surface of customers and contacts, the timeline's
"follow_up" entries, due follow-ups in the calendar and on My day, the global search, record
pages for the audit trail, and the extension point for tabs on the customer page
(``register_customer_tab``) that later apps (opportunities, quotes, contracts …) use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.collaboration import calendar, myday, registry, timeline
from xietong.core import audit, navigation, search
from xietong.core.components import register_record_url
from xietong.core.navigation import NavItem
from xietong.core.search import SearchHit, SearchProvider

from . import selectors
from .models import Contact, Customer, FollowUp

# --- tabs on the customer page (NetBox's template extensions) -----------------------------------------


@dataclass(frozen=True)
class CustomerTab:
    """A tab of the 360° page. ``template`` renders with ``customer``, ``card`` (selectors.CustomerCard)
    and ``request`` in its context and runs its own selectors (visibility applied); ``applies(user,
    customer)`` hides the tab from users who have nothing to see in it."""

    code: str
    label: str | Promise
    template: str
    order: int = 100
    applies: Callable[[Any, Customer], bool] = lambda user, customer: True


_tabs: dict[str, CustomerTab] = {}


def register_customer_tab(tab: CustomerTab) -> CustomerTab:
    _tabs[tab.code] = tab
    return tab


def customer_tabs(user: Any, customer: Customer) -> list[CustomerTab]:
    return [t for t in sorted(_tabs.values(), key=lambda t: (t.order, t.code)) if t.applies(user, customer)]


# --- navigation, record pages, audit labels ------------------------------------------------------------


def _may_view(user: Any) -> bool:
    return bool(user.access.can("customers", "view"))


navigation.register(
    NavItem("customers", gettext_lazy("Customers"), "customers:customer_list", "buildings", 10, _may_view)
)
navigation.register(
    NavItem("customers", gettext_lazy("Contacts"), "customers:contact_list", "person-lines-fill", 20, _may_view)
)
navigation.register(
    NavItem("customers", gettext_lazy("Forgotten customers"), "customers:forgotten", "hourglass-split", 60, _may_view)
)

register_record_url("customers.customer", "customers:customer_detail")
register_record_url("customers.contact", "customers:contact_detail")

audit.register_verb("linked", gettext_lazy("Linked to an existing customer"))
audit.register_verb("bu_linked", gettext_lazy("Another business unit started working with the customer"))
audit.register_verb("transferred", gettext_lazy("Transferred"))
audit.register_verb("contact_deleted", gettext_lazy("Contact deleted"))
audit.register_verb("check_in", gettext_lazy("Visit checked in"))
audit.register_change_label("customers.customer", "contact", gettext_lazy("Contact"))

registry.register(Customer, notify_fields=("name", "credit_code", "province", "city", "tags"))
registry.register(Contact)


# --- the timeline: follow-ups ------------------------------------------------------------------------

_FOLLOWUP_TEMPLATE = "customers/timeline/followup.html"


def _followup_text(fu: FollowUp) -> str:
    text = f"{fu.get_kind_display()} · {fu.owner}: {fu.content}"
    if fu.outcome:
        text += f" ({_('Outcome')}: {fu.outcome})"
    if fu.next_at:
        text += f" · {_('Next follow-up')}: {timezone.localtime(fu.next_at):%Y-%m-%d %H:%M}"
    return text


def fetch_followups(
    *, user: Any, record: Any, cursor: timeline.Cursor | None, limit: int
) -> list[timeline.TimelineEntry]:
    """The follow-ups ``user`` sees on the record (a customer: its own and its contacts'), placed at
    the time they happened. Follow-ups are narrower than their record (per business unit), so this
    source applies their own visibility. One query."""
    if not isinstance(record, Customer | Contact) and not hasattr(record, "next_follow_up_at"):
        return []
    qs = selectors.followup_list(user=user, record=record)
    if cursor is not None:
        qs = qs.filter(cursor.q("follow_up", created_field="occurred_at"))
    return [
        timeline.TimelineEntry("follow_up", fu.pk, fu.occurred_at, fu.owner, _FOLLOWUP_TEMPLATE, fu, _followup_text)
        for fu in qs[:limit]
    ]


timeline.register_source(timeline.TimelineSource("follow_up", gettext_lazy("Follow-ups"), fetch_followups))


# --- the calendar and My day: follow-ups due -------------------------------------------------------------


def followup_entries(user: Any, start: datetime, end: datetime, scope: str = "mine") -> list[calendar.CalendarEntry]:
    """Open "next follow-ups" due in ``[start, end)`` that ``user`` sees (one query, plus one per kind
    of record for the names)."""
    if not _may_view(user) and scope != "mine":
        return []
    found = list(selectors.followups_due(user=user, since=start, until=end, scope=scope))
    names = selectors.record_names(found, user=user)
    entries = []
    for fu in found:
        assert fu.next_at is not None
        name, url = names.get(fu.pk, ("", ""))
        entries.append(
            calendar.CalendarEntry(
                kind="followup",
                key=f"followup-{fu.pk}",
                title=_("Follow up: %(record)s") % {"record": name or fu.get_kind_display()},
                start=fu.next_at,
                url=url,
                css_class="xt-cal-followup",
                status=fu.kind,
                status_label=fu.get_kind_display(),
                description=f"{fu.owner}: {fu.content}",
                updated_at=fu.created_at,
            )
        )
    return entries


calendar.register(calendar.CalendarSource("followup", gettext_lazy("Follow-ups"), followup_entries))


def followups_due_today(user: Any) -> dict[str, Any] | None:
    """My open "next follow-ups" due today or overdue, soonest first."""
    items = list(selectors.followups_due(user=user, until=myday.end_of_today())[: myday.LIMIT + 1])
    if not items and not _may_view(user):
        return None
    shown = items[: myday.LIMIT]
    names = selectors.record_names(shown, user=user)
    now = timezone.now()
    for fu in shown:
        fu.record_name, fu.record_url = names.get(fu.pk, ("", ""))  # type: ignore[attr-defined]
        fu.is_overdue = bool(fu.next_at and fu.next_at < now)  # type: ignore[attr-defined]
    return {"items": shown, "count": len(shown), "more": len(items) > myday.LIMIT}


myday.register(
    myday.Section(
        "followups", gettext_lazy("Follow-ups due"), "customers/myday/followups.html", followups_due_today, 15
    )
)


# --- the global search -------------------------------------------------------------------------------


def search_customers(user: Any, q: str, limit: int) -> list[SearchHit]:
    if not _may_view(user):
        return []
    return [
        SearchHit(
            title=c.name,
            subtitle=" · ".join(p for p in (c.short_name, c.region, c.industry) if p),
            url=reverse("customers:customer_detail", args=[c.pk]),
        )
        for c in selectors.customer_search(user=user, q=q, limit=limit)
    ]


def search_contacts(user: Any, q: str, limit: int) -> list[SearchHit]:
    if not _may_view(user):
        return []
    return [
        SearchHit(
            title=c.name,
            subtitle=" · ".join(p for p in (c.customer.name, c.title, c.mobile or c.phone, c.email) if p),
            url=reverse("customers:contact_detail", args=[c.pk]),
        )
        for c in selectors.contact_search(user=user, q=q, limit=limit)
    ]


search.register(SearchProvider("customers", gettext_lazy("Customers"), "buildings", search_customers, order=40))
search.register(SearchProvider("contacts", gettext_lazy("Contacts"), "person-lines-fill", search_contacts, order=45))

from . import demo  # noqa: E402,F401  (the demo customers: org/demo.py runs the step)
