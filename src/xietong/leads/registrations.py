"""What the leads app adds to the shared surfaces (imported from ``LeadsConfig.ready``, no I/O):
the navigation, the global search, a My-day section, the timeout job, the collaboration surface of
a lead, the follow-up visibility rule for leads, notification kinds, audit labels and the demo step."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.collaboration import kinds, myday, registry
from xietong.collaboration.tasks import deliver_notifications
from xietong.core import audit, components, events, navigation, scheduling, search
from xietong.core.navigation import NavItem
from xietong.core.search import SearchHit, SearchProvider
from xietong.core.visibility import Access, Rule
from xietong.customers.visibility import FOLLOW_UPS

from . import selectors, tasks
from .models import Lead

# --- navigation -------------------------------------------------------------------------------


def _may_view(user: Any) -> bool:
    return bool(user.access.can("leads", "view"))


navigation.register(NavItem("customers", gettext_lazy("Leads"), "leads:list", "funnel", order=30, visible=_may_view))
navigation.register(
    NavItem("customers", gettext_lazy("Lead pools"), "leads:pool_leads", "inboxes", order=40, visible=_may_view)
)
navigation.register(
    NavItem(
        "settings",
        gettext_lazy("Lead assignment"),
        "leads:settings",
        "shuffle",
        order=60,
        visible=lambda user: bool(user.access.can("leads", "administer")),
    )
)

# --- global search ------------------------------------------------------------------------------


def search_leads(user: Any, q: str, limit: int) -> list[SearchHit]:
    return [
        SearchHit(
            title=str(lead),
            subtitle=" · ".join(p for p in (lead.contact_name, lead.get_status_display(), str(lead.owner or "")) if p),
            url=reverse("leads:detail", args=[lead.pk]),
        )
        for lead in selectors.lead_search(user=user, q=q, limit=limit)
    ]


search.register(SearchProvider("leads", gettext_lazy("Leads"), "funnel", search_leads, order=25))

# --- My day: leads waiting for a first contact ------------------------------------------------


def first_contact_section(user: Any) -> dict[str, Any] | None:
    if not _may_view(user):
        return None
    items = list(selectors.waiting_for_first_contact(user=user)[: myday.LIMIT + 1])
    if not items:
        return None
    return {"items": items[: myday.LIMIT], "more": len(items) > myday.LIMIT}


myday.register(
    myday.Section(
        "leads_first_contact",
        gettext_lazy("New leads to contact"),
        "leads/myday/first_contact.html",
        first_contact_section,
        order=12,
    )
)

# --- timeouts ---------------------------------------------------------------------------------

scheduling.register(
    "lead-timeouts",
    tasks.process_lead_timeouts,
    every=timedelta(minutes=15),
    description="remind owners of leads not contacted in time, then reassign them or return them to the pool",
)

# --- the collaboration surface and record pages -----------------------------------------------

registry.register(Lead, owner_field="owner", notify_fields=("owner", "status", "pool"))
components.register_record_url("leads.lead", "leads:detail")

# --- follow-ups on leads are seen by whoever sees the lead ------------------------------------


def follow_ups_on_visible_leads(access: Access, action: str) -> list[Rule]:
    if not access.user_id:
        return []
    leads = Lead.objects.visible_to(SimpleNamespace(access=access), action).values("pk")
    content_type = ContentType.objects.get_for_model(Lead)
    return [Rule(_("You see the lead it is on"), Q(content_type_id=content_type.pk, object_id__in=leads))]


FOLLOW_UPS.add_rule_provider(follow_ups_on_visible_leads)

# --- notifications ----------------------------------------------------------------------------

LEADS_KIND = gettext_lazy("Leads")


def _assigned_text(p: dict[str, Any]) -> str:
    if p.get("actor"):
        return _("%(actor)s gave you the lead “%(lead)s”.") % {"actor": p["actor"], "lead": p["lead"]}
    if p.get("rule"):
        return _("The rule “%(rule)s” gave you the lead “%(lead)s”.") % {"rule": p["rule"], "lead": p["lead"]}
    return _("You have a new lead: “%(lead)s”.") % {"lead": p["lead"]}


kinds.register(kinds.Kind("lead_assigned", LEADS_KIND, _assigned_text))
kinds.register(
    kinds.Kind(
        "lead_contact_overdue",
        LEADS_KIND,
        lambda p: (
            _("Nobody has contacted the lead “%(lead)s” within %(hours)s hours.")
            % {"lead": p["lead"], "hours": p["hours"]}
        ),
    )
)
kinds.register(
    kinds.Kind(
        "lead_taken_back",
        LEADS_KIND,
        lambda p: (
            _("The lead “%(lead)s” was not contacted in time and has gone to someone else or back to the pool.")
            % {"lead": p["lead"]}
        ),
    )
)


@events.subscriber("leads.assigned")
def _tell_new_owner(event: events.Event) -> None:
    data = event.data
    deliver_notifications.enqueue(
        event_key=event.key,
        kind="lead_assigned",
        recipient_ids=[data["owner_id"]],
        actor_id=data["actor_id"],
        record=["leads.lead", data["lead_id"]],
        params={"actor": data["actor"], "lead": data["lead"], "rule": data["rule"]},
    )


# --- how the audit trail reads ----------------------------------------------------------------

for _verb, _label in (
    ("lead_assign", gettext_lazy("assigned the lead")),
    ("lead_transfer", gettext_lazy("transferred the lead")),
    ("assigned_by_rule", gettext_lazy("assigned by rule")),
    ("lead_claim", gettext_lazy("claimed the lead")),
    ("return_to_pool", gettext_lazy("returned the lead to the pool")),
    ("mark_invalid", gettext_lazy("marked the lead invalid")),
    ("lead_convert", gettext_lazy("converted the lead")),
    ("web_form", gettext_lazy("captured by a web form")),
    ("timeout_reassign", gettext_lazy("reassigned: not contacted in time")),
    ("timeout_return", gettext_lazy("returned to the pool: not contacted in time")),
):
    audit.register_verb(_verb, _label)
audit.register_change_label("leads.lead", "converted_customer", gettext_lazy("Customer"))
audit.register_change_label("leads.lead", "converted_contact", gettext_lazy("Contact"))

# --- demo data --------------------------------------------------------------------------------

from . import demo  # noqa: E402,F401  (registers the demo step)
