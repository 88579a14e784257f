"""Customer pages: the list (keyset pages, filters, bulk actions, export), the 360° page, create and
edit, a BU relationship's level, status and owner, and the "forgotten customers" list."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.core.components import history_panel, why_panel
from xietong.core.errors import Conflict
from xietong.core.exports import csv_response, xlsx_response
from xietong.core.forms import add_service_error, posted, service_errors
from xietong.core.htmx import done, next_url, page_view, render_form, render_page
from xietong.core.pagination import keyset_paginate
from xietong.core.params import as_int
from xietong.core.visibility import addressable_people
from xietong.org import selectors as org_selectors
from xietong.org.policies import require

from .. import duplicates, matching, selectors, services
from ..exports import CUSTOMER_COLUMNS
from ..forms import (
    CARD_FIELDS,
    CONTACT_ERRORS,
    BulkForm,
    CustomerFilterForm,
    CustomerForm,
    ForgottenForm,
    RelationshipForm,
)
from ..models import Customer, Relationship
from ..registrations import customer_tabs

RESULTS_ID = "customer-results"
SORTS = {
    "created": "pk",
    "name": "customer__name",
    "last_follow_up": "last_follow_up_at",
    "next_follow_up": "next_follow_up_at",
    "level": "level",
}
DEFAULT_SORT = "-created"


def actor(request: HttpRequest) -> Any:
    return request.user


def _crumbs(customer: Customer | None = None) -> list[tuple[str, str]]:
    crumbs = [(_("Customers"), reverse("customers:customer_list"))]
    if customer is not None:
        crumbs.append((customer.name, reverse("customers:customer_detail", args=[customer.pk])))
    return crumbs


def customer_url(customer: Customer) -> str:
    return reverse("customers:customer_detail", args=[customer.pk])


def _filter_form(request: HttpRequest) -> CustomerFilterForm:
    user = actor(request)
    return CustomerFilterForm(
        request.GET,
        business_units=org_selectors.business_unit_choices(user=user),
        teams=org_selectors.team_choices(user=user),
    )


# --- the list ----------------------------------------------------------------------------------------


@page_view
def customer_list(request: HttpRequest) -> HttpResponse:
    """BU relationships with their customers: filters, sortable columns, keyset pages, bulk actions."""
    user = actor(request)
    require(user, "customers", "view")
    form = _filter_form(request)
    rows = selectors.relationship_list(user=user, **form.filters(user))
    page = keyset_paginate(request, rows, columns=SORTS, default=DEFAULT_SORT)
    return render_page(
        request,
        "customers/customer_list.html",
        {
            "form": form,
            "page": page,
            "results_id": RESULTS_ID,
            "filtered": form.is_filtered(),
            "more_open": any(request.GET.get(name) for name in form.MORE),
            "bulk_form": _bulk_form(user),
            "list_title": _("Customers"),
            "list_url": reverse("customers:customer_list"),
        },
        fragments={RESULTS_ID: "results"},
    )


def _bulk_form(user: Any) -> BulkForm | None:
    """The bulk actions a user may take: managers assign and transfer; everyone with "edit" tags and
    returns to the pool."""
    if not user.access.can("customers", "edit"):
        return None
    owners = addressable_people(user).none()
    if services.is_manager(user):
        owners = addressable_people(user).filter(business_unit_id__in=user.access.business_unit_ids)
        owners = owners.order_by("display_name", "username")
    return BulkForm(owners=owners)


@page_view
def forgotten(request: HttpRequest) -> HttpResponse:
    """Owned customers without a follow-up for N days (chosen on the page, default 30)."""
    user = actor(request)
    require(user, "customers", "view")
    data = request.GET.copy()
    data.setdefault("days", "30")  # the filter shows the days it applies, also on the first visit
    data.setdefault("scope", "mine")
    form = ForgottenForm(data)
    days, scope = 30, "mine"
    if form.is_valid():
        days = form.cleaned_data.get("days") or 30
        scope = form.cleaned_data.get("scope") or "mine"
    rows = selectors.forgotten_list(user=user, days=days, scope=scope)
    page = keyset_paginate(
        request, rows, columns={"last_follow_up": "last_follow_up_at", **SORTS}, default="last_follow_up"
    )
    return render_page(
        request,
        "customers/forgotten.html",
        {"form": form, "page": page, "days": days, "results_id": "forgotten-results"},
        fragments={"forgotten-results": "results"},
    )


@page_view
def customer_export(request: HttpRequest) -> HttpResponseBase:
    """The list with its filters and sort as Excel (or ``?format=csv``), every row the export scope allows."""
    user = actor(request)
    require(user, "customers", "export")
    form = _filter_form(request)
    filters = form.filters(user)
    rows = selectors.relationship_list(user=user, action="export", **filters)
    sort = request.GET.get("sort") or DEFAULT_SORT
    key = sort.lstrip("-")
    field = SORTS.get(key, "pk")
    rows = rows.order_by(f"{'-' if sort.startswith('-') else ''}{field}", "-pk" if sort.startswith("-") else "pk")
    name = f"{_('Customers')}-{timezone.localdate():%Y%m%d}"
    logged = {k: str(v) for k, v in filters.items() if v not in (None, "")}
    if request.GET.get("format") == "csv":
        return csv_response(filename=name, columns=CUSTOMER_COLUMNS, rows=rows, actor=user, filters=logged)
    return xlsx_response(
        filename=name, sheet_title=_("Customers"), columns=CUSTOMER_COLUMNS, rows=rows, actor=user, filters=logged
    )


@page_view
@require_POST
def customer_bulk(request: HttpRequest) -> HttpResponse:
    """Bulk actions on selected rows (relationship ids): assign/transfer, add tags, return to the pool.
    All or nothing."""
    user = actor(request)
    require(user, "customers", "edit")
    form = BulkForm(request.POST, owners=addressable_people(user))
    back = next_url(request, reverse("customers:customer_list"))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return done(request, back)
    data = form.cleaned_data
    try:
        rels = selectors.relationships_pick(user=user, ids=data["ids"], action="edit")
        if data["action"] == "assign":
            if data.get("owner") is None:
                raise ValidationError({"owner": _("Choose the new owner.")})
            services.relationship_bulk_transfer(
                actor=user, relationships=rels, owner=data["owner"], reason=data.get("reason") or ""
            )
            messages.success(
                request, _("%(n)d customers now belong to %(owner)s.") % {"n": len(rels), "owner": data["owner"]}
            )
        elif data["action"] == "tag":
            changed = services.customer_tag(
                actor=user, customers=[r.customer for r in rels], add=services.parse_tags(data.get("tags"))
            )
            messages.success(request, _("Tags added to %(n)d customers.") % {"n": changed})
        else:
            _release(user, rels, data.get("reason") or "")
            messages.success(request, _("%(n)d customers returned to the pool.") % {"n": len(rels)})
    except (ValidationError, Conflict, PermissionDenied) as exc:
        messages.error(request, "; ".join(_messages(exc)))
    return done(request, back)


def _messages(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return [str(m) for m in exc.messages]
    return [str(exc)]


def _release(user: Any, rels: list[Relationship], reason: str) -> None:
    """Return the relationships to their pools, all or nothing (pools.customer_release)."""
    from django.db import transaction

    from .. import pools

    with transaction.atomic():
        for rel in sorted(rels, key=lambda r: r.pk):
            pools.customer_release(actor=user, relationship=rel, reason=reason)


# --- create and edit ---------------------------------------------------------------------------------


def _creatable_units(user: Any) -> Any:
    units = org_selectors.business_unit_choices(user=user)
    return units


@page_view
def customer_create(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    require(user, "customers", "create")
    units = _creatable_units(user)
    with_reason = bool(request.POST.get("duplicate_reason")) or request.POST.get("warned") == "1"
    form = CustomerForm(
        posted(request),
        business_units=units,
        with_contact=True,
        with_reason=with_reason,
        initial={"business_unit": user.business_unit_id, "kind": "company"},
    )
    candidates: list[Any] = []
    if request.method == "POST" and form.is_valid():
        try:
            rel = services.customer_create(
                actor=user,
                business_unit=form.cleaned_data["business_unit"],
                fields=form.card(),
                contacts=form.contacts(),
                duplicate_reason=form.cleaned_data.get("duplicate_reason") or "",
            )
        except matching.DuplicateFound as exc:
            candidates = _shown(exc.candidates)
            if not with_reason and _may_continue(exc):
                form = CustomerForm(request.POST, business_units=units, with_contact=True, with_reason=True)
                form.is_valid()
                form.errors.pop("duplicate_reason", None)
            add_service_error(form, exc, CONTACT_ERRORS)
        except (ValidationError, Conflict) as exc:
            add_service_error(form, exc, CONTACT_ERRORS)
        else:
            messages.success(request, _("Customer “%(name)s” saved.") % {"name": rel.customer})
            return done(request, customer_url(rel.customer))
    return render_form(
        request,
        form,
        title=_("New customer"),
        cancel_url=reverse("customers:customer_list"),
        submit_label=_("Create"),
        template_name="customers/customer_form.html",
        context={"breadcrumbs": _crumbs(), "candidates": candidates, "warned": with_reason or bool(candidates)},
    )


def _may_continue(exc: matching.DuplicateFound) -> bool:
    """A warning (not a block): the user may go on with a reason."""
    return not exc.blocked


def _shown(candidates: list[matching.Candidate]) -> list[dict[str, Any]]:
    """The candidates with who holds them in which BU — what the duplicate check may tell anyone
    (design/data-visibility.md), and nothing else."""
    holders = duplicates.holders_of(c.pk for c in candidates)
    return [
        {
            "name": c.name,
            "score": c.score,
            "reasons": c.reasons,
            "holders": [services.owner_description(rel) for rel in holders.get(c.pk, [])],
        }
        for c in candidates
    ]


@page_view
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    selectors.customer_get(user=user, pk=pk)  # 404 before 403: an invisible customer is a missing one
    require(user, "customers", "edit")
    customer = selectors.customer_get(user=user, pk=pk, action="edit")
    initial = {name: getattr(customer, name) for name in (*CARD_FIELDS, "notes")}
    initial["tags"] = ", ".join(customer.tag_list)
    with_reason = bool(request.POST.get("duplicate_reason")) or request.POST.get("warned") == "1"
    form = CustomerForm(posted(request), initial=initial, with_reason=with_reason)
    candidates: list[Any] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(
                actor=user,
                customer=customer,
                fields=form.card(),
                duplicate_reason=form.cleaned_data.get("duplicate_reason") or "",
            )
        except matching.DuplicateFound as exc:
            candidates = _shown(exc.candidates)
            if not with_reason and _may_continue(exc):
                form = CustomerForm(request.POST, initial=initial, with_reason=True)
                form.is_valid()
                form.errors.pop("duplicate_reason", None)
            add_service_error(form, exc)
        except (ValidationError, Conflict) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The customer has been saved."))
            return done(request, customer_url(customer))
    return render_form(
        request,
        form,
        title=_("Edit %(name)s") % {"name": customer},
        cancel_url=customer_url(customer),
        template_name="customers/customer_form.html",
        context={"breadcrumbs": _crumbs(customer), "candidates": candidates, "warned": with_reason or bool(candidates)},
    )


@page_view
def relationship_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A BU relationship: level and status; managers also the owner and the protection period."""
    user = actor(request)
    rel = selectors.relationship_get(user=user, pk=pk)
    require(user, "customers", "edit")
    rel = selectors.relationship_get(user=user, pk=pk, action="edit")
    manager = services.is_manager(user, rel.business_unit_id)
    owners = None
    if manager:
        owners = addressable_people(user).filter(memberships__team__business_unit_id=rel.business_unit_id).distinct()
        owners = owners.order_by("display_name", "username")
    initial = {"level": rel.level, "status": rel.status, "owner": rel.owner_id, "protected_until": rel.protected_until}
    form = RelationshipForm(posted(request), initial=initial, owners=owners, in_pool=rel.owner_id is None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes: dict[str, Any] = {"level": data["level"], "status": data["status"]}
        if manager:
            changes.update(protected_until=data.get("protected_until"), reason=data.get("reason") or "")
            if data.get("owner") is not None or rel.owner_id is not None:  # "nobody" keeps it in its pool
                changes["owner"] = data.get("owner")
        with service_errors(form, denied=True):
            services.relationship_update(actor=user, relationship=rel, **changes)
        if form.is_valid():
            messages.success(request, _("The relationship has been saved."))
            return done(request, customer_url(rel.customer))
    return render_form(
        request,
        form,
        title=_("%(customer)s · %(bu)s") % {"customer": rel.customer, "bu": rel.business_unit},
        cancel_url=customer_url(rel.customer),
        context={"breadcrumbs": _crumbs(rel.customer)},
    )


# --- the 360° page -----------------------------------------------------------------------------------


@page_view
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor(request)
    customer = selectors.customer_get(user=user, pk=pk, card=True)
    if customer.merged_into_id is not None:
        survivor = Customer.objects.visible_to(user).filter(pk=customer.merged_into_id).first()
        if survivor is not None:
            messages.info(request, _("“%(old)s” was merged into “%(new)s”.") % {"old": customer, "new": survivor})
            return HttpResponseRedirect(customer_url(survivor))
    card = selectors.customer_card(user=user, customer=customer)
    contacts = selectors.customer_contacts(user=user, customer=customer) if card.full else []
    context: dict[str, Any] = {
        "customer": customer,
        "card": card,
        "contacts": contacts,
        "tabs": customer_tabs(user, customer) if card.full else [],
        "breadcrumbs": _crumbs(),
        "why_url": reverse("customers:customer_why", args=[customer.pk]),
        "may_follow_up": card.mine is not None
        and (user.access.can("customers", "edit") or user.access.can("customers", "create")),
    }
    if card.full:
        context.update(history_panel(customer, url=reverse("customers:customer_history", args=[customer.pk])))
    return render_page(request, "customers/customer_detail.html", context)


@page_view
def customer_history(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(user=actor(request), pk=pk)
    offset = request.GET.get("offset", "0")
    context = history_panel(
        customer,
        url=reverse("customers:customer_history", args=[pk]),
        offset=as_int(offset, 0),
    )
    return render(request, "components/history.html#entries", context)


@page_view
def customer_why(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(user=actor(request), pk=pk)
    return render(request, "components/why.html", why_panel(actor(request), customer))


urlpatterns = [
    path("customers/", customer_list, name="customer_list"),
    path("customers/new/", customer_create, name="customer_create"),
    path("customers/export/", customer_export, name="customer_export"),
    path("customers/bulk/", customer_bulk, name="customer_bulk"),
    path("customers/forgotten/", forgotten, name="forgotten"),
    path("customers/<int:pk>/", customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", customer_edit, name="customer_edit"),
    path("customers/<int:pk>/history/", customer_history, name="customer_history"),
    path("customers/<int:pk>/why/", customer_why, name="customer_why"),
    path("customers/relationships/<int:pk>/edit/", relationship_edit, name="relationship_edit"),
]
