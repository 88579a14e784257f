"""What this part of the pipeline app adds to the shared surfaces (imported from ``PipelineConfig.ready``,
no I/O): the navigation (board, list, pipeline analysis), the global search, My day's "pipeline
health", the customer page's "Opportunities" tab, the collaboration surface of an opportunity, the
follow-up visibility rule for opportunities, audit verb labels, and the notification of new
deal-team members."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, IntegerField, Q, Value, When
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.collaboration import kinds, myday, registry
from xietong.collaboration.tasks import deliver_notifications
from xietong.core import audit, components, events, navigation, search
from xietong.core.navigation import NavItem
from xietong.core.search import SearchHit, SearchProvider
from xietong.core.visibility import Access, Rule
from xietong.customers.registrations import CustomerTab, register_customer_tab
from xietong.customers.visibility import FOLLOW_UPS
from xietong.leads import services as leads_services

from . import selectors
from .models import Opportunity

MODULE = "opportunities"


def _may_view(user: Any) -> bool:
    return bool(user.access.can(MODULE, "view"))


def detail_url(pk: int) -> str:
    """The opportunity's page, or the list while the page does not exist."""
    try:
        return reverse("pipeline:opportunity_detail", args=[pk])
    except NoReverseMatch:
        return reverse("pipeline:list")


# --- navigation ---------------------------------------------------------------------------------

navigation.register(NavItem("pipeline", gettext_lazy("Board"), "pipeline:board", "kanban", order=10, visible=_may_view))
navigation.register(
    NavItem("pipeline", gettext_lazy("Opportunities"), "pipeline:list", "briefcase", order=20, visible=_may_view)
)
# after the forecast (order 30, forecast_registrations.py), before the products (40): who sees the board
# analyses what they see
navigation.register(
    NavItem("pipeline", gettext_lazy("Pipeline analysis"), "pipeline:analytics", "funnel", order=35, visible=_may_view)
)

# --- global search --------------------------------------------------------------------------------


def search_opportunities(user: Any, q: str, limit: int) -> list[SearchHit]:
    """Visible opportunities whose name or customer contains ``q``, open ones first, then the newest."""
    if not _may_view(user):
        return []
    open_first = Case(When(status="open", then=Value(0)), default=Value(1), output_field=IntegerField())
    rows = selectors.opportunity_list(user=user, q=q, status="all").order_by(open_first, "-pk")[:limit]
    return [
        SearchHit(
            title=o.name,
            subtitle=" · ".join(p for p in (o.customer.name, o.stage.name, str(o.owner)) if p),
            url=detail_url(o.pk),
        )
        for o in rows
    ]


search.register(SearchProvider("opportunities", gettext_lazy("Opportunities"), "briefcase", search_opportunities, 30))

# --- My day: pipeline health ------------------------------------------------------------------------


def _with_health(items: list[Opportunity]) -> list[Opportunity]:
    for item in items:
        item.health = selectors.health_of(item)  # type: ignore[attr-defined]
    return items


def pipeline_health_section(user: Any) -> dict[str, Any] | None:
    """My open deals that are stale, overdue or too long in their stage; for managers also their
    team's (others' deals only: mine are in the first list). Two queries (one per list)."""
    if not _may_view(user):
        return None
    mine = list(selectors.unhealthy(user=user, scope="mine")[: myday.LIMIT + 1])
    team: list[Opportunity] = []
    if user.access.managed_paths:
        team = list(
            selectors.unhealthy(user=user, scope="team")
            .exclude(owner_id=user.pk)
            .exclude(team__user_id=user.pk)[: myday.LIMIT + 1]
        )
    if not mine and not team:
        return None
    return {
        "items": _with_health(mine[: myday.LIMIT]),
        "more": len(mine) > myday.LIMIT,
        "team_items": _with_health(team[: myday.LIMIT]),
        "team_more": len(team) > myday.LIMIT,
    }


myday.register(
    myday.Section(
        "pipeline_health",
        gettext_lazy("Pipeline health"),
        "pipeline/myday_health.html",
        pipeline_health_section,
        order=18,
    )
)

# --- the customer page's "Opportunities" tab ----------------------------------------------------------

register_customer_tab(
    CustomerTab(
        "opportunities",
        gettext_lazy("Opportunities"),
        "pipeline/customer_tab.html",
        order=20,
        applies=lambda user, customer: _may_view(user),
    )
)

# --- the collaboration surface and record pages -------------------------------------------------------

registry.register(
    Opportunity, owner_field="owner", notify_fields=("owner", "stage", "status", "amount", "expected_close")
)
components.register_record_url("pipeline.opportunity", "pipeline:opportunity_detail")  # reversed when shown

# --- follow-ups on opportunities are seen by whoever sees the opportunity ----------------------------


def follow_ups_on_visible_opportunities(access: Access, action: str) -> list[Rule]:
    if not access.user_id:
        return []
    opportunities = Opportunity.objects.visible_to(SimpleNamespace(access=access), action).values("pk")
    content_type = ContentType.objects.get_for_model(Opportunity)
    return [
        Rule(
            _("You see the opportunity it is on"),
            Q(content_type_id=content_type.pk, object_id__in=opportunities),
        )
    ]


FOLLOW_UPS.add_rule_provider(follow_ups_on_visible_opportunities)

# --- notifications: new members of a deal team --------------------------------------------------------

OPPORTUNITIES_KIND = gettext_lazy("Opportunities")


def _team_joined_text(p: dict[str, Any]) -> str:
    return _("%(actor)s added you to the deal team of “%(opportunity)s”.") % {
        "actor": p["actor"],
        "opportunity": p["opportunity"],
    }


kinds.register(kinds.Kind("opportunity_team_joined", OPPORTUNITIES_KIND, _team_joined_text))


@events.subscriber("pipeline.team_joined")
def _tell_new_members(event: events.Event) -> None:
    data = event.data
    recipients = [pk for pk in data.get("user_ids") or [] if pk != data.get("actor_id")]
    if not recipients:
        return
    name = Opportunity.objects.filter(pk=data["opportunity_id"]).values_list("name", flat=True).first() or ""
    actor = get_user_model()._default_manager.filter(pk=data.get("actor_id")).first()
    deliver_notifications.enqueue(
        event_key=event.key,
        kind="opportunity_team_joined",
        recipient_ids=recipients,
        actor_id=data.get("actor_id"),
        record=["pipeline.opportunity", data["opportunity_id"]],
        params={"actor": str(actor or ""), "opportunity": name},
    )


# --- how the audit trail reads ----------------------------------------------------------------------

for _verb, _label in (
    ("stage_move", gettext_lazy("moved to another stage")),
    ("won", gettext_lazy("marked the opportunity won")),
    ("lost", gettext_lazy("marked the opportunity lost")),
    ("reopened", gettext_lazy("reopened the opportunity")),
    ("lines", gettext_lazy("changed the product lines")),
    ("contacts", gettext_lazy("changed the contacts")),
    ("team", gettext_lazy("changed the deal team")),
    ("checklist", gettext_lazy("ticked the checklist")),
):
    audit.register_verb(_verb, _label)
for _key, _label in (
    ("lines", gettext_lazy("product lines")),
    ("contacts", gettext_lazy("contacts")),
    ("team", gettext_lazy("deal team")),
):
    audit.register_change_label("pipeline.opportunity", _key, _label)


# --- converting a lead can open an opportunity ------------------------------------------------------


def opportunity_from_lead(*, lead: Any, actor: Any, customer: Any, contact: Any, options: dict[str, Any]) -> None:
    """``leads.services.lead_convert`` step: with ``options["opportunity"]`` (name, amount, expected
    close), the converted customer gets an opportunity at the first stage of the lead's BU's process,
    linked to the lead, its source and campaign, the new contact as the decision maker. Its id goes
    back in ``options["opportunity_id"]``. Inside the conversion's transaction: a refusal undoes all."""
    from django.core.exceptions import ValidationError

    from . import services

    wanted = options.get("opportunity")
    if wanted is None:
        return
    if not actor.access.can("opportunities", "create"):
        raise ValidationError({"opportunity": _("Your roles do not allow you to create opportunities.")})
    amount = wanted.get("amount")
    if amount in (None, ""):
        amount = lead.budget if lead.budget is not None else "0"
    name = (wanted.get("name") or "").strip() or " · ".join(p for p in (customer.name, lead.product_interest) if p)
    opportunity = services.opportunity_create(
        actor=actor,
        customer=customer,
        name=name,
        business_unit=lead.business_unit,
        lead=lead,
        amount=amount,
        expected_close=wanted.get("expected_close"),
        source=lead.source,
        campaign=lead.campaign,
        contacts=[{"contact": contact, "role": "decision_maker"}] if contact is not None else [],
    )
    options["opportunity_id"] = opportunity.pk


leads_services.register_conversion_step(opportunity_from_lead)
