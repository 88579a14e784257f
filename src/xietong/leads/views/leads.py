"""Lead pages: the lists (mine, team, all, pool) with filters, sorting, bulk actions and export; the
form; the lead page with its actions (assign/transfer, claim, return, invalid, convert)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.core.components import history_panel, why_panel
from xietong.core.errors import Conflict
from xietong.core.exports import xlsx_response
from xietong.core.forms import add_service_error, posted, service_errors
from xietong.core.htmx import done, next_url, page_view, render_form, render_page
from xietong.core.pagination import keyset_paginate, ordering
from xietong.core.params import as_int
from xietong.customers.matching import DuplicateFound
from xietong.org.models import Team

from .. import policies, selectors, services
from ..exports import LEAD_COLUMNS
from ..forms import (
    AssignForm,
    BulkForm,
    ConvertForm,
    LeadFilterForm,
    LeadForm,
    ReasonForm,
    ReturnForm,
    split_tags,
)
from ..models import Lead

RESULTS_ID = "lead-results"
SORTS = {
    "company": "company",
    "contact": "contact_name",
    "status": "status",
    "owner": "owner__display_name",
    "province": "province",
    "source": "source",
    "last_follow_up": "last_follow_up_at",
    "created": "created_at",
}
TABS = [
    ("mine", gettext_lazy("My leads")),
    ("team", gettext_lazy("My teams' leads")),
    ("all", gettext_lazy("All leads")),
]


def _crumbs(lead: Lead | None = None) -> list[tuple[str, str]]:
    crumbs = [(_("Leads"), reverse("leads:list"))]
    if lead is not None:
        crumbs.append((str(lead), reverse("leads:detail", args=[lead.pk])))
    return crumbs


def _lead_url(lead: Lead) -> str:
    return reverse("leads:detail", args=[lead.pk])


def _filter_form(request: HttpRequest) -> LeadFilterForm:
    user = request.user
    return LeadFilterForm(
        request.GET,
        owners=selectors.assignable_owners(user=user),
        teams=Team.objects.visible_to(user)
        .filter(is_active=True)
        .select_related("business_unit")
        .order_by("business_unit__code", "path"),
        business_units=policies.creatable_business_units(user) | policies.administrable_business_units(user),
        pools=selectors.pool_choices(user=user),
    )


def _view_of(request: HttpRequest, default: str) -> str:
    view = request.GET.get("view") or default
    return view if view in ("mine", "team", "all") else default


def _list_page(request: HttpRequest, *, view: str, template_tab: str) -> HttpResponse:
    user = request.user
    policies.require(user, "leads", "view")
    form = _filter_form(request)
    leads = selectors.lead_list(user=user, view=view, **form.filters())
    return render_page(
        request,
        "leads/lead_list.html",
        {
            "form": form,
            "results_id": RESULTS_ID,
            "filtered": form.is_filtered(),
            "view": view,
            "tab": template_tab,
            "tabs": TABS,
            "saved_list": "lead_pool" if view == "pool" else "leads",
            "bulk_owners": selectors.assignable_owners(user=user),
            "bulk_actions": BulkForm.ACTIONS,
            "page": keyset_paginate(request, leads, columns=SORTS, default="-created"),
        },
        fragments={RESULTS_ID: "results"},
    )


@page_view
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    view = _view_of(request, "mine")
    return _list_page(request, view=view, template_tab=view)


@page_view
@require_GET
def pool_leads(request: HttpRequest) -> HttpResponse:
    """Leads waiting in the pools the user sees, to claim (or, for managers, to assign)."""
    return _list_page(request, view="pool", template_tab="pool")


@page_view
@require_GET
def lead_export(request: HttpRequest) -> FileResponse:
    """The list as Excel with its filters and sort: every row the export scope allows."""
    user = request.user
    policies.require(user, "leads", "export")
    view = request.GET.get("view") if request.GET.get("view") in selectors.VIEWS else "all"
    filters = _filter_form(request).filters()
    sort = ordering(request, SORTS, "-created")
    rows = selectors.lead_list(user=user, action="export", view=view or "all", **filters).order_by(*sort)
    return xlsx_response(
        filename=f"{_('Leads')}-{timezone.localdate():%Y%m%d}.xlsx",
        sheet_title=_("Leads"),
        columns=LEAD_COLUMNS,
        rows=rows,
        actor=user,
        filters={**filters, "view": view, "sort": sort[0]},
    )


@page_view
@require_POST
def lead_bulk(request: HttpRequest) -> HttpResponse:
    """The list's bulk bar: every chosen lead changes, or none (404 if one is out of reach)."""
    form = BulkForm(request.POST, owners=selectors.assignable_owners(user=request.user))
    back = next_url(request, reverse("leads:list"))
    if form.is_valid():
        data = form.cleaned_data
        try:
            count = services.lead_bulk(
                actor=request.user,
                lead_ids=data["ids"],
                action=data["action"],
                owner=data["owner"],
                tags=split_tags(data["tags"]),
                reason=data["reason"],
            )
        except (ValidationError, Conflict) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("%(count)d leads changed.") % {"count": count})
            return done(request, back)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))
    return done(request, back)


def _duplicate_context(form: LeadForm, exc: Exception) -> None:
    if isinstance(exc, DuplicateFound):
        form.show_candidates(list(exc.candidates))


@page_view
@require_http_methods(["GET", "POST"])
def lead_create(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    policies.require(user, "leads", "create")
    business_units = policies.creatable_business_units(user)
    own_bu = user.business_unit_id or 0
    initial_bu = business_units.filter(pk=own_bu).first() or business_units.first()
    posted_bu = request.POST.get("business_unit", "")
    bu_id: int | None = as_int(posted_bu, initial_bu.pk if initial_bu else None)
    form = LeadForm(
        posted(request),
        initial={"business_unit": initial_bu, "owner": user.pk, "source": "other"},
        business_units=business_units,
        owners=selectors.assignable_owners(user=user, business_unit_id=bu_id),
        pools=selectors.pool_choices(user=user, business_unit_id=bu_id),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        lead = None
        try:
            lead = services.lead_create(
                actor=user,
                business_unit=data["business_unit"],
                fields=form.service_fields(),
                owner=data["owner"],
                pool=data["pool"],
                tags=split_tags(data["tags"]),
                duplicate_reason=data["duplicate_reason"],
            )
        except (ValidationError, Conflict) as exc:
            _duplicate_context(form, exc)
            add_service_error(form, exc, {"business_unit_id": "business_unit"})
        if lead is not None:
            messages.success(request, _("Lead “%(name)s” created.") % {"name": lead})
            if selectors.lead_list(user=user).filter(pk=lead.pk).exists():
                return done(request, _lead_url(lead))
            return done(request, reverse("leads:list"))
    return render_form(
        request,
        form,
        title=_("New lead"),
        cancel_url=reverse("leads:list"),
        submit_label=_("Create"),
        template_name="leads/lead_form.html",
        context={"breadcrumbs": _crumbs()},
    )


@page_view
@require_http_methods(["GET", "POST"])
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = selectors.lead_get(user=user, pk=pk)
    policies.require(user, "leads", "edit")
    lead = selectors.lead_get(user=user, pk=pk, action="edit")
    initial = {name: getattr(lead, name) for name in services.EDITABLE}
    initial.update(tags=", ".join(lead.tag_list), status=lead.status)
    form = LeadForm(posted(request), initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = False
        try:
            services.lead_update(
                actor=user,
                lead=lead,
                fields=form.service_fields(),
                tags=split_tags(data["tags"]),
                status=data["status"],
                duplicate_reason=data["duplicate_reason"],
            )
            saved = True
        except (ValidationError, Conflict) as exc:
            _duplicate_context(form, exc)
            add_service_error(form, exc)
        if saved:
            messages.success(request, _("The lead has been saved."))
            return done(request, _lead_url(lead))
    return render_form(
        request,
        form,
        title=_("Edit %(name)s") % {"name": lead},
        cancel_url=_lead_url(lead),
        template_name="leads/lead_form.html",
        context={"breadcrumbs": _crumbs(lead)},
    )


def _detail_context(request: HttpRequest, lead: Lead) -> dict[str, Any]:
    user: Any = request.user
    can_edit = Lead.objects.visible_to(user, "edit").filter(pk=lead.pk).exists()
    is_open = lead.status in services.EDITABLE_STATUSES
    in_pool = lead.owner_id is None
    return {
        "lead": lead,
        "record": lead,
        "breadcrumbs": _crumbs(),
        "can_edit": can_edit and is_open,
        "can_claim": in_pool
        and is_open
        and user.access.can("leads", "edit")
        and lead.pool is not None
        and (selectors.is_pool_member(user, lead.pool) or policies.can_administer(user, lead.business_unit_id)),
        "can_convert": can_edit and is_open and user.access.can("customers", "create"),
        "why_url": reverse("leads:why", args=[lead.pk]),
        **history_panel(lead, url=reverse("leads:history", args=[lead.pk])),
    }


@page_view
@require_GET
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(user=request.user, pk=pk)
    return render_page(request, "leads/lead_detail.html", _detail_context(request, lead))


def _for_action(request: HttpRequest, pk: int) -> Lead:
    """A lead to change: 404 if unseen, 403 if the roles lack "edit", 404 if outside the edit scope."""
    selectors.lead_get(user=request.user, pk=pk)
    policies.require(request.user, "leads", "edit")
    return selectors.lead_get(user=request.user, pk=pk, action="edit")


@page_view
@require_http_methods(["GET", "POST"])
def lead_assign(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _for_action(request, pk)
    form = AssignForm(
        posted(request),
        owners=selectors.assignable_owners(user=request.user, business_unit_id=lead.business_unit_id).exclude(
            pk=lead.owner_id or 0
        ),
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            if form.cleaned_data["by_rules"]:
                lead = services.lead_assign_by_rules(actor=request.user, lead=lead)
            else:
                lead = services.lead_assign(actor=request.user, lead=lead, owner=form.cleaned_data["owner"])
        if form.is_valid():
            messages.success(request, _("%(name)s now owns the lead.") % {"name": lead.owner})
            return done(request, _lead_url(lead))
    title = _("Transfer %(name)s") if lead.owner_id else _("Assign %(name)s")
    return render_form(
        request,
        form,
        title=title % {"name": lead},
        cancel_url=_lead_url(lead),
        submit_label=_("Transfer") if lead.owner_id else _("Assign"),
        intro=_("Current owner: %(owner)s") % {"owner": lead.owner or _("nobody (in the pool)")},
        context={"breadcrumbs": _crumbs(lead)},
    )


@page_view
@require_POST
def lead_claim(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.lead_get(user=request.user, pk=pk)  # 404 before anything else
    try:
        lead = services.lead_claim(actor=request.user, lead_id=pk)
    except Conflict as exc:
        messages.error(request, str(exc))
        return done(request, reverse("leads:pool_leads"))
    messages.success(request, _("The lead “%(name)s” is yours now.") % {"name": lead})
    return done(request, _lead_url(lead))


@page_view
@require_http_methods(["GET", "POST"])
def lead_return(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _for_action(request, pk)
    form = ReturnForm(
        posted(request), pools=selectors.pool_choices(user=request.user, business_unit_id=lead.business_unit_id)
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.lead_return_to_pool(
                actor=request.user, lead=lead, reason=form.cleaned_data["reason"], pool=form.cleaned_data["pool"]
            )
        if form.is_valid():
            messages.success(request, _("The lead is back in the pool."))
            visible = selectors.lead_list(user=request.user).filter(pk=lead.pk).exists()
            return done(request, _lead_url(lead) if visible else reverse("leads:list"))
    return render_form(
        request,
        form,
        title=_("Return %(name)s to the pool") % {"name": lead},
        cancel_url=_lead_url(lead),
        submit_label=_("Return to the pool"),
        context={"breadcrumbs": _crumbs(lead)},
    )


@page_view
@require_http_methods(["GET", "POST"])
def lead_invalid(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _for_action(request, pk)
    form = ReasonForm(posted(request))
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.lead_mark_invalid(actor=request.user, lead=lead, reason=form.cleaned_data["reason"])
        if form.is_valid():
            messages.success(request, _("The lead is marked invalid."))
            return done(request, _lead_url(lead))
    return render_form(
        request,
        form,
        title=_("Mark %(name)s invalid") % {"name": lead},
        cancel_url=_lead_url(lead),
        submit_label=_("Mark invalid"),
        intro=_("An invalid lead leaves the open lists; the reason stays on the lead."),
        context={"breadcrumbs": _crumbs(lead)},
    )


@page_view
@require_http_methods(["GET", "POST"])
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _for_action(request, pk)
    policies.require(request.user, "customers", "create")
    matches = services.conversion_matches(lead)
    user: Any = request.user
    offer = services.conversion_offers_opportunity() and user.access.can("opportunities", "create")
    named = " · ".join(p for p in (lead.company or lead.contact_name, lead.product_interest) if p)
    initial: dict[str, Any] = {"opportunity_name": named}
    if lead.budget is not None:
        initial["opportunity_amount"] = lead.budget
    form = ConvertForm(posted(request), matches=matches, offer_opportunity=offer, initial=initial)
    if request.method == "POST" and form.is_valid():
        result = None
        with service_errors(form, fields={"customer_id": "customer"}):
            result = services.lead_convert(
                lead=lead,
                actor=request.user,
                customer_id=form.customer_id(),
                create_contact=form.cleaned_data["create_contact"],
                duplicate_reason=form.cleaned_data["duplicate_reason"],
                options=form.options(),
            )
        if result is not None and form.is_valid():
            customer, _contact = result
            messages.success(request, _("The lead is now the customer “%(name)s”.") % {"name": customer})
            return done(request, _lead_url(lead))
    intro = (
        _("This company is already a customer: link the lead to it rather than creating a duplicate.")
        if matches
        else _("A new customer and its contact are created from the lead.")
    )
    return render_form(
        request,
        form,
        title=_("Convert %(name)s") % {"name": lead},
        cancel_url=_lead_url(lead),
        submit_label=_("Convert"),
        intro=intro,
        context={"breadcrumbs": _crumbs(lead)},
    )


@page_view
@require_GET
def lead_history(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(user=request.user, pk=pk)
    offset = request.GET.get("offset", "0")
    context = history_panel(lead, url=reverse("leads:history", args=[pk]), offset=as_int(offset, 0))
    return render(request, "components/history.html#entries", context)


@page_view
@require_GET
def lead_why(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(user=request.user, pk=pk)
    return render(request, "components/why.html", why_panel(request.user, lead))


urlpatterns = [
    path("leads/", lead_list, name="list"),
    path("leads/pool/", pool_leads, name="pool_leads"),
    path("leads/export.xlsx", lead_export, name="export"),
    path("leads/new/", lead_create, name="create"),
    path("leads/bulk/", lead_bulk, name="bulk"),
    path("leads/<int:pk>/", lead_detail, name="detail"),
    path("leads/<int:pk>/edit/", lead_edit, name="edit"),
    path("leads/<int:pk>/assign/", lead_assign, name="assign"),
    path("leads/<int:pk>/claim/", lead_claim, name="claim"),
    path("leads/<int:pk>/return/", lead_return, name="return"),
    path("leads/<int:pk>/invalid/", lead_invalid, name="invalid"),
    path("leads/<int:pk>/convert/", lead_convert, name="convert"),
    path("leads/<int:pk>/history/", lead_history, name="history"),
    path("leads/<int:pk>/why/", lead_why, name="why"),
]
