"""Lead assignment settings for those who administer a business unit's leads: lead pools (timeouts,
members), assignment rules (in priority order) and web forms (with the embed snippet)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.core.forms import posted, service_errors
from xietong.core.htmx import done, page_view, render_form, render_page
from xietong.core.params import as_int
from xietong.org.models import Team

from .. import configuration, policies, selectors
from ..forms import PoolForm, RuleForm, WebFormForm
from ..models import AssignmentRule, LeadPool, WebForm


def _settings_url() -> str:
    return reverse("leads:settings")


def _crumbs() -> list[tuple[str, str]]:
    return [(_("Lead assignment"), _settings_url())]


def _require(request: HttpRequest) -> None:
    policies.require(request.user, "leads", "administer")


def _people(request: HttpRequest, business_unit_id: int | None = None) -> Any:
    bus = policies.administrable_business_units(request.user)
    people = selectors.business_unit_people(business_unit_id) if business_unit_id else None
    if people is None:
        from django.contrib.auth import get_user_model

        people = (
            get_user_model()
            ._default_manager.filter(is_active=True, memberships__team__business_unit__in=bus)
            .distinct()
        )
    return people.order_by("display_name", "username")


def _teams(request: HttpRequest, business_unit_id: int | None = None) -> Any:
    bus = policies.administrable_business_units(request.user)
    teams = Team.objects.filter(business_unit__in=bus, is_active=True).select_related("business_unit")
    if business_unit_id:
        teams = teams.filter(business_unit_id=business_unit_id)
    return teams.order_by("business_unit__code", "path")


def _pools(request: HttpRequest, business_unit_id: int | None = None) -> Any:
    pools = selectors.administered_pools(user=request.user).filter(is_active=True)
    if business_unit_id:
        pools = pools.filter(business_unit_id=business_unit_id)
    return pools


def _posted_bu(request: HttpRequest) -> int | None:
    value = request.POST.get("business_unit") or request.GET.get("business_unit") or ""
    return as_int(value, None)


@page_view
@require_GET
def settings_page(request: HttpRequest) -> HttpResponse:
    _require(request)
    user = request.user
    forms = list(selectors.webform_list(user=user))
    return render_page(
        request,
        "leads/settings.html",
        {
            "pools": list(selectors.administered_pools(user=user).prefetch_related("member_teams")),
            "rules": list(selectors.rule_list(user=user)),
            "webforms": forms,
            "base_url": request.build_absolute_uri("/").rstrip("/"),
        },
    )


# --- pools ------------------------------------------------------------------------------------


@page_view
@require_http_methods(["GET", "POST"])
def pool_create(request: HttpRequest) -> HttpResponse:
    _require(request)
    bu_id = _posted_bu(request)
    form = PoolForm(
        posted(request),
        initial={"is_active": True},
        business_units=policies.administrable_business_units(request.user),
        teams=_teams(request, bu_id),
        people=_people(request, bu_id),
        editing=False,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        with service_errors(form, denied=True):
            configuration.pool_create(actor=request.user, **data)
        if form.is_valid():
            messages.success(request, _("Lead pool “%(name)s” created.") % {"name": data["name"]})
            return done(request, _settings_url())
    return render_form(
        request, form, title=_("New lead pool"), cancel_url=_settings_url(), context={"breadcrumbs": _crumbs()}
    )


@page_view
@require_http_methods(["GET", "POST"])
def pool_edit(request: HttpRequest, pk: int) -> HttpResponse:
    pool: LeadPool = selectors.administered_pool_get(user=request.user, pk=pk)  # 404 first, like a missing record
    _require(request)
    initial = {name: getattr(pool, name) for name in configuration.POOL_FIELDS}
    initial.update(
        members=list(pool.members.all()), admins=list(pool.admins.all()), member_teams=list(pool.member_teams.all())
    )
    form = PoolForm(
        posted(request),
        initial=initial,
        business_units=policies.administrable_business_units(request.user),
        teams=_teams(request, pool.business_unit_id),
        people=_people(request, pool.business_unit_id),
        editing=True,
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form, denied=True):
            configuration.pool_update(actor=request.user, pool=pool, **form.cleaned_data)
        if form.is_valid():
            messages.success(request, _("The lead pool has been saved."))
            return done(request, _settings_url())
    return render_form(
        request,
        form,
        title=_("Edit %(name)s") % {"name": pool},
        cancel_url=_settings_url(),
        context={"breadcrumbs": _crumbs()},
    )


# --- rules ------------------------------------------------------------------------------------


@page_view
@require_http_methods(["GET", "POST"])
def rule_create(request: HttpRequest) -> HttpResponse:
    _require(request)
    bu_id = _posted_bu(request)
    form = RuleForm(
        posted(request),
        initial={"is_active": True, "priority": 100},
        business_units=policies.administrable_business_units(request.user),
        teams=_teams(request, bu_id),
        people=_people(request, bu_id),
        pools=_pools(request, bu_id),
        editing=False,
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form, denied=True):
            configuration.rule_create(
                actor=request.user, business_unit=form.cleaned_data["business_unit"], **form.rule_fields()
            )
        if form.is_valid():
            messages.success(request, _("Assignment rule created."))
            return done(request, _settings_url())
    return render_form(
        request,
        form,
        title=_("New assignment rule"),
        cancel_url=_settings_url(),
        intro=_("Rules run in priority order; the first that places a lead decides."),
        context={"breadcrumbs": _crumbs()},
    )


@page_view
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule: AssignmentRule = selectors.rule_get(user=request.user, pk=pk)  # 404 first, like a missing record
    _require(request)
    initial: dict[str, Any] = {
        name: getattr(rule, name)
        for name in (
            "name",
            "priority",
            "method",
            "is_active",
            "team",
            "source_pool",
            "fallback_owner",
            "fallback_pool",
        )
    }
    initial.update(values=", ".join(rule.values or []), assignees=list(rule.assignees.all()))
    form = RuleForm(
        posted(request),
        initial=initial,
        business_units=policies.administrable_business_units(request.user),
        teams=_teams(request, rule.business_unit_id),
        people=_people(request, rule.business_unit_id),
        pools=_pools(request, rule.business_unit_id),
        editing=True,
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form, denied=True):
            configuration.rule_update(actor=request.user, rule=rule, **form.rule_fields())
        if form.is_valid():
            messages.success(request, _("The assignment rule has been saved."))
            return done(request, _settings_url())
    return render_form(
        request,
        form,
        title=_("Edit %(name)s") % {"name": rule},
        cancel_url=_settings_url(),
        context={"breadcrumbs": _crumbs()},
    )


@page_view
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = selectors.rule_get(user=request.user, pk=pk)  # 404 first, like a missing record
    _require(request)
    configuration.rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("The assignment rule has been deleted."))
    return done(request, _settings_url())


# --- web forms --------------------------------------------------------------------------------


@page_view
@require_http_methods(["GET", "POST"])
def webform_create(request: HttpRequest) -> HttpResponse:
    _require(request)
    bu_id = _posted_bu(request)
    form = WebFormForm(
        posted(request),
        initial={"is_active": True, "per_hour_per_ip": 20, "source": "web"},
        business_units=policies.administrable_business_units(request.user),
        pools=_pools(request, bu_id),
        editing=False,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        with service_errors(form, denied=True):
            configuration.webform_create(actor=request.user, **data)
        if form.is_valid():
            messages.success(request, _("Web form “%(name)s” created.") % {"name": data["name"]})
            return done(request, _settings_url())
    return render_form(
        request, form, title=_("New web form"), cancel_url=_settings_url(), context={"breadcrumbs": _crumbs()}
    )


@page_view
@require_http_methods(["GET", "POST"])
def webform_edit(request: HttpRequest, pk: int) -> HttpResponse:
    webform: WebForm = selectors.webform_get(user=request.user, pk=pk)  # 404 first, like a missing record
    _require(request)
    initial = {name: getattr(webform, name) for name in configuration.WEBFORM_FIELDS}
    initial["pool"] = webform.pool
    form = WebFormForm(
        posted(request),
        initial=initial,
        business_units=policies.administrable_business_units(request.user),
        pools=_pools(request, webform.business_unit_id),
        editing=True,
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form, denied=True):
            configuration.webform_update(actor=request.user, form=webform, **form.cleaned_data)
        if form.is_valid():
            messages.success(request, _("The web form has been saved."))
            return done(request, _settings_url())
    return render_form(
        request,
        form,
        title=_("Edit %(name)s") % {"name": webform},
        cancel_url=_settings_url(),
        context={"breadcrumbs": _crumbs()},
    )


urlpatterns = [
    path("leads/settings/", settings_page, name="settings"),
    path("leads/settings/pools/new/", pool_create, name="pool_create"),
    path("leads/settings/pools/<int:pk>/edit/", pool_edit, name="pool_edit"),
    path("leads/settings/rules/new/", rule_create, name="rule_create"),
    path("leads/settings/rules/<int:pk>/edit/", rule_edit, name="rule_edit"),
    path("leads/settings/rules/<int:pk>/delete/", rule_delete, name="rule_delete"),
    path("leads/settings/forms/new/", webform_create, name="webform_create"),
    path("leads/settings/forms/<int:pk>/edit/", webform_edit, name="webform_edit"),
]
