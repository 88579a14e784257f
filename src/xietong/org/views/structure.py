"""The group, its business units and the team tree."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.core.components import history_panel
from xietong.core.errors import Conflict
from xietong.core.forms import posted, service_errors
from xietong.core.htmx import done, page_view, render_form, render_page
from xietong.core.params import as_int

from .. import policies, selectors, services
from ..forms import BusinessUnitForm, GroupForm, TeamCreateForm, TeamEditForm, TeamManagersForm, TeamMoveForm
from ..models import BusinessUnit, Team
from .records import actor, record_for

USERS_ON_BU_PAGE = 20


def _require_org_admin(request: HttpRequest) -> None:
    if not policies.is_org_admin(actor(request)):
        raise PermissionDenied(_("Only group administrators can do this."))


def _bu_crumbs(bu: BusinessUnit | None = None) -> list[tuple[str, str]]:
    crumbs = [(_("Organisation"), reverse("org:overview"))]
    if bu is not None:
        crumbs.append((bu.name, reverse("org:bu_detail", args=[bu.pk])))
    return crumbs


# --- overview and the group -------------------------------------------------------------------


@page_view
def overview(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    policies.require(user, "org", "view")
    teams_by_bu: dict[int, list[Team]] = defaultdict(list)
    for team in selectors.team_tree(user=user):
        teams_by_bu[team.business_unit_id].append(team)
    business_units = [(bu, teams_by_bu.get(bu.pk, [])) for bu in selectors.business_unit_list(user=user)]
    return render_page(
        request,
        "org/overview.html",
        {
            "group": services.group_get(),
            "business_units": business_units,
            "is_org_admin": policies.is_org_admin(user),
        },
    )


@page_view
def group_edit(request: HttpRequest) -> HttpResponse:
    _require_org_admin(request)
    group = services.group_get()
    form = GroupForm(
        posted(request), initial={"name": group.name, "short_name": group.short_name, "credit_code": group.credit_code}
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.group_update(actor=actor(request), **form.cleaned_data)
        if form.is_valid():
            messages.success(request, _("The group has been saved."))
            return done(request, reverse("org:overview"))
    return render_form(
        request,
        form,
        title=_("Edit the group"),
        cancel_url=reverse("org:overview"),
        context={"breadcrumbs": _bu_crumbs()},
    )


# --- business units ---------------------------------------------------------------------------


@page_view
def bu_create(request: HttpRequest) -> HttpResponse:
    _require_org_admin(request)
    form = BusinessUnitForm(posted(request))
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            bu = services.business_unit_create(actor=actor(request), **form.cleaned_data)
        if form.is_valid():
            messages.success(request, _("Business unit “%(name)s” created.") % {"name": bu.name})
            return done(request, reverse("org:bu_detail", args=[bu.pk]))
    return render_form(
        request,
        form,
        title=_("New business unit"),
        cancel_url=reverse("org:overview"),
        submit_label=_("Create"),
        context={"breadcrumbs": _bu_crumbs()},
    )


@page_view
def bu_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    bu = selectors.business_unit_get(user=user, pk=pk)
    teams = list(selectors.team_tree(user=user, business_unit_id=bu.pk, include_inactive=True))
    users = selectors.user_list(user=user, business_unit_id=bu.pk)
    return render_page(
        request,
        "org/bu_detail.html",
        {
            "bu": bu,
            "teams": teams,
            "active_team_count": sum(1 for t in teams if t.is_active),
            "users": users[:USERS_ON_BU_PAGE],
            "user_count": users.count(),
            "breadcrumbs": _bu_crumbs(),
            "why_url": reverse("org:bu_why", args=[bu.pk]),
            **history_panel(bu, url=reverse("org:bu_history", args=[bu.pk])),
        },
    )


@page_view
def bu_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    bu = record_for(request, selectors.business_unit_get, pk, "administer", within="edit")
    form = BusinessUnitForm(
        posted(request), initial={name: getattr(bu, name) for name in ("code", "name", "description", "product_lines")}
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.business_unit_update(actor=user, business_unit=bu, **form.cleaned_data)
        if form.is_valid():
            messages.success(request, _("The business unit has been saved."))
            return done(request, reverse("org:bu_detail", args=[bu.pk]))
    return render_form(
        request,
        form,
        title=_("Edit %(name)s") % {"name": bu.name},
        cancel_url=reverse("org:bu_detail", args=[bu.pk]),
        context={"breadcrumbs": _bu_crumbs(bu)},
    )


@page_view
@require_POST
def bu_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    bu = record_for(request, selectors.business_unit_get, pk, "administer", within="edit")
    is_active = request.POST.get("is_active") == "1"
    services.business_unit_update(actor=user, business_unit=bu, is_active=is_active)
    messages.success(
        request,
        (_("“%(name)s” has been reactivated.") if is_active else _("“%(name)s” has been deactivated."))
        % {"name": bu.name},
    )
    return done(request, reverse("org:bu_detail", args=[bu.pk]))


# --- teams ------------------------------------------------------------------------------------


def _team_crumbs(request: HttpRequest, team: Team) -> list[tuple[str, str]]:
    crumbs = _bu_crumbs(team.business_unit)
    for ancestor in selectors.team_ancestors(user=actor(request), team=team):
        crumbs.append((ancestor.name, reverse("org:team_detail", args=[ancestor.pk])))
    return crumbs


@page_view
def team_create(request: HttpRequest) -> HttpResponse:
    """A new team; choosing the business unit refreshes the parent choices in place (htmx)."""
    user = actor(request)
    policies.require(user, "org", "create")
    source = request.POST if request.method == "POST" else request.GET
    bu_id, parent_id = as_int(source.get("business_unit"), None), as_int(source.get("parent"), None)
    if parent_id and not bu_id:  # "add a sub-team" links name only the parent
        parent = selectors.team_choices(user=user, action="create").filter(pk=parent_id).first()
        bu_id = parent.business_unit_id if parent else None
    initial = {
        "business_unit": bu_id,
        "parent": parent_id,
        "name": source.get("name", ""),
        "team_type": source.get("team_type") or None,
    }
    form = TeamCreateForm(
        posted(request),
        initial=initial,
        refresh_url=reverse("org:team_create"),
        teams=selectors.team_choices(user=user, action="create", business_unit_id=bu_id),
        business_units=selectors.business_unit_choices(user=user),
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form, denied=True):
            team = services.team_create(actor=user, **form.cleaned_data)
        if form.is_valid():
            messages.success(request, _("Team “%(name)s” created.") % {"name": team.name})
            return done(request, reverse("org:team_detail", args=[team.pk]))
    return render_form(
        request,
        form,
        title=_("New team"),
        cancel_url=reverse("org:overview"),
        submit_label=_("Create"),
        context={"breadcrumbs": _bu_crumbs()},
    )


@page_view
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    team = selectors.team_get(user=user, pk=pk)
    members = list(selectors.team_members(team=team, user=user))
    return render_page(
        request,
        "org/team_detail.html",
        {
            "team": team,
            "members": members,
            "managers": [m.user for m in members if m.is_manager],
            "subteams": list(selectors.team_tree(user=user, root=team, include_inactive=True)),
            "depth_offset": -(team.depth + 1),  # its sub-teams start at the top of the little tree
            "breadcrumbs": _team_crumbs(request, team),
            "why_url": reverse("org:team_why", args=[team.pk]),
            **history_panel(team, url=reverse("org:team_history", args=[team.pk])),
        },
    )


@page_view
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    team = record_for(request, selectors.team_get, pk, "edit")
    form = TeamEditForm(posted(request), initial={"name": team.name, "team_type": team.team_type})
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.team_update(actor=user, team=team, **form.cleaned_data)
        if form.is_valid():
            messages.success(request, _("The team has been saved."))
            return done(request, reverse("org:team_detail", args=[team.pk]))
    return render_form(
        request,
        form,
        title=_("Edit %(name)s") % {"name": team.name},
        cancel_url=reverse("org:team_detail", args=[team.pk]),
        context={"breadcrumbs": _team_crumbs(request, team)},
    )


@page_view
def team_move(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    team = record_for(request, selectors.team_get, pk, "edit")
    form = TeamMoveForm(
        posted(request), initial={"parent": team.parent_id}, teams=selectors.team_move_targets(user=user, team=team)
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form, denied=True):
            services.team_move(actor=user, team=team, parent=form.cleaned_data["parent"])
        if form.is_valid():
            messages.success(request, _("The team has been moved."))
            return done(request, reverse("org:team_detail", args=[team.pk]))
    return render_form(
        request,
        form,
        title=_("Move %(name)s") % {"name": team.name},
        cancel_url=reverse("org:team_detail", args=[team.pk]),
        submit_label=_("Move"),
        intro=_("The team moves with all its sub-teams; its members stay in it."),
        context={"breadcrumbs": _team_crumbs(request, team)},
    )


@page_view
def team_managers(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    team = record_for(request, selectors.team_get, pk, "edit")
    form = TeamManagersForm(
        posted(request),
        initial={"managers": selectors.team_managers(team=team, user=user, action="edit")},
        users=selectors.manager_candidates(user=user, team=team),
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.team_set_managers(actor=user, team=team, managers=list(form.cleaned_data["managers"]))
        if form.is_valid():
            messages.success(request, _("The managers have been saved."))
            return done(request, reverse("org:team_detail", args=[team.pk]))
    return render_form(
        request,
        form,
        title=_("Managers of %(name)s") % {"name": team.name},
        cancel_url=reverse("org:team_detail", args=[team.pk]),
        context={"breadcrumbs": _team_crumbs(request, team)},
    )


@page_view
@require_POST
def team_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    team = record_for(request, selectors.team_get, pk, "edit")
    is_active = request.POST.get("is_active") == "1"
    try:
        services.team_update(actor=user, team=team, is_active=is_active)
    except Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            (_("“%(name)s” has been reactivated.") if is_active else _("“%(name)s” has been deactivated."))
            % {"name": team.name},
        )
    return done(request, reverse("org:team_detail", args=[team.pk]))
