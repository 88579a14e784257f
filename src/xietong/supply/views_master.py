"""The master data pages under ``/sop/``: supply items (a row per product, its settings edited on its
own form), warehouses, production lines with their monthly capacities, inventory positions and
scheduled receipts, and the uploads of inventory, receipts and sales history from CSV/XLSX.

Whoever holds "supply" view reads the lists; only "supply" edit sees the buttons and may post (403
otherwise). Thin: a form → a service → back to the list. Uploads read the file with the imports
app's reader (UTF-8 or GBK CSV, XLSX), map the columns by their names (Chinese or English) and hand
the rows to the bulk upsert: all rows or none, each problem shown with the file's line and column.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.core.forms import posted, service_errors
from xietong.core.htmx import done, page_view, render_form, render_page
from xietong.core.pagination import paginate
from xietong.core.params import as_int
from xietong.org.policies import require

from . import master_selectors as selectors
from . import master_services as services
from .choices import DataSource
from .master_forms import (
    CapacityForm,
    ItemFilterForm,
    ItemForm,
    LineForm,
    ReceiptForm,
    UploadForm,
    WarehouseForm,
)

MODULE = "supply"
RESULTS_ID = "supply-results"


def _may_edit(user: Any) -> bool:
    return bool(user.access.can(MODULE, "edit"))


def _units() -> Any:
    from xietong.org.models import BusinessUnit

    return BusinessUnit.objects.filter(is_active=True).order_by("code")


# --- supply items --------------------------------------------------------------------------------------


@page_view
@require_GET
def item_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "view")
    lines = list(selectors.line_list(user=user))
    form = ItemFilterForm(request.GET, lines=lines)
    rows = selectors.item_list(user=user, **form.filters())
    return render_page(
        request,
        "supply/master_items.html",
        {"form": form, "results_id": RESULTS_ID, "may_edit": _may_edit(user), **paginate(request, rows)},
        fragments={RESULTS_ID: "results"},
    )


@page_view
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, product_id: int) -> HttpResponse:
    """The product's supply settings; the item is created on the first save."""
    user: Any = request.user
    require(user, MODULE, "edit")
    product = selectors.product_for_item(user=user, product_id=product_id)
    item = getattr(product, "supply", None)
    initial: dict[str, Any] = {}
    if item is not None:
        initial = {name: getattr(item, name) for name in services.ITEM_FIELDS if name != "planner"}
        initial["production_line"] = item.production_line_id or ""
    else:
        initial = {"service_level": "0.950", "lead_time_days": 0}
    form = ItemForm(posted(request), initial=initial, lines=selectors.line_list(user=user, active=True))
    if request.method == "POST" and form.is_valid():
        saved = None
        with service_errors(form):
            saved = services.item_upsert(actor=user, product=product.pk, source=DataSource.MANUAL, **form.values())
        if saved is not None:
            messages.success(request, _("The supply settings of %(product)s are saved.") % {"product": product})
            return done(request, reverse("supply:items"))
    return render_form(
        request,
        form,
        title=_("Supply settings of %(product)s") % {"product": f"{product.code} {product.name}"},
        cancel_url=reverse("supply:items"),
    )


# --- warehouses -------------------------------------------------------------------------------------


@page_view
@require_GET
def warehouse_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "view")
    rows = selectors.warehouse_list(user=user)
    return render_page(
        request, "supply/master_warehouses.html", {"may_edit": _may_edit(user), **paginate(request, rows)}
    )


def _coded_form_page(
    request: HttpRequest,
    *,
    record: Any,
    form_class: Any,
    extra: str,
    save: Callable[[dict[str, Any]], Any],
    saved_message: str,
    after: Callable[[Any], str],
    title: str,
    cancel_url: str,
) -> HttpResponse:
    """The form of a warehouse or production line (new when ``record`` is None): code, name, BU, its
    ``extra`` field and active; ``save(values)`` is the service call, ``after(saved)`` where to go."""
    initial: dict[str, Any] = (
        {
            "code": record.code,
            "name": record.name,
            "business_unit": record.business_unit_id or "",
            extra: getattr(record, extra),
            "is_active": record.is_active,
        }
        if record is not None
        else {"is_active": True}
    )
    form = form_class(posted(request), initial=initial, units=_units())
    if request.method == "POST" and form.is_valid():
        saved = None
        with service_errors(form):
            saved = save(form.values())
        if saved is not None:
            messages.success(request, saved_message % {"name": saved})
            return done(request, after(saved))
    return render_form(request, form, title=title, cancel_url=cancel_url)


@page_view
@require_http_methods(["GET", "POST"])
def warehouse_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "edit")
    warehouse = selectors.warehouse_get(user=user, pk=pk, action="edit") if pk is not None else None
    return _coded_form_page(
        request,
        record=warehouse,
        form_class=WarehouseForm,
        extra="address",
        save=lambda values: (
            services.warehouse_create(actor=user, **values)
            if warehouse is None
            else services.warehouse_update(actor=user, warehouse=warehouse, **values)
        ),
        saved_message=_("Warehouse %(name)s is saved."),
        after=lambda _saved: reverse("supply:warehouses"),
        title=_("New warehouse") if warehouse is None else _("Edit warehouse %(name)s") % {"name": warehouse},
        cancel_url=reverse("supply:warehouses"),
    )


# --- production lines -------------------------------------------------------------------------------


@page_view
@require_GET
def line_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "view")
    rows = selectors.line_list(user=user)
    return render_page(request, "supply/master_lines.html", {"may_edit": _may_edit(user), **paginate(request, rows)})


@page_view
@require_GET
def line_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The line with its months of a different capacity and, for editors, the form to set one."""
    user: Any = request.user
    require(user, MODULE, "view")
    line = selectors.line_get(user=user, pk=pk)
    return render_page(
        request,
        "supply/master_line.html",
        {
            "line": line,
            "capacities": list(selectors.line_capacities(user=user, line=line)),
            "capacity_form": CapacityForm(),
            "may_edit": _may_edit(user),
        },
    )


@page_view
@require_POST
def line_capacity(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "edit")
    line = selectors.line_get(user=user, pk=pk, action="edit")
    form = CapacityForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.line_capacity_set(
                actor=user, line=line, month=form.cleaned_data["month"], capacity=form.cleaned_data["capacity"]
            )
    if form.is_valid():
        messages.success(request, _("The month's capacity is saved."))
        return done(request, reverse("supply:line_detail", args=[line.pk]))
    return render_page(
        request,
        "supply/master_line.html",
        {
            "line": line,
            "capacities": list(selectors.line_capacities(user=user, line=line)),
            "capacity_form": form,
            "may_edit": True,
        },
        status=422,
    )


@page_view
@require_http_methods(["GET", "POST"])
def line_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "edit")
    line = selectors.line_get(user=user, pk=pk, action="edit") if pk is not None else None
    return _coded_form_page(
        request,
        record=line,
        form_class=LineForm,
        extra="capacity_per_month",
        save=lambda values: (
            services.line_create(actor=user, **values)
            if line is None
            else services.line_update(actor=user, line=line, **values)
        ),
        saved_message=_("Production line %(name)s is saved."),
        after=lambda saved: reverse("supply:line_detail", args=[saved.pk]),
        title=_("New production line") if line is None else _("Edit production line %(name)s") % {"name": line},
        cancel_url=reverse("supply:lines"),
    )


# --- inventory and receipts -------------------------------------------------------------------------------


def _int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    if not value:
        return None
    return as_int(value, -1)


@page_view
@require_GET
def inventory_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "view")
    warehouse = _int_param(request, "warehouse")
    item = request.GET.get("item", "").strip()
    rows = selectors.inventory_list(user=user, warehouse=warehouse, item=item)
    return render_page(
        request,
        "supply/master_inventory.html",
        {
            "warehouses": list(selectors.warehouse_list(user=user)),
            "warehouse": warehouse,
            "item": item,
            "results_id": RESULTS_ID,
            "may_edit": _may_edit(user),
            **paginate(request, rows),
        },
        fragments={RESULTS_ID: "results"},
    )


def _date_param(request: HttpRequest, name: str) -> Any:
    import datetime

    try:
        return datetime.date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return None


@page_view
@require_GET
def receipt_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "view")
    filters = {
        "open_only": request.GET.get("open") == "1",
        "item": request.GET.get("item", "").strip(),
        "due_from": _date_param(request, "due_from"),
        "due_to": _date_param(request, "due_to"),
    }
    rows = selectors.receipt_list(user=user, **filters)
    return render_page(
        request,
        "supply/master_receipts.html",
        {"filters": filters, "results_id": RESULTS_ID, "may_edit": _may_edit(user), **paginate(request, rows)},
        fragments={RESULTS_ID: "results"},
    )


@page_view
@require_http_methods(["GET", "POST"])
def receipt_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "edit")
    receipt = selectors.receipt_get(user=user, pk=pk, action="edit") if pk is not None else None
    initial = (
        {
            "reference": receipt.reference,
            "item": receipt.item.product.code,
            "warehouse": receipt.warehouse.code if receipt.warehouse is not None else "",
            "kind": receipt.kind,
            "due_date": receipt.due_date,
            "quantity": receipt.quantity,
            "is_open": receipt.is_open,
        }
        if receipt is not None
        else {"is_open": True}
    )
    form = ReceiptForm(posted(request), initial=initial, warehouses=selectors.warehouse_list(user=user))
    if request.method == "POST" and form.is_valid():
        saved = None
        with service_errors(form):
            saved = services.receipt_save(actor=user, receipt=receipt, **form.values())
        if saved is not None:
            messages.success(request, _("Receipt %(reference)s is saved.") % {"reference": saved.reference})
            return done(request, reverse("supply:receipts"))
    return render_form(
        request,
        form,
        title=_("New scheduled receipt")
        if receipt is None
        else _("Edit scheduled receipt %(reference)s") % {"reference": receipt.reference},
        cancel_url=reverse("supply:receipts"),
    )


# --- uploads ---------------------------------------------------------------------------------------------

# column names (compared by ``header_key``: case, spaces, brackets ignored) → row key of the upsert
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "inventory": {
        "item": ("产品编码", "产品代码", "物料编码", "物料代码", "编码", "product code", "product", "item", "sku"),
        "warehouse": ("仓库", "仓库编码", "仓库代码", "warehouse", "warehouse code"),
        "on_hand": ("在库", "在库数量", "库存", "现存量", "on hand", "onhand"),
        "allocated": ("已分配", "分配", "已分配数量", "allocated"),
        "in_transit": ("在途", "在途数量", "in transit", "intransit"),
        "as_of": ("截至", "日期", "as of", "asof"),
    },
    "receipts": {
        "reference": ("单号", "订单号", "单据号", "参考号", "erp单号", "reference", "erp reference", "order number"),
        "item": ("产品编码", "产品代码", "物料编码", "物料代码", "编码", "product code", "product", "item", "sku"),
        "warehouse": ("仓库", "仓库编码", "仓库代码", "warehouse", "warehouse code"),
        "kind": ("类型", "订单类型", "kind", "type"),
        "due_date": ("到货日期", "交期", "预计到货", "到期日", "due date", "due"),
        "quantity": ("数量", "quantity", "qty"),
        "is_open": ("未结", "未完成", "open", "is open"),
    },
    "history": {
        "item": ("产品编码", "产品代码", "物料编码", "物料代码", "编码", "product code", "product", "item", "sku"),
        "business_unit": ("事业部", "业务单元", "business unit", "bu"),
        "month": ("月份", "月", "month"),
        "quantity": ("数量", "销量", "销售数量", "quantity", "qty"),
    },
}

UPLOADS: dict[str, tuple[Any, Callable[..., dict[str, int]], str]] = {
    "inventory": (gettext_lazy("Upload inventory"), services.inventory_upsert, "supply:inventory"),
    "receipts": (gettext_lazy("Upload scheduled receipts"), services.receipts_upsert, "supply:receipts"),
    "history": (gettext_lazy("Upload sales history"), services.history_upsert, "supply:items"),
}


def read_upload(kind: str, uploaded: Any) -> tuple[list[dict[str, str]], list[int], dict[str, str]]:
    """The file's rows as upsert rows, each row's line in the file, and row key → column header.
    A ``ValidationError`` on ``file`` when it cannot be read or lacks a required column."""
    from xietong.imports.fields import header_key
    from xietong.imports.readers import Table

    aliases = {header_key(a): key for key, names in COLUMNS[kind].items() for a in names}
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "upload"
        with target.open("wb") as out:
            for chunk in uploaded.chunks():
                out.write(chunk)
        table = Table(target)
        columns: dict[str, str] = {}
        for header in table.headers:
            key = aliases.get(header_key(header))
            if key is not None and key not in columns:
                columns[key] = header
        missing = [k for k in ("item", "reference") if k in COLUMNS[kind] and k not in columns]
        if missing:
            names = "、".join(COLUMNS[kind][k][0] for k in missing)
            raise ValidationError({"file": _("The file has no column %(names)s.") % {"names": names}})
        rows: list[dict[str, str]] = []
        lines: list[int] = []
        for row in table.rows():
            rows.append({key: row.values.get(header, "") for key, header in columns.items()})
            lines.append(row.line)
    return rows, lines, columns


@page_view
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, kind: str) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "edit")
    title, upsert, back = UPLOADS[kind]
    form = UploadForm(request.POST or None, request.FILES or None)
    problems: list[dict[str, Any]] = []
    status = 200
    if request.method == "POST" and form.is_valid():
        counts = None
        with service_errors(form):
            rows, lines, columns = read_upload(kind, form.cleaned_data["file"])
            try:
                counts = upsert(actor=user, rows=rows, source=DataSource.IMPORT)
            except ValidationError as exc:
                for error in services.row_errors(exc):
                    row = error["row"]
                    problems.append(
                        {
                            "line": lines[row - 1] if row and row <= len(lines) else None,
                            "column": columns.get(error["field"], error["field"]),
                            "message": error["message"],
                        }
                    )
        if counts is not None:
            messages.success(
                request,
                _("Imported: %(created)d new, %(updated)d changed, %(unchanged)d unchanged.") % counts,
            )
            return done(request, reverse(back))
        status = 422
    return render_page(
        request,
        "supply/master_upload.html",
        {
            "title": title,
            "form": form,
            "problems": problems,
            "columns": [(key, names[0], names) for key, names in COLUMNS[kind].items()],
            "cancel_url": reverse(back),
        },
        status=status,
    )


urlpatterns: list[Any] = [
    path("sop/items/", item_list, name="items"),
    path("sop/items/<int:product_id>/edit/", item_edit, name="item_edit"),
    path("sop/warehouses/", warehouse_list, name="warehouses"),
    path("sop/warehouses/new/", warehouse_form, name="warehouse_create"),
    path("sop/warehouses/<int:pk>/edit/", warehouse_form, name="warehouse_edit"),
    path("sop/lines/", line_list, name="lines"),
    path("sop/lines/new/", line_form, name="line_create"),
    path("sop/lines/<int:pk>/", line_detail, name="line_detail"),
    path("sop/lines/<int:pk>/edit/", line_form, name="line_edit"),
    path("sop/lines/<int:pk>/capacity/", line_capacity, name="line_capacity"),
    path("sop/inventory/", inventory_list, name="inventory"),
    path("sop/inventory/upload/", upload, {"kind": "inventory"}, name="inventory_upload"),
    path("sop/receipts/", receipt_list, name="receipts"),
    path("sop/receipts/new/", receipt_form, name="receipt_create"),
    path("sop/receipts/<int:pk>/edit/", receipt_form, name="receipt_edit"),
    path("sop/receipts/upload/", upload, {"kind": "receipts"}, name="receipt_upload"),
    path("sop/history/upload/", upload, {"kind": "history"}, name="history_upload"),
]
