"""Forms of the master data pages: list filters, a supply item, a warehouse, a production line and
its monthly capacity, a scheduled receipt, and the upload of a CSV/XLSX file. The forms only read
the input; the services check it (their errors land on the forms through ``service_errors``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.core.forms import XtForm

from .choices import MakeOrBuy, ReceiptKind, SafetyStockMethod
from .supply_forms import Filters


def _number(label: Any, *, required: bool = False, help_text: Any = "") -> forms.DecimalField:
    field = forms.DecimalField(label=label, max_digits=14, decimal_places=3, required=required, help_text=help_text)
    field.widget.attrs.update({"inputmode": "decimal", "class": "form-control xt-num"})
    return field


def _days(label: Any, *, help_text: Any = "") -> forms.IntegerField:
    field = forms.IntegerField(label=label, required=False, help_text=help_text)
    field.widget.attrs.update({"inputmode": "numeric", "class": "form-control xt-num"})
    return field


class ItemFilterForm(Filters):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Product code or name")}),
    )
    make_or_buy = forms.ChoiceField(
        label=_("make or buy"), required=False, choices=[("", _("Make or buy")), *MakeOrBuy.choices]
    )
    line = forms.ChoiceField(label=_("production line"), required=False)
    configured = forms.ChoiceField(
        label=_("Set up"),
        required=False,
        choices=[("", _("All products")), ("yes", _("Set up")), ("no", _("Not set up yet"))],
    )

    def __init__(self, *args: Any, lines: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lines(lines)

    def filters(self) -> dict[str, Any]:
        return {
            "q": self.text("q"),
            "make_or_buy": self.value("make_or_buy") or "",
            "line": self.line_id(),
            "configured": self.value("configured") or "",
        }


class ItemForm(XtForm):
    make_or_buy = forms.ChoiceField(label=_("make or buy"), choices=MakeOrBuy.choices)
    lead_time_days = _days(_("lead time (days)"))
    moq = _number(_("minimum order quantity"))
    lot_size = _number(_("lot size"), help_text=_("Orders are rounded up to a multiple of it; 0: any quantity."))
    safety_stock_method = forms.ChoiceField(label=_("safety stock"), choices=SafetyStockMethod.choices)
    safety_stock = _number(_("safety stock (units)"), help_text=_("For a fixed safety stock."))
    safety_days = _days(_("safety stock (days of cover)"), help_text=_("For safety stock in days of cover."))
    service_level = _number(
        _("target service level"), help_text=_("0.5 to 0.999, for safety stock from forecast error.")
    )
    production_line = forms.ChoiceField(label=_("production line"), required=False)

    def __init__(self, *args: Any, lines: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["production_line"].choices = [("", "—"), *((str(ln.pk), str(ln)) for ln in lines)]  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["production_line"] = int(data["production_line"]) if data.get("production_line") else None
        return data


class WarehouseForm(XtForm):
    code = forms.CharField(label=_("warehouse code"), max_length=40)
    name = forms.CharField(label=_("name"), max_length=80)
    business_unit = forms.ChoiceField(label=_("business unit"), required=False)
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["business_unit"].choices = [("", "—"), *((str(u.pk), str(u)) for u in units)]  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["business_unit"] = int(data["business_unit"]) if data.get("business_unit") else None
        return data


class LineForm(WarehouseForm):
    code = forms.CharField(label=_("line code"), max_length=40)
    capacity_per_month = _number(_("capacity per month (units)"), required=True)
    address = None  # type: ignore[assignment]

    field_order = ("code", "name", "business_unit", "capacity_per_month", "is_active")


class CapacityForm(XtForm):
    month = forms.DateField(
        label=_("month"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    capacity = _number(_("capacity (units)"), help_text=_("Empty: the line's usual capacity again."))


class ReceiptForm(XtForm):
    reference = forms.CharField(label=_("ERP reference"), max_length=60)
    item = forms.CharField(label=_("product code"), max_length=40)
    warehouse = forms.ChoiceField(label=_("warehouse"), required=False)
    kind = forms.ChoiceField(label=_("kind"), choices=ReceiptKind.choices)
    due_date = forms.DateField(label=_("due date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    quantity = _number(_("quantity"), required=True)
    is_open = forms.BooleanField(label=_("open"), required=False, initial=True)

    def __init__(self, *args: Any, warehouses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].choices = [("", "—"), *((w.code, str(w)) for w in warehouses)]  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["warehouse"] = data.get("warehouse") or None
        if isinstance(data.get("quantity"), Decimal):
            data["quantity"] = data["quantity"]
        return data


class UploadForm(XtForm):
    file = forms.FileField(
        label=_("file"),
        help_text=_("CSV (UTF-8 or GBK) or XLSX; the first row holds the column names."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,.xlsm,.xls,.ods"}),
    )
