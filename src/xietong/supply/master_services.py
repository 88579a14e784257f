"""Writes of S&OP master data: warehouses, production lines and their monthly capacity, supply items
(one per product), and the bulk upserts an ERP or an uploaded file makes of inventory positions,
scheduled receipts and sales history.

Every service is keyword-only and atomic, requires "supply" edit, and audits what it changes.

Bulk upserts (``inventory_upsert``, ``receipts_upsert``, ``history_upsert``, and a production
line's ``line_capacities_upsert``) take a list of rows (mappings) and are all-or-nothing: every row
is checked first, and when any row is bad nothing is written and one ``ValidationError`` names
every problem. **The error shape**: a dict whose keys are ``rows.<n>.<field>`` — ``n`` the row's
number counted from 1, ``field`` the row key at fault (e.g. ``rows.3.on_hand``) — each with its
messages; the API answers it as 422 with ``errors: [{"field": "rows.3.on_hand", "message": "…"}]``
and ``row_errors`` turns it into ``[{"row": 3, "field": "on_hand", "message": "…"}]`` for the
upload pages. A request-wide problem (no rows, too many) is keyed ``rows``.

Rows are keyed — inventory by (product code, warehouse code), receipts by ERP reference, history by
(product code, business unit code or name, month), a line's capacities by month — and *set* the
values they carry (never add). A key left out of a row (or ``None`` / an empty cell) keeps the
record's current value (the model's default for a new record) — except in a capacity row, whose
``capacity`` is required and where None removes the month's own capacity. Applying the same rows
again changes nothing: the answer counts ``{"created": 0, "updated": 0, "unchanged": n}`` and no
audit entry is written — an ERP that repeats an upsert has it applied once.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.core import audit
from xietong.core.errors import NotFound
from xietong.core.params import as_int
from xietong.core.validators import QUANTITY_LIMIT, Errors, has_places
from xietong.org.policies import require

from .choices import DataSource, MakeOrBuy, ReceiptKind, SafetyStockMethod
from .models import (
    InventoryPosition,
    LineCapacity,
    ProductionLine,
    SalesHistory,
    ScheduledReceipt,
    SupplyItem,
    Warehouse,
)

MODULE = "supply"
QTY = Decimal("0.001")
MAX_ROWS = 20_000
ITEM_FIELDS = (
    "make_or_buy",
    "lead_time_days",
    "moq",
    "lot_size",
    "safety_stock_method",
    "safety_stock",
    "safety_days",
    "service_level",
    "production_line",
    "planner",
)
SERVICE_LEVEL_MIN = Decimal("0.5")
SERVICE_LEVEL_MAX = Decimal("0.999")


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- cleaning single values (raise ValidationError with a message, no field) -------------------------


def clean_quantity(value: Any) -> Decimal:
    """A number ≥ 0 with at most three decimal places (``1,000`` and ``2.5`` too)."""
    if isinstance(value, bool):
        raise ValidationError(_("Enter a number, e.g. 10 or 2.5."))
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter a number, e.g. 10 or 2.5.")) from None
    if not number.is_finite():
        raise ValidationError(_("Enter a number, e.g. 10 or 2.5."))
    if number < 0:
        raise ValidationError(_("Must not be negative."))
    if number >= QUANTITY_LIMIT:
        raise ValidationError(_("The number is too large."))
    if not has_places(number, 3):
        raise ValidationError(_("At most three decimal places."))
    return number.quantize(QTY)


def clean_days(value: Any) -> int:
    """A whole number of days, 0 or more."""
    if isinstance(value, bool):
        raise ValidationError(_("Enter a whole number of days (0 or more)."))
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter a whole number of days (0 or more).")) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValidationError(_("Enter a whole number of days (0 or more)."))
    if number < 0:
        raise ValidationError(_("Must not be negative."))
    if number > 36500:
        raise ValidationError(_("The number is too large."))
    return int(number)


def clean_service_level(value: Any) -> Decimal:
    try:
        number = Decimal(str(value).replace("%", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter a service level between 0.5 and 0.999, e.g. 0.95.")) from None
    if not number.is_finite() or not SERVICE_LEVEL_MIN <= number <= SERVICE_LEVEL_MAX or number != number.quantize(QTY):
        raise ValidationError(_("Enter a service level between 0.5 and 0.999, e.g. 0.95."))
    return number.quantize(QTY)


def clean_choice(value: Any, choices: Any) -> str:
    """A choice by its value or its label (English or Chinese)."""
    from xietong.imports.fields import choice

    text = str(value).strip()
    if text in choices.values:
        return text
    return choice(choices)(text)


def clean_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, datetime.date):
        return value
    from xietong.imports.fields import clean_date as parse

    return parse(str(value))


def clean_month(value: Any) -> datetime.date:
    if isinstance(value, datetime.date):
        return clean_date(value).replace(day=1)
    from xietong.imports.fields import clean_month as parse

    return parse(str(value))


def clean_datetime(value: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime.combine(value, datetime.time())
    else:
        text = str(value).strip()
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            moment = datetime.datetime.combine(clean_date(text), datetime.time())
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def clean_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    from xietong.imports.fields import clean_bool as parse

    return parse(str(value))


def clean_code(max_length: int) -> Callable[[Any], str]:
    def clean(value: Any) -> str:
        text = str(value).strip()
        if not text:
            raise ValidationError(_("This field is required."))
        if len(text) > max_length:
            raise ValidationError(_("At most %(n)d characters.") % {"n": max_length})
        return text

    return clean


_ROW_KEY = re.compile(r"^rows\.(\d+)\.(.+)$")


def row_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """A bulk upsert's refusal as ``[{"row": 3, "field": "on_hand", "message": "…"}]`` by row; a
    request-wide error has ``row`` None."""
    out: list[dict[str, Any]] = []
    if not hasattr(exc, "error_dict"):
        return [{"row": None, "field": "", "message": m} for m in exc.messages]
    for key, messages in exc.message_dict.items():
        found = _ROW_KEY.match(key)
        for message in messages:
            if found:
                out.append({"row": int(found.group(1)), "field": found.group(2), "message": message})
            else:
                out.append({"row": None, "field": key, "message": message})
    out.sort(key=lambda e: (e["row"] or 0, e["field"]))
    return out


def _row_as_fields(exc: ValidationError) -> ValidationError:
    """A one-row upsert's refusal keyed by the field alone (``rows.1.capacity`` → ``capacity``), for a
    form that saves one record through the bulk service."""
    by_field: dict[str, list[str]] = {}
    for error in row_errors(exc):
        by_field.setdefault(error["field"] or "__all__", []).append(error["message"])
    return ValidationError(by_field)


def _check_rows(rows: Any) -> list[Mapping[str, Any]]:
    if isinstance(rows, str | bytes) or not isinstance(rows, Sequence):
        raise ValidationError({"rows": _("Send a list of rows.")})
    if not rows:
        raise ValidationError({"rows": _("Send at least one row.")})
    if len(rows) > MAX_ROWS:
        raise ValidationError({"rows": _("At most %(n)d rows per request.") % {"n": MAX_ROWS}})
    bad = [i for i, row in enumerate(rows, start=1) if not isinstance(row, Mapping)]
    if bad:
        raise ValidationError({f"rows.{i}": [_("A row is an object of field → value.")] for i in bad})
    return list(rows)


def _source(source: str) -> str:
    if source not in DataSource.values:
        raise ValueError(f"unknown source {source!r}")
    return source


# --- warehouses -------------------------------------------------------------------------------------


def _business_unit(value: Any, errors: Errors) -> Any:
    from xietong.org.models import BusinessUnit

    if _blank(value):
        return None
    found = BusinessUnit.objects.filter(pk=as_int(_pk(value), 0)).first()
    if found is None:
        errors.add("business_unit", _("Choose an existing business unit."))
    return found


def _coded_values(
    model: Any,
    fields: Mapping[str, Any],
    *,
    instance: Any,
    taken: str,
    extra: Mapping[str, Callable[[Any, Errors], Any]],
) -> dict[str, Any]:
    """The cleaned values of a coded reference record (warehouse, production line): ``code``
    (unique: ``taken`` when another has it), ``name``, ``business_unit``, the model's ``extra``
    fields (name → cleaner) and ``is_active``; the code and name are required on create. Every
    error at once (``Errors``)."""
    unknown = set(fields) - {"code", "name", "business_unit", "is_active", *extra}
    if unknown:
        raise TypeError(f"unknown {model._meta.model_name} fields {sorted(unknown)}")
    errors = Errors()
    values: dict[str, Any] = {}
    if "code" in fields or instance is None:
        code = errors.clean("code", clean_code(40), fields.get("code") or "")
        if code and model.objects.filter(code=code).exclude(pk=getattr(instance, "pk", None)).exists():
            errors.add("code", taken)
        values["code"] = code
    if "name" in fields or instance is None:
        values["name"] = errors.clean("name", clean_code(80), fields.get("name") or "")
    if "business_unit" in fields:
        values["business_unit"] = _business_unit(fields["business_unit"], errors)
    for name, clean in extra.items():
        if name in fields:
            values[name] = clean(fields[name], errors)
    if "is_active" in fields:
        values["is_active"] = bool(fields["is_active"])
    errors.raise_if_any()
    return values


def _save_changes(actor: Any, found: Any, values: Mapping[str, Any]) -> None:
    """Set ``values`` on ``found``; saved and audited only when something changed."""
    before = audit.snapshot(found)
    for name, value in values.items():
        setattr(found, name, value)
    if audit.diff(before, audit.snapshot(found)):
        found.save()
        audit.record_update(actor=actor, obj=found, before=before)


def _address(value: Any, errors: Errors) -> str:
    address = str(value or "").strip()
    if len(address) > 200:
        errors.add("address", _("At most %(n)d characters.") % {"n": 200})
    return address


def _warehouse_values(fields: Mapping[str, Any], *, instance: Warehouse | None) -> dict[str, Any]:
    return _coded_values(
        Warehouse, fields, instance=instance, taken=_("Another warehouse has this code."), extra={"address": _address}
    )


@transaction.atomic
def warehouse_create(*, actor: Any, **fields: Any) -> Warehouse:
    """``code`` (unique), ``name``, optional ``business_unit``, ``address``, ``is_active``."""
    require(actor, MODULE, "edit")
    warehouse = Warehouse.objects.create(**_warehouse_values(fields, instance=None))
    audit.record_create(actor=actor, obj=warehouse)
    return warehouse


@transaction.atomic
def warehouse_update(*, actor: Any, warehouse: Warehouse | int, **fields: Any) -> Warehouse:
    """Changes the given fields only."""
    require(actor, MODULE, "edit")
    found = Warehouse.objects.visible_to(actor, "edit").select_for_update().filter(pk=_pk(warehouse)).first()
    if found is None:
        raise NotFound()
    _save_changes(actor, found, _warehouse_values(fields, instance=found))
    return found


# --- production lines ------------------------------------------------------------------------------


def _capacity(value: Any, errors: Errors) -> Any:
    return errors.clean("capacity_per_month", clean_quantity, 0 if _blank(value) else value)


def _line_values(fields: Mapping[str, Any], *, instance: ProductionLine | None) -> dict[str, Any]:
    return _coded_values(
        ProductionLine,
        fields,
        instance=instance,
        taken=_("Another production line has this code."),
        extra={"capacity_per_month": _capacity},
    )


@transaction.atomic
def line_create(*, actor: Any, **fields: Any) -> ProductionLine:
    """``code`` (unique), ``name``, optional ``business_unit``, ``capacity_per_month`` (≥ 0), ``is_active``."""
    require(actor, MODULE, "edit")
    line = ProductionLine.objects.create(**_line_values(fields, instance=None))
    audit.record_create(actor=actor, obj=line)
    return line


def _lock_line(actor: Any, line: Any) -> ProductionLine:
    found = ProductionLine.objects.visible_to(actor, "edit").select_for_update().filter(pk=_pk(line)).first()
    if found is None:
        raise NotFound()
    return found


@transaction.atomic
def line_update(*, actor: Any, line: ProductionLine | int, **fields: Any) -> ProductionLine:
    require(actor, MODULE, "edit")
    found = _lock_line(actor, line)
    _save_changes(actor, found, _line_values(fields, instance=found))
    return found


@transaction.atomic
def line_capacities_upsert(
    *, actor: Any, line: ProductionLine | int, rows: Sequence[Mapping[str, Any]]
) -> dict[str, int]:
    """Rows ``{month: "2027-03" (or any date of it), capacity}`` set the line's capacity in those
    months when it differs from the usual one; months not sent keep theirs. ``capacity`` ≥ 0, or
    None / empty to remove the month's own capacity (the line's usual one again); the key itself is
    required. All-or-nothing; errors keyed ``rows.<n>.<field>`` (see the module's doc). Returns
    ``{"created", "updated", "unchanged", "removed"}``; the changed months are one audit entry on
    the line, none when nothing changed."""
    require(actor, MODULE, "edit")
    found = _lock_line(actor, line)
    rows = _check_rows(rows)
    errors = Errors()
    parsed: list[tuple[datetime.date, Decimal | None]] = []
    seen: dict[datetime.date, int] = {}
    for n, row in enumerate(rows, start=1):
        p = f"rows.{n}."
        raw = row.get("month")
        month = errors.clean(p + "month", clean_month, raw) if not _blank(raw) else None
        if month is None and p + "month" not in errors.found:
            errors.add(p + "month", _("This field is required."))
        capacity = None
        if "capacity" not in row:
            errors.add(p + "capacity", _("This field is required."))
        elif not _blank(row["capacity"]):
            capacity = errors.clean(p + "capacity", clean_quantity, row["capacity"])
        if month is None:
            continue
        if month in seen:
            errors.add(p + "month", _("The same month is in row %(row)d.") % {"row": seen[month]})
            continue
        seen[month] = n
        parsed.append((month, capacity))
    errors.raise_if_any()

    existing = {
        c.month: c
        for c in LineCapacity.objects.select_for_update().filter(line=found, month__in=set(seen)).order_by("pk")
    }
    counts = {**_counts(), "removed": 0}
    changes: dict[str, list[str | None]] = {}
    for month, capacity in parsed:
        label = f"capacity {month:%Y-%m}"
        record = existing.get(month)
        if (record is None and capacity is None) or (record is not None and record.capacity == capacity):
            counts["unchanged"] += 1
        elif record is None:
            LineCapacity.objects.create(line=found, month=month, capacity=capacity)
            changes[label] = [None, str(capacity)]
            counts["created"] += 1
        elif capacity is None:
            changes[label] = [str(record.capacity), None]
            record.delete()
            counts["removed"] += 1
        else:
            changes[label] = [str(record.capacity), str(capacity)]
            record.capacity = capacity
            record.save(update_fields=["capacity"])
            counts["updated"] += 1
    if changes:
        audit.record(actor=actor, obj=found, kind="update", verb="capacity_set", changes=changes)
    return counts


@transaction.atomic
def line_capacity_set(*, actor: Any, line: ProductionLine | int, month: Any, capacity: Any) -> LineCapacity | None:
    """The line's capacity in ``month`` (any day of it) when it differs from the usual one;
    ``capacity`` None (or empty) removes the month's override. One row of
    ``line_capacities_upsert``, errors keyed by the field."""
    try:
        line_capacities_upsert(actor=actor, line=line, rows=[{"month": month, "capacity": capacity}])
    except ValidationError as exc:
        raise _row_as_fields(exc) from None
    return LineCapacity.objects.filter(line=_pk(line), month=clean_month(month)).first()


# --- supply items ------------------------------------------------------------------------------------


def _item_values(fields: Mapping[str, Any], errors: Errors, prefix: str = "") -> dict[str, Any]:
    from xietong.org.models import User

    values: dict[str, Any] = {}
    for name, raw in fields.items():
        key = f"{prefix}{name}"
        if name == "make_or_buy":
            values[name] = errors.clean(key, lambda v: clean_choice(v, MakeOrBuy), raw) if not _blank(raw) else None
            if values[name] is None and key not in errors.found:
                errors.add(key, _("This field is required."))
        elif name == "safety_stock_method":
            values[name] = (
                errors.clean(key, lambda v: clean_choice(v, SafetyStockMethod), raw) if not _blank(raw) else None
            )
            if values[name] is None and key not in errors.found:
                errors.add(key, _("This field is required."))
        elif name in ("lead_time_days", "safety_days"):
            values[name] = errors.clean(key, clean_days, 0 if _blank(raw) else raw)
        elif name in ("moq", "lot_size", "safety_stock"):
            values[name] = errors.clean(key, clean_quantity, 0 if _blank(raw) else raw)
        elif name == "service_level":
            values[name] = errors.clean(key, clean_service_level, raw) if not _blank(raw) else Decimal("0.950")
        elif name == "production_line":
            if _blank(raw):
                values[name] = None
            else:
                line = ProductionLine.objects.filter(pk=as_int(_pk(raw), 0)).first()
                if line is None:
                    errors.add(key, _("Choose an existing production line."))
                values[name] = line
        elif name == "planner":
            if _blank(raw):
                values[name] = None
            else:
                user = User.objects.filter(pk=as_int(_pk(raw), 0), is_active=True).first()
                if user is None:
                    errors.add(key, _("Choose an active user."))
                values[name] = user
        else:
            raise TypeError(f"unknown supply item field {name!r}")
    return values


def _check_item(item: SupplyItem, errors: Errors, prefix: str = "") -> None:
    """What depends on the method: days of cover need days > 0; the service level 0.5–0.999."""
    if item.safety_stock_method == SafetyStockMethod.DAYS and not item.safety_days:
        errors.add(f"{prefix}safety_days", _("Enter the days of cover (more than 0) for safety stock in days."))
    if item.safety_stock_method == SafetyStockMethod.SERVICE and not (
        SERVICE_LEVEL_MIN <= Decimal(item.service_level) <= SERVICE_LEVEL_MAX
    ):
        errors.add(f"{prefix}service_level", _("Enter a service level between 0.5 and 0.999, e.g. 0.95."))


@transaction.atomic
def item_upsert(*, actor: Any, product: Any, source: str = DataSource.MANUAL, **fields: Any) -> SupplyItem:
    """The product's supply item, created on first use, with the given fields set (the others keep
    their values): ``make_or_buy``, ``lead_time_days`` (whole days ≥ 0), ``moq`` and ``lot_size``
    (≥ 0), ``safety_stock_method`` with ``safety_stock`` (fixed, ≥ 0), ``safety_days`` (required > 0
    for "days") or ``service_level`` (0.5–0.999 for "service"), ``production_line``, ``planner``.
    Nothing changed: no write, no audit entry."""
    from xietong.catalog.models import Product

    require(actor, MODULE, "edit")
    found = Product.objects.filter(pk=as_int(_pk(product), 0)).first()
    if found is None:
        raise NotFound()
    errors = Errors()
    values = _item_values(fields, errors)
    errors.raise_if_any()
    item = SupplyItem.objects.select_for_update().filter(product=found).first()
    created = item is None
    if item is None:
        item = SupplyItem(product=found)
    before = audit.snapshot(item) if not created else {}
    for name, value in values.items():
        setattr(item, name, value)
    _check_item(item, errors)
    errors.raise_if_any()
    if created:
        item.source = _source(source)
        item.save()
        audit.record_create(actor=actor, obj=item)
    elif audit.diff(before, audit.snapshot(item)):
        item.source = _source(source)
        item.save()
        audit.record_update(actor=actor, obj=item, before=before)
    return item


def _items_for(actor: Any, product_ids: Iterable[int], source: str) -> dict[int, SupplyItem]:
    """The products' supply items, creating (and auditing) the missing ones with the defaults."""
    ids = set(product_ids)
    items = {item.product_id: item for item in SupplyItem.objects.filter(product_id__in=ids)}
    for product_id in sorted(ids - set(items)):
        item = SupplyItem.objects.create(product_id=product_id, source=source)
        audit.record_create(actor=actor, obj=item)
        items[product_id] = item
    return items


def _products_by_code(codes: Iterable[str]) -> dict[str, int]:
    from xietong.catalog.models import Product

    return dict(Product.objects.filter(code__in=set(codes)).values_list("code", "pk"))


# --- bulk: inventory -----------------------------------------------------------------------------------


def _counts() -> dict[str, int]:
    return {"created": 0, "updated": 0, "unchanged": 0}


@transaction.atomic
def inventory_upsert(*, actor: Any, rows: Sequence[Mapping[str, Any]], source: str = DataSource.API) -> dict[str, int]:
    """Rows ``{item: product code, warehouse: warehouse code, on_hand, allocated, in_transit, as_of?}``
    set the position of the product in the warehouse. All-or-nothing; errors keyed ``rows.<n>.<field>``
    (see the module's doc). Returns ``{"created", "updated", "unchanged"}``."""
    require(actor, MODULE, "edit")
    source = _source(source)
    rows = _check_rows(rows)
    errors = Errors()
    parsed: list[dict[str, Any]] = []
    for n, row in enumerate(rows, start=1):
        p = f"rows.{n}."
        entry: dict[str, Any] = {"n": n}
        entry["item"] = errors.clean(p + "item", clean_code(40), row.get("item") or "")
        entry["warehouse"] = errors.clean(p + "warehouse", clean_code(40), row.get("warehouse") or "")
        for name in ("on_hand", "allocated", "in_transit"):
            raw = row.get(name)
            entry[name] = None if _blank(raw) else errors.clean(p + name, clean_quantity, raw)
        raw = row.get("as_of")
        entry["as_of"] = None if _blank(raw) else errors.clean(p + "as_of", clean_datetime, raw)
        parsed.append(entry)
    products = _products_by_code(e["item"] for e in parsed if e["item"])
    warehouses = dict(
        Warehouse.objects.filter(code__in={e["warehouse"] for e in parsed if e["warehouse"]}).values_list("code", "pk")
    )
    seen: dict[tuple[str, str], int] = {}
    for e in parsed:
        p = f"rows.{e['n']}."
        if e["item"] and e["item"] not in products:
            errors.add(p + "item", _("No product has the code %(code)s.") % {"code": e["item"]})
        if e["warehouse"] and e["warehouse"] not in warehouses:
            errors.add(p + "warehouse", _("No warehouse has the code %(code)s.") % {"code": e["warehouse"]})
        key = (e["item"], e["warehouse"])
        if e["item"] and e["warehouse"]:
            if key in seen:
                errors.add(p + "item", _("The same product and warehouse are in row %(row)d.") % {"row": seen[key]})
            else:
                seen[key] = e["n"]
    errors.raise_if_any()

    items = _items_for(actor, products.values(), source)
    item_ids = [items[products[e["item"]]].pk for e in parsed]
    existing = {
        (pos.item_id, pos.warehouse_id): pos
        for pos in InventoryPosition.objects.select_for_update()
        .filter(item_id__in=set(item_ids), warehouse_id__in=set(warehouses.values()))
        .order_by("pk")
    }
    now = timezone.now()
    counts = _counts()
    for e, item_id in zip(parsed, item_ids, strict=True):
        warehouse_id = warehouses[e["warehouse"]]
        values = {name: e[name] for name in ("on_hand", "allocated", "in_transit") if e[name] is not None}
        position = existing.get((item_id, warehouse_id))
        if position is None:
            position = InventoryPosition.objects.create(
                item_id=item_id, warehouse_id=warehouse_id, as_of=e["as_of"] or now, source=source, **values
            )
            existing[(item_id, warehouse_id)] = position
            audit.record_create(actor=actor, obj=position)
            counts["created"] += 1
            continue
        changed = any(getattr(position, name) != value for name, value in values.items())
        moved = e["as_of"] is not None and e["as_of"] != position.as_of
        if not changed and not moved:
            counts["unchanged"] += 1
            continue
        before = audit.snapshot(position)
        for name, value in values.items():
            setattr(position, name, value)
        position.as_of = e["as_of"] or now
        position.source = source
        position.save()
        audit.record_update(actor=actor, obj=position, before=before)
        counts["updated"] += 1
    return counts


# --- bulk: scheduled receipts ------------------------------------------------------------------------


@transaction.atomic
def receipts_upsert(*, actor: Any, rows: Sequence[Mapping[str, Any]], source: str = DataSource.API) -> dict[str, int]:
    """Rows ``{reference, item: product code, warehouse?: code, kind: purchase|production, due_date,
    quantity, is_open?}`` keyed by ``reference`` (the ERP's order number). A new reference needs
    ``item``, ``due_date`` and ``quantity``. All-or-nothing; errors keyed ``rows.<n>.<field>``."""
    require(actor, MODULE, "edit")
    source = _source(source)
    rows = _check_rows(rows)
    errors = Errors()
    parsed: list[dict[str, Any]] = []
    for n, row in enumerate(rows, start=1):
        p = f"rows.{n}."
        e: dict[str, Any] = {"n": n}
        e["reference"] = errors.clean(p + "reference", clean_code(60), row.get("reference") or "")
        e["item"] = None if _blank(row.get("item")) else errors.clean(p + "item", clean_code(40), row["item"])
        raw = row.get("warehouse")
        e["warehouse"] = "" if _blank(raw) else errors.clean(p + "warehouse", clean_code(40), raw)
        raw = row.get("kind")
        e["kind"] = None if _blank(raw) else errors.clean(p + "kind", lambda v: clean_choice(v, ReceiptKind), raw)
        raw = row.get("due_date")
        e["due_date"] = None if _blank(raw) else errors.clean(p + "due_date", clean_date, raw)
        raw = row.get("quantity")
        e["quantity"] = None if _blank(raw) else errors.clean(p + "quantity", clean_quantity, raw)
        raw = row.get("is_open")
        e["is_open"] = None if _blank(raw) else errors.clean(p + "is_open", clean_bool, raw)
        parsed.append(e)
    references = {e["reference"] for e in parsed if e["reference"]}
    existing = {
        r.reference: r
        for r in ScheduledReceipt.objects.select_for_update().filter(reference__in=references).order_by("pk")
    }
    products = _products_by_code(e["item"] for e in parsed if e["item"])
    warehouses = dict(
        Warehouse.objects.filter(code__in={e["warehouse"] for e in parsed if e["warehouse"]}).values_list("code", "pk")
    )
    seen: dict[str, int] = {}
    for e in parsed:
        p = f"rows.{e['n']}."
        if e["item"] and e["item"] not in products:
            errors.add(p + "item", _("No product has the code %(code)s.") % {"code": e["item"]})
        if e["warehouse"] and e["warehouse"] not in warehouses:
            errors.add(p + "warehouse", _("No warehouse has the code %(code)s.") % {"code": e["warehouse"]})
        if not e["reference"]:
            continue
        if e["reference"] in seen:
            errors.add(p + "reference", _("The same reference is in row %(row)d.") % {"row": seen[e["reference"]]})
            continue
        seen[e["reference"]] = e["n"]
        if e["reference"] not in existing:
            for name in ("item", "due_date", "quantity"):
                if e[name] is None and p + name not in errors.found:
                    errors.add(p + name, _("Required for a new receipt."))
    errors.raise_if_any()

    items = _items_for(actor, products.values(), source)
    counts = _counts()
    for e in parsed:
        values: dict[str, Any] = {}
        if e["item"]:
            values["item_id"] = items[products[e["item"]]].pk
        if e["warehouse"]:
            values["warehouse_id"] = warehouses[e["warehouse"]]
        for name in ("kind", "due_date", "quantity", "is_open"):
            if e[name] is not None:
                values[name] = e[name]
        receipt = existing.get(e["reference"])
        if receipt is None:
            receipt = ScheduledReceipt.objects.create(reference=e["reference"], source=source, **values)
            audit.record_create(actor=actor, obj=receipt)
            counts["created"] += 1
            continue
        if all(getattr(receipt, name) == value for name, value in values.items()):
            counts["unchanged"] += 1
            continue
        before = audit.snapshot(receipt)
        for name, value in values.items():
            setattr(receipt, name, value)
        receipt.source = source
        receipt.save()
        audit.record_update(actor=actor, obj=receipt, before=before)
        counts["updated"] += 1
    return counts


@transaction.atomic
def receipt_save(*, actor: Any, receipt: ScheduledReceipt | int | None = None, **fields: Any) -> ScheduledReceipt:
    """One receipt entered on its page (``receipt`` None: a new one): the same checks as a row of
    ``receipts_upsert``, errors keyed by the field. A new receipt's reference must be new; a changed
    reference must not be another receipt's."""
    require(actor, MODULE, "edit")
    found = None
    if receipt is not None:
        found = ScheduledReceipt.objects.visible_to(actor, "edit").select_for_update().filter(pk=_pk(receipt)).first()
        if found is None:
            raise NotFound()
    reference = str(fields.get("reference") or "").strip()
    clash = ScheduledReceipt.objects.filter(reference=reference).exclude(pk=getattr(found, "pk", None)).exists()
    if clash:
        raise ValidationError({"reference": _("Another receipt has this reference.")})
    if found is not None and reference and reference != found.reference:
        found.reference = reference  # renamed: the upsert below finds it under the new name
        found.save(update_fields=["reference"])
    if found is not None and _blank(fields.get("warehouse")) and found.warehouse_id is not None:
        before = audit.snapshot(found)  # a form's empty warehouse clears it (a row's would keep it)
        found.warehouse = None
        found.save(update_fields=["warehouse"])
        audit.record_update(actor=actor, obj=found, before=before)
    try:
        receipts_upsert(actor=actor, rows=[fields], source=DataSource.MANUAL)
    except ValidationError as exc:
        raise _row_as_fields(exc) from None
    return ScheduledReceipt.objects.get(reference=reference)


# --- bulk: sales history -------------------------------------------------------------------------------


def _business_units_by_key(keys: Iterable[str]) -> dict[str, int]:
    """Business units by code or by name."""
    from xietong.org.models import BusinessUnit

    keys = set(keys)
    found: dict[str, int] = {}
    for pk, code, name in BusinessUnit.objects.filter(Q(code__in=keys) | Q(name__in=keys)).values_list(
        "pk", "code", "name"
    ):
        found[code] = pk
        found.setdefault(name, pk)
    return found


@transaction.atomic
def history_upsert(*, actor: Any, rows: Sequence[Mapping[str, Any]], source: str = DataSource.IMPORT) -> dict[str, int]:
    """Rows ``{item: product code, business_unit: BU code or name, month: "2026-03" (or any date of
    it), quantity}`` set the quantity sold in that month. All-or-nothing; errors keyed
    ``rows.<n>.<field>``."""
    require(actor, MODULE, "edit")
    source = _source(source)
    rows = _check_rows(rows)
    errors = Errors()
    parsed: list[dict[str, Any]] = []
    for n, row in enumerate(rows, start=1):
        p = f"rows.{n}."
        e: dict[str, Any] = {"n": n}
        e["item"] = errors.clean(p + "item", clean_code(40), row.get("item") or "")
        e["business_unit"] = errors.clean(p + "business_unit", clean_code(100), row.get("business_unit") or "")
        raw = row.get("month")
        e["month"] = errors.clean(p + "month", clean_month, raw) if not _blank(raw) else None
        if e["month"] is None and p + "month" not in errors.found:
            errors.add(p + "month", _("This field is required."))
        raw = row.get("quantity")
        e["quantity"] = errors.clean(p + "quantity", clean_quantity, raw) if not _blank(raw) else None
        if e["quantity"] is None and p + "quantity" not in errors.found:
            errors.add(p + "quantity", _("This field is required."))
        parsed.append(e)
    products = _products_by_code(e["item"] for e in parsed if e["item"])
    units = _business_units_by_key(e["business_unit"] for e in parsed if e["business_unit"])
    seen: dict[tuple[Any, ...], int] = {}
    for e in parsed:
        p = f"rows.{e['n']}."
        if e["item"] and e["item"] not in products:
            errors.add(p + "item", _("No product has the code %(code)s.") % {"code": e["item"]})
        if e["business_unit"] and e["business_unit"] not in units:
            errors.add(
                p + "business_unit", _("No business unit has the code or name %(key)s.") % {"key": e["business_unit"]}
            )
        if e["item"] in products and e["business_unit"] in units and e["month"]:
            key = (products[e["item"]], units[e["business_unit"]], e["month"])
            if key in seen:
                errors.add(
                    p + "month", _("The same product, business unit and month are in row %(row)d.") % {"row": seen[key]}
                )
            else:
                seen[key] = e["n"]
    errors.raise_if_any()

    product_ids = {products[e["item"]] for e in parsed}
    existing = {
        (h.product_id, h.business_unit_id, h.month): h
        for h in SalesHistory.objects.select_for_update()
        .filter(product_id__in=product_ids, month__in={e["month"] for e in parsed})
        .order_by("pk")
    }
    counts = _counts()
    for e in parsed:
        key = (products[e["item"]], units[e["business_unit"]], e["month"])
        record = existing.get(key)
        if record is None:
            record = SalesHistory.objects.create(
                product_id=key[0], business_unit_id=key[1], month=key[2], quantity=e["quantity"], source=source
            )
            audit.record(actor=actor, obj=record, kind="create", changes={"quantity": [None, str(e["quantity"])]})
            counts["created"] += 1
        elif record.quantity == e["quantity"]:
            counts["unchanged"] += 1
        else:
            old = str(record.quantity)
            record.quantity = e["quantity"]
            record.source = source
            record.save(update_fields=["quantity", "source"])
            audit.record(actor=actor, obj=record, kind="update", changes={"quantity": [old, str(e["quantity"])]})
            counts["updated"] += 1
    return counts
