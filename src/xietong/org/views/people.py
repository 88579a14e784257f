"""Users: the list, the record page and every change to a user (through the services)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.core.components import history_panel
from xietong.core.errors import Conflict
from xietong.core.exports import xlsx_response
from xietong.core.forms import posted, service_errors, show_once, take_once
from xietong.core.htmx import done, page_view, render_form, render_page
from xietong.core.pagination import ordering, paginate
from xietong.core.visibility import seen_by

from .. import policies, selectors, services
from ..exports import USER_COLUMNS
from ..forms import (
    PasswordResetForm,
    RoleAssignForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
    UserMoveForm,
    UserTeamsForm,
)
from ..models import User
from .records import actor, record_for

RESULTS_ID = "user-results"
SORTS = {
    "name": "display_name",
    "username": "username",
    "team": "primary_team__name",
    "bu": "business_unit__code",
    "last_login": "last_login",
}


def _crumbs(target: User | None = None) -> list[tuple[str, str]]:
    crumbs = [(_("Users"), reverse("org:user_list"))]
    if target is not None:
        crumbs.append((str(target), reverse("org:user_detail", args=[target.pk])))
    return crumbs


def _user_url(target: User) -> str:
    return reverse("org:user_detail", args=[target.pk])


def _password_key(target: User) -> str:
    return f"password-{target.pk}"


def _filter_form(request: HttpRequest, user: User) -> UserFilterForm:
    """The list's filters from the query string (the list page and its export read the same)."""
    return UserFilterForm(
        request.GET,
        business_units=selectors.business_unit_choices(user=user),
        teams=selectors.team_choices(user=user),
        roles=selectors.role_choices(),
    )


@page_view
def user_list(request: HttpRequest) -> HttpResponse:
    """Search, filters, sortable columns and pages; htmx refreshes only the results."""
    user = actor(request)
    policies.require(user, "org", "view")
    form = _filter_form(request, user)
    users = selectors.user_list(user=user, **form.filters()).order_by(*ordering(request, SORTS, "name"))
    return render_page(
        request,
        "org/user_list.html",
        {
            "form": form,
            "results_id": RESULTS_ID,
            "filtered": form.is_filtered(),
            **paginate(request, users),
        },
        fragments={RESULTS_ID: "results"},
    )


@page_view
def user_export(request: HttpRequest) -> FileResponse:
    """The user list as Excel: the list's filters and sort, every row the export scope allows."""
    user = actor(request)
    policies.require(user, "org", "export")
    filters = _filter_form(request, user).filters()
    sort = ordering(request, SORTS, "name")
    users = selectors.user_list(user=user, action="export", **filters).order_by(*sort)
    return xlsx_response(
        filename=f"{_('Users')}-{timezone.localdate():%Y%m%d}.xlsx",
        sheet_title=_("Users"),
        columns=USER_COLUMNS,
        rows=users,
        actor=user,
        filters={**filters, "sort": sort[0]},
    )


@page_view
def user_create(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    policies.require(user, "org", "create")
    form = UserCreateForm(
        posted(request),
        initial={"primary_team": request.GET.get("team"), "language": settings.LANGUAGE_CODE},
        teams=selectors.team_choices(user=user, action="create"),
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form, denied=True):
            created, initial_password = services.user_create(actor=user, **form.cleaned_data)
        if form.is_valid():
            if not form.cleaned_data["password"]:
                show_once(request, _password_key(created), initial_password)
            messages.success(request, _("User “%(name)s” created.") % {"name": created})
            return done(request, _user_url(created))
    return render_form(
        request,
        form,
        title=_("New user"),
        cancel_url=reverse("org:user_list"),
        submit_label=_("Create"),
        context={"breadcrumbs": _crumbs()},
    )


@page_view
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    target = selectors.user_get(user=user, pk=pk)
    memberships = list(selectors.user_memberships(target=target))
    seen_by(user, [target.primary_team, *(m.team for m in memberships)])  # the teams to link
    return render_page(
        request,
        "org/user_detail.html",
        {
            "target": target,
            "memberships": memberships,
            "user_roles": list(selectors.user_roles(target=target)),
            "new_password": take_once(request, _password_key(target)),
            "is_self": target.pk == user.pk,
            "breadcrumbs": _crumbs(),
            "why_url": reverse("org:user_why", args=[target.pk]),
            **history_panel(target, url=reverse("org:user_history", args=[target.pk])),
        },
    )


@page_view
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    target = record_for(request, selectors.user_get, pk, "edit")
    fields = ("username", "display_name", "email", "mobile", "title", "language")
    form = UserEditForm(posted(request), initial={name: getattr(target, name) for name in fields})
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.user_update(actor=user, user=target, **form.cleaned_data)
        if form.is_valid():
            messages.success(request, _("The user has been saved."))
            return done(request, _user_url(target))
    return render_form(
        request,
        form,
        title=_("Edit %(name)s") % {"name": target},
        cancel_url=_user_url(target),
        context={"breadcrumbs": _crumbs(target)},
    )


@page_view
def user_move(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    target = record_for(request, selectors.user_get, pk, "edit")
    form = UserMoveForm(
        posted(request),
        initial={"team": target.primary_team_id},
        teams=selectors.team_choices(user=user, action="edit"),
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form, fields={"primary_team": "team"}, denied=True):
            services.user_move(actor=user, user=target, team=form.cleaned_data["team"])
        if form.is_valid():
            messages.success(
                request, _("%(name)s has moved to %(team)s.") % {"name": target, "team": form.cleaned_data["team"]}
            )
            return done(request, _user_url(target))
    return render_form(
        request,
        form,
        title=_("Move %(name)s to another team") % {"name": target},
        cancel_url=_user_url(target),
        submit_label=_("Move"),
        intro=_("What the managers of the old and new team see changes at once; the user keeps owning their records."),
        context={"breadcrumbs": _crumbs(target)},
    )


@page_view
def user_teams(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    target = record_for(request, selectors.user_get, pk, "edit")
    current = [m.team_id for m in selectors.user_memberships(target=target) if m.team_id != target.primary_team_id]
    teams = selectors.team_choices(user=user, action="edit")
    if target.primary_team_id:
        teams = teams.exclude(pk=target.primary_team_id)
    form = UserTeamsForm(posted(request), initial={"teams": current}, teams=teams)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.user_set_teams(actor=user, user=target, teams=list(form.cleaned_data["teams"]))
        if form.is_valid():
            messages.success(request, _("The team memberships have been saved."))
            return done(request, _user_url(target))
    return render_form(
        request,
        form,
        title=_("Teams of %(name)s") % {"name": target},
        cancel_url=_user_url(target),
        intro=_("Primary team: %(team)s") % {"team": target.primary_team or "—"},
        context={"breadcrumbs": _crumbs(target)},
    )


@page_view
@require_POST
def user_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    target = selectors.user_get(user=user, pk=pk)
    is_active = request.POST.get("is_active") == "1"
    try:
        services.user_set_active(actor=user, user=target, is_active=is_active)
    except Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            (_("%(name)s has been reactivated.") if is_active else _("%(name)s has been deactivated."))
            % {"name": target},
        )
    return done(request, _user_url(target))


@page_view
def user_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    target = record_for(request, selectors.user_get, pk, "edit")
    form = PasswordResetForm(posted(request))
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            new = services.user_reset_password(actor=user, user=target, password=form.cleaned_data["password"] or None)
        if form.is_valid():
            if not form.cleaned_data["password"]:
                show_once(request, _password_key(target), new)
            messages.success(request, _("The password of %(name)s has been reset.") % {"name": target})
            return done(request, _user_url(target))
    return render_form(
        request,
        form,
        title=_("Reset the password of %(name)s") % {"name": target},
        cancel_url=_user_url(target),
        submit_label=_("Reset password"),
        context={"breadcrumbs": _crumbs(target)},
    )


@page_view
def user_role_assign(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    target = selectors.user_get(user=user, pk=pk)
    policies.require(user, "roles", "administer")
    form = RoleAssignForm(
        posted(request), roles=selectors.role_choices(), business_units=selectors.business_unit_choices(user=user)
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form, denied=True):  # a refused widening is a form error, not a 403
            services.role_assign(actor=user, user=target, **form.cleaned_data)
        if form.is_valid():
            messages.success(
                request,
                _("%(name)s now holds the role “%(role)s”.") % {"name": target, "role": form.cleaned_data["role"]},
            )
            return done(request, _user_url(target))
    return render_form(
        request,
        form,
        title=_("Give %(name)s a role") % {"name": target},
        cancel_url=_user_url(target),
        submit_label=_("Assign"),
        intro=_("Nobody can grant more than they hold themselves."),
        context={"breadcrumbs": _crumbs(target)},
    )


@page_view
@require_POST
def user_role_revoke(request: HttpRequest, pk: int, grant_pk: int) -> HttpResponse:
    user = actor(request)
    target = selectors.user_get(user=user, pk=pk)
    user_role = selectors.user_role_get(target=target, pk=grant_pk)
    policies.require(user, "roles", "administer")  # past this, a refusal is about the grant itself
    try:
        services.role_revoke(actor=user, user_role=user_role)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The role “%(role)s” has been revoked.") % {"role": user_role.role})
    return done(request, _user_url(target))
