"""Pages: products (list with filters, sorting, keyset pages and export; the product page; create and
edit; the image) and the category tree (see catalog/urls.py)."""

from __future__ import annotations

import mimetypes
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from xietong.core.components import history_panel, why_panel
from xietong.core.exports import csv_response, xlsx_response
from xietong.core.files import stored_file_response
from xietong.core.forms import posted, service_errors
from xietong.core.htmx import done, page_view, render_form, render_page
from xietong.core.pagination import keyset_paginate, ordering
from xietong.core.params import as_int
from xietong.org.policies import require

from .. import selectors, services
from ..exports import product_columns
from ..forms import CategoryForm, ProductFilterForm, ProductForm
from ..models import Product
from ..selectors import GROUP

MODULE = "catalog"
RESULTS_ID = "product-results"
SORTS = {"name": "name", "code": "code", "list_price": "list_price", "created": "pk"}
DEFAULT_SORT = "name"
FORM_TEMPLATE = "catalog/product_form.html"


def _crumbs(product: Product | None = None) -> list[tuple[str, str]]:
    crumbs = [(_("Products"), reverse("catalog:product_list"))]
    if product is not None:
        crumbs.append((str(product), reverse("catalog:product_detail", args=[product.pk])))
    return crumbs


def _product_url(product: Product) -> str:
    return reverse("catalog:product_detail", args=[product.pk])


def _filter_form(request: HttpRequest) -> ProductFilterForm:
    user = request.user
    return ProductFilterForm(
        request.GET,
        categories=selectors.category_choices(user=user),
        business_units=selectors.business_unit_choices(user=user, action="view"),
        product_lines=selectors.product_lines(user=user),
    )


# --- the list --------------------------------------------------------------------------------------


@page_view
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "view")
    form = _filter_form(request)
    rows = selectors.product_list(user=user, **form.filters())
    return render_page(
        request,
        "catalog/product_list.html",
        {
            "form": form,
            "results_id": RESULTS_ID,
            "filtered": form.is_filtered(),
            "may_edit": user.access.can(MODULE, "edit"),
            "page": keyset_paginate(request, rows, columns=SORTS, default=DEFAULT_SORT),
        },
        fragments={RESULTS_ID: "results"},
    )


@page_view
@require_GET
def product_export(request: HttpRequest) -> FileResponse:
    """The list with its filters and sort as Excel (or ``?format=csv``): every row the export scope allows."""
    user: Any = request.user
    require(user, MODULE, "export")
    filters = _filter_form(request).filters()
    sort = ordering(request, SORTS, DEFAULT_SORT)
    rows = selectors.product_list(user=user, action="export", **filters).order_by(*sort)
    columns = product_columns(with_cost=user.access.can(MODULE, "edit"))
    name = f"{_('Products')}-{timezone.localdate():%Y%m%d}"
    logged = {k: str(v) for k, v in filters.items() if v not in (None, "")}
    logged["sort"] = sort[0]
    if request.GET.get("format") == "csv":
        return csv_response(filename=name, columns=columns, rows=rows, actor=user, filters=logged)
    return xlsx_response(
        filename=name, sheet_title=_("Products"), columns=columns, rows=rows, actor=user, filters=logged
    )


# --- create and edit -------------------------------------------------------------------------------


def _product_form(request: HttpRequest, *, action: str, **kwargs: Any) -> ProductForm:
    user = request.user
    return ProductForm(
        posted(request),
        request.FILES if request.method == "POST" else None,
        categories=selectors.category_choices(user=user),
        business_units=selectors.business_unit_choices(user=user, action=action),
        allow_group=selectors.may_place_in_group(user=user, action=action),
        **kwargs,
    )


def _form_context(request: HttpRequest, product: Product | None = None) -> dict[str, Any]:
    return {"breadcrumbs": _crumbs(product), "product_lines": selectors.product_lines(user=request.user)}


@page_view
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "create")
    units = selectors.business_unit_choices(user=user, action="create")
    own = units.filter(pk=user.business_unit_id or 0).first()
    initial_bu = str(own.pk) if own else (GROUP if selectors.may_place_in_group(user=user, action="create") else "")
    form = _product_form(
        request, action="create", initial={"business_unit": initial_bu, "unit": "台", "tax_rate": "13.00"}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        product = None
        with service_errors(form):
            product = services.product_create(
                actor=user,
                fields=form.service_fields(),
                business_unit=data["business_unit"],
                category=data["category"],
                status=data["status"],
                image=data.get("image") or None,
            )
        if product is not None and form.is_valid():
            messages.success(request, _("Product “%(name)s” created.") % {"name": product})
            return done(request, _product_url(product))
    return render_form(
        request,
        form,
        title=_("New product"),
        cancel_url=reverse("catalog:product_list"),
        submit_label=_("Create"),
        template_name=FORM_TEMPLATE,
        context=_form_context(request),
    )


def _for_edit(request: HttpRequest, pk: int) -> Product:
    """A product to change: 404 if unseen, 403 if the roles lack "edit", 404 if outside the edit scope."""
    selectors.product_get(user=request.user, pk=pk)
    require(request.user, MODULE, "edit")
    return selectors.product_get(user=request.user, pk=pk, action="edit")


@page_view
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    product = _for_edit(request, pk)
    initial: dict[str, Any] = {name: getattr(product, name) for name in services.EDITABLE}
    initial.update(
        category=product.category_id or "",
        business_unit=str(product.business_unit_id) if product.business_unit_id else GROUP,
        status=product.status,
        image=product.image,
    )
    form = _product_form(request, action="edit", initial=initial)
    # the product's current place stays a choice, even where the user could not put a new product
    current = (
        (str(product.business_unit_id), product.business_unit.name)
        if product.business_unit
        else (GROUP, _("The whole group"))
    )
    choices = list(form.fields["business_unit"].choices)  # type: ignore[attr-defined]
    if current[0] not in {str(value) for value, _label in choices}:
        form.fields["business_unit"].choices = [current, *choices]  # type: ignore[attr-defined]
    if product.category_id and not product.category.is_active:  # type: ignore[union-attr]
        form.fields["category"].choices = [  # type: ignore[attr-defined]
            *form.fields["category"].choices,  # type: ignore[attr-defined]
            (product.category_id, product.category.name),  # type: ignore[union-attr]
        ]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = False
        with service_errors(form):
            services.product_update(
                actor=user,
                product=product,
                fields=form.service_fields(),
                business_unit=data["business_unit"],
                category=data["category"],
                status=data["status"],
                image=form.image_change(),
            )
            saved = True
        if saved:
            messages.success(request, _("The product has been saved."))
            return done(request, _product_url(product))
    return render_form(
        request,
        form,
        title=_("Edit %(name)s") % {"name": product},
        cancel_url=_product_url(product),
        template_name=FORM_TEMPLATE,
        context=_form_context(request, product),
    )


# --- the product page ------------------------------------------------------------------------------


@page_view
@require_GET
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_get(user=request.user, pk=pk)
    context = {
        "product": product,
        "record": product,
        "breadcrumbs": _crumbs(),
        "can_edit": product.editable,  # type: ignore[attr-defined]
        "why_url": reverse("catalog:product_why", args=[product.pk]),
        **history_panel(product, url=reverse("catalog:product_history", args=[product.pk])),
    }
    return render_page(request, "catalog/product_detail.html", context)


@page_view
@require_GET
def product_image(request: HttpRequest, pk: int) -> FileResponse:
    """The product's picture, after the visibility check; 404 when it has none (or its file is gone)."""
    product = selectors.product_get(user=request.user, pk=pk)
    name = product.image.name or ""
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return stored_file_response(default_storage, name, content_type=content_type, as_attachment=False, max_age=300)


@page_view
@require_GET
def product_history(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_get(user=request.user, pk=pk)
    offset = request.GET.get("offset", "0")
    context = history_panel(
        product,
        url=reverse("catalog:product_history", args=[pk]),
        offset=as_int(offset, 0),
    )
    return render(request, "components/history.html#entries", context)


@page_view
@require_GET
def product_why(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_get(user=request.user, pk=pk)
    return render(request, "components/why.html", why_panel(request.user, product))


# --- the category tree -----------------------------------------------------------------------------


@page_view
@require_GET
def category_list(request: HttpRequest) -> HttpResponse:
    """The tree; administrators of the whole group's catalogue add, rename, move and deactivate."""
    user: Any = request.user
    require(user, MODULE, "view")
    return render_page(
        request,
        "catalog/category_list.html",
        {"nodes": selectors.category_tree(user=user), "may_administer": services.can_administer_categories(user)},
    )


def _require_tree_admin(request: HttpRequest) -> None:
    require(request.user, MODULE, "view")
    if not services.can_administer_categories(request.user):
        raise PermissionDenied(_("Only administrators of the whole group's catalogue change the category tree."))


def _category_crumbs() -> list[tuple[str, str]]:
    return [(_("Product categories"), reverse("catalog:category_list"))]


@page_view
@require_http_methods(["GET", "POST"])
def category_create(request: HttpRequest) -> HttpResponse:
    _require_tree_admin(request)
    parent = request.GET.get("parent", "")
    form = CategoryForm(
        posted(request),
        parents=selectors.category_choices(user=request.user),
        initial={"parent": parent if as_int(parent, None) is not None else ""},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        category = None
        with service_errors(form):
            category = services.category_create(
                actor=request.user, name=data["name"], parent=data["parent"], position=data["position"]
            )
        if category is not None and form.is_valid():
            messages.success(request, _("Category “%(name)s” created.") % {"name": category})
            return done(request, reverse("catalog:category_list"))
    return render_form(
        request,
        form,
        title=_("New product category"),
        cancel_url=reverse("catalog:category_list"),
        submit_label=_("Create"),
        context={"breadcrumbs": _category_crumbs()},
    )


@page_view
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename, move (never under itself or its own subcategories), reorder, deactivate or reactivate."""
    _require_tree_admin(request)
    category = selectors.category_get(user=request.user, pk=pk)
    form = CategoryForm(
        posted(request),
        parents=selectors.category_choices(user=request.user, exclude=category),
        editing=True,
        initial={
            "name": category.name,
            "parent": category.parent_id or "",
            "position": category.position,
            "is_active": category.is_active,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = False
        with service_errors(form):
            services.category_update(
                actor=request.user,
                category=category,
                name=data["name"],
                parent=data["parent"],
                position=data["position"],
                is_active=data["is_active"],
            )
            saved = True
        if saved:
            messages.success(request, _("The category has been saved."))
            return done(request, reverse("catalog:category_list"))
    return render_form(
        request,
        form,
        title=_("Edit %(name)s") % {"name": category},
        cancel_url=reverse("catalog:category_list"),
        context={"breadcrumbs": _category_crumbs()},
    )


urlpatterns = [
    path("catalog/products/", product_list, name="product_list"),
    path("catalog/products/new/", product_create, name="product_create"),
    path("catalog/products/export/", product_export, name="product_export"),
    path("catalog/products/<int:pk>/", product_detail, name="product_detail"),
    path("catalog/products/<int:pk>/edit/", product_edit, name="product_edit"),
    path("catalog/products/<int:pk>/image/", product_image, name="product_image"),
    path("catalog/products/<int:pk>/history/", product_history, name="product_history"),
    path("catalog/products/<int:pk>/why/", product_why, name="product_why"),
    path("catalog/categories/", category_list, name="category_list"),
    path("catalog/categories/new/", category_create, name="category_create"),
    path("catalog/categories/<int:pk>/edit/", category_edit, name="category_edit"),
]
