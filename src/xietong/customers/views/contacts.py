"""Contact pages: the list (keyset pages, search on names, phones and e-mails, export), a contact's
page with its follow-ups, and create / edit / delete (part of editing the customer)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.core.components import why_panel
from xietong.core.exports import csv_response, xlsx_response
from xietong.core.forms import posted, service_errors
from xietong.core.htmx import done, page_view, render_form, render_page
from xietong.core.pagination import keyset_paginate
from xietong.org.policies import require

from .. import selectors, services
from ..exports import CONTACT_COLUMNS
from ..forms import CONTACT_FORM_FIELDS, ContactFilterForm, ContactForm
from ..models import Contact, Customer

RESULTS_ID = "contact-results"
SORTS = {"created": "pk", "name": "name", "customer": "customer__name"}
DEFAULT_SORT = "-created"


def _filters(request: HttpRequest) -> tuple[ContactFilterForm, dict[str, Any]]:
    user = request.user
    form = ContactFilterForm(request.GET)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    customer = None
    if data.get("customer"):
        customer = Customer.objects.visible_to(user).filter(pk=data["customer"]).first() or Customer(pk=0)
    return form, {
        "q": (data.get("q") or "").strip(),
        "decision_role": data.get("decision_role") or "",
        "primary_only": bool(data.get("primary")),
        "customer": customer,
    }


def contact_url(contact: Contact) -> str:
    return reverse("customers:contact_detail", args=[contact.pk])


def _crumbs(contact: Contact | None = None) -> list[tuple[str, str]]:
    crumbs = [(_("Contacts"), reverse("customers:contact_list"))]
    if contact is not None:
        crumbs.append((contact.customer.name, reverse("customers:customer_detail", args=[contact.customer_id])))
    return crumbs


@page_view
def contact_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require(user, "customers", "view")
    form, filters = _filters(request)
    page = keyset_paginate(request, selectors.contact_list(user=user, **filters), columns=SORTS, default=DEFAULT_SORT)
    return render_page(
        request,
        "customers/contact_list.html",
        {"form": form, "page": page, "results_id": RESULTS_ID, "filtered": form.is_filtered()},
        fragments={RESULTS_ID: "results"},
    )


@page_view
def contact_export(request: HttpRequest) -> HttpResponseBase:
    user = request.user
    require(user, "customers", "export")
    _form, filters = _filters(request)
    sort = request.GET.get("sort") or DEFAULT_SORT
    field = SORTS.get(sort.lstrip("-"), "pk")
    desc = sort.startswith("-")
    rows = selectors.contact_list(user=user, action="export", **filters).order_by(
        f"{'-' if desc else ''}{field}", "-pk" if desc else "pk"
    )
    name = f"{_('Contacts')}-{timezone.localdate():%Y%m%d}"
    logged = {k: str(v) for k, v in filters.items() if v}
    if request.GET.get("format") == "csv":
        return csv_response(filename=name, columns=CONTACT_COLUMNS, rows=rows, actor=user, filters=logged)
    return xlsx_response(
        filename=name, sheet_title=_("Contacts"), columns=CONTACT_COLUMNS, rows=rows, actor=user, filters=logged
    )


@page_view
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get(user=request.user, pk=pk)
    return render_page(
        request,
        "customers/contact_detail.html",
        {
            "contact": contact,
            "breadcrumbs": _crumbs(),
            "why_url": reverse("customers:contact_why", args=[contact.pk]),
            "can_edit": Contact.objects.visible_to(request.user, "edit").filter(pk=contact.pk).exists()
            and cast(Any, request.user).access.can("customers", "edit"),
        },
    )


@page_view
def contact_why(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get(user=request.user, pk=pk)
    return render(request, "components/why.html", why_panel(request.user, contact))


@page_view
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A new contact of the customer ``pk``."""
    user = request.user
    customer = selectors.customer_get(user=user, pk=pk)
    require(user, "customers", "edit")
    customer = selectors.customer_get(user=user, pk=pk, action="edit")
    form = ContactForm(posted(request))
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            contact = services.contact_create(actor=user, customer=customer, fields=form.values())
        if form.is_valid():
            messages.success(request, _("Contact “%(name)s” saved.") % {"name": contact})
            return done(request, reverse("customers:customer_detail", args=[customer.pk]))
    return render_form(
        request,
        form,
        title=_("New contact of %(customer)s") % {"customer": customer},
        cancel_url=reverse("customers:customer_detail", args=[customer.pk]),
        submit_label=_("Create"),
        context={
            "breadcrumbs": [
                (_("Customers"), reverse("customers:customer_list")),
                (customer.name, reverse("customers:customer_detail", args=[customer.pk])),
            ]
        },
    )


@page_view
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    contact = selectors.contact_get(user=user, pk=pk)
    require(user, "customers", "edit")
    contact = selectors.contact_get(user=user, pk=pk, action="edit")
    initial = {name: getattr(contact, name) for name in (*CONTACT_FORM_FIELDS, "notes")}
    form = ContactForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.contact_update(actor=user, contact=contact, fields=form.values())
        if form.is_valid():
            messages.success(request, _("The contact has been saved."))
            return done(request, contact_url(contact))
    return render_form(
        request,
        form,
        title=_("Edit %(name)s") % {"name": contact},
        cancel_url=contact_url(contact),
        context={"breadcrumbs": _crumbs(contact)},
    )


@page_view
@require_POST
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    contact = selectors.contact_get(user=user, pk=pk)
    require(user, "customers", "edit")
    contact = selectors.contact_get(user=user, pk=pk, action="edit")
    customer_id = contact.customer_id
    services.contact_delete(actor=user, contact=contact)
    messages.success(request, _("Contact “%(name)s” deleted.") % {"name": contact})
    return done(request, reverse("customers:customer_detail", args=[customer_id]))


urlpatterns = [
    path("customers/contacts/", contact_list, name="contact_list"),
    path("customers/contacts/export/", contact_export, name="contact_export"),
    path("customers/contacts/<int:pk>/", contact_detail, name="contact_detail"),
    path("customers/contacts/<int:pk>/edit/", contact_edit, name="contact_edit"),
    path("customers/contacts/<int:pk>/delete/", contact_delete, name="contact_delete"),
    path("customers/contacts/<int:pk>/why/", contact_why, name="contact_why"),
    path("customers/<int:pk>/contacts/new/", contact_create, name="contact_create"),
]
