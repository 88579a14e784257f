"""Roles with their permission matrix, and the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.core import modules
from xietong.core.choices import Action
from xietong.core.components import history_panel
from xietong.core.errors import Conflict
from xietong.core.forms import posted, service_errors
from xietong.core.htmx import FORM_ID, done, page_view, render_page
from xietong.core.pagination import paginate

from .. import policies, selectors, services
from ..forms import AuditFilterForm, RoleForm
from ..models import ACTION_FIELDS, Role
from .records import actor

AUDIT_RESULTS_ID = "audit-results"
HOLDERS_ON_ROLE_PAGE = 50


def _crumbs(role: Role | None = None) -> list[tuple[str, str]]:
    crumbs = [(_("Roles"), reverse("org:role_list"))]
    if role is not None:
        crumbs.append((role.name, reverse("org:role_detail", args=[role.pk])))
    return crumbs


def _columns() -> list[Any]:
    return [Action(a).label for a in ACTION_FIELDS]


@page_view
def role_list(request: HttpRequest) -> HttpResponse:
    policies.require(actor(request), "roles", "view")
    return render_page(request, "org/role_list.html", {"roles": selectors.role_list().order_by("name")})


@page_view
def role_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    policies.require(user, "roles", "view")
    role = selectors.role_get(pk=pk)
    held = {p.module: p for p in role.permissions.all()}
    rows = []
    for module in modules.all_modules():
        perm = held.get(module.code)
        rows.append(
            {
                "module": module,
                "cells": [
                    (Action(a).label, None if a not in module.actions else bool(perm and a in perm.actions()))
                    for a in ACTION_FIELDS
                ],
                "scope": perm.scope if perm and module.scoped and perm.actions() else None,
            }
        )
    holders = (
        selectors.user_list(user=user, role_id=role.pk, is_active=None)[:HOLDERS_ON_ROLE_PAGE]
        if user.access.can("org", "view")
        else []
    )
    return render_page(
        request,
        "org/role_detail.html",
        {
            "role": role,
            "rows": rows,
            "columns": _columns(),
            "holders": holders,
            "breadcrumbs": _crumbs(),
            **history_panel(role, url=reverse("org:role_history", args=[role.pk])),
        },
    )


def _role_form_page(
    request: HttpRequest, form: RoleForm, *, title: str, cancel_url: str, role: Role | None = None
) -> HttpResponse:
    return render_page(
        request,
        "org/role_form.html",
        {
            "form": form,
            "form_id": FORM_ID,
            "title": title,
            "cancel_url": cancel_url,
            "columns": _columns(),
            "breadcrumbs": _crumbs(role),
        },
        fragments={FORM_ID: "form"},
    )


@page_view
def role_create(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    policies.require(user, "roles", "create")
    form = RoleForm(posted(request))
    if request.method == "POST" and form.is_valid():
        with service_errors(form, denied=True):
            role = services.role_create(
                actor=user,
                code=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                permissions=form.permissions(),
            )
        if form.is_valid():
            messages.success(request, _("Role “%(name)s” created.") % {"name": role.name})
            return done(request, reverse("org:role_detail", args=[role.pk]))
    return _role_form_page(request, form, title=_("New role"), cancel_url=reverse("org:role_list"))


@page_view
def role_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    policies.require(user, "roles", "edit")
    role = selectors.role_get(pk=pk)
    form = RoleForm(posted(request), role=role)
    if request.method == "POST" and form.is_valid():
        with service_errors(form, denied=True):
            services.role_update(
                actor=user,
                role=role,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                permissions=form.permissions(),
            )
        if form.is_valid():
            messages.success(request, _("The role has been saved."))
            return done(request, reverse("org:role_detail", args=[role.pk]))
    return _role_form_page(
        request,
        form,
        title=_("Edit %(name)s") % {"name": role.name},
        cancel_url=reverse("org:role_detail", args=[role.pk]),
        role=role,
    )


@page_view
@require_POST
def role_delete(request: HttpRequest, pk: int) -> HttpResponse:
    role = selectors.role_get(pk=pk)
    try:
        services.role_delete(actor=actor(request), role=role)
    except Conflict as exc:
        messages.error(request, str(exc))
        return done(request, reverse("org:role_detail", args=[role.pk]))
    messages.success(request, _("Role “%(name)s” deleted.") % {"name": role.name})
    return done(request, reverse("org:role_list"))


@page_view
def audit_log(request: HttpRequest) -> HttpResponse:
    policies.require(actor(request), "audit", "view")
    form = AuditFilterForm(request.GET, actors=selectors.audit_actors(user=actor(request)))
    return render_page(
        request,
        "org/audit_list.html",
        {
            "form": form,
            "results_id": AUDIT_RESULTS_ID,
            **paginate(request, selectors.audit_list(user=actor(request), **form.filters())),
        },
        fragments={AUDIT_RESULTS_ID: "results"},
    )
