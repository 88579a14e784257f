"""Forms of the order pages: list filters, create from a contract (a quantity per contract line),
schedule, a reason (cancel, close short, void a shipment), the shipment form (a quantity per order
line) and the correction of a shipment's quantities (a quantity per shipment line)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.core.forms import XtForm

from .choices import OrderStatus


def _quantity_field(label: str) -> forms.DecimalField:
    field = forms.DecimalField(label=label, min_value=Decimal("0"), max_digits=14, decimal_places=3, required=False)
    field.widget.attrs.update({"inputmode": "decimal", "class": "form-control xt-num"})
    return field


class OrderFilterForm(XtForm):
    SCOPES = (("mine", _("My orders")), ("all", _("All I can see")))

    scope = forms.ChoiceField(choices=SCOPES, required=False, widget=forms.HiddenInput)
    q = forms.CharField(
        label=_("Search"), required=False, widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Search")})
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), ("open", _("Open")), *OrderStatus.choices],
    )
    late = forms.BooleanField(label=_("Late only"), required=False)
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {"scope": "mine"}
        data = self.cleaned_data
        return {
            "scope": data.get("scope") or "mine",
            "q": (data.get("q") or "").strip(),
            "status": data.get("status") or "",
            "late": bool(data.get("late")),
            "customer": data.get("customer"),
        }


class OrderCreateForm(XtForm):
    """The order's own fields; the lines' quantities are fields ``qty_<contract line id>`` added for
    the contract's lines with something still unordered."""

    promised_date = forms.DateField(
        label=_("Promised delivery date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    operations_team: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Operations team"),
        queryset=None,  # type: ignore[arg-type]
        required=False,
    )
    ship_to = forms.CharField(label=_("Ship to"), max_length=300, required=False)
    receiver = forms.CharField(label=_("Receiver"), max_length=60, required=False)
    receiver_phone = forms.CharField(label=_("Receiver's phone"), max_length=30, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, rows: list[dict[str, Any]], teams: Any, default_team: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        self.fields["operations_team"].queryset = teams  # type: ignore[attr-defined]
        self.fields["operations_team"].initial = default_team
        self.fields["operations_team"].empty_label = _("The business unit's operations team")  # type: ignore[attr-defined]
        for row in rows:
            line = row["line"]
            field = _quantity_field(str(line.product))
            field.initial = format(row["remaining"].normalize(), "f") if row["remaining"] > 0 else None
            self.fields[f"qty_{line.pk}"] = field
            row["field"] = f"qty_{line.pk}"

    def lines(self) -> list[dict[str, Any]]:
        out = []
        for row in self.rows:
            quantity = self.cleaned_data.get(row["field"])
            if quantity:
                out.append({"contract_line": row["line"].pk, "quantity": quantity})
        return out

    def line_fields(self) -> list[tuple[dict[str, Any], Any]]:
        return [(row, self[row["field"]]) for row in self.rows]


class ScheduleForm(XtForm):
    scheduled_date = forms.DateField(
        label=_("Scheduled ship date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class ReasonForm(XtForm):
    """Why: an order cancelled or closed short, a shipment voided."""

    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class ShipmentEditForm(XtForm):
    """A recorded shipment corrected: its date, carrier, tracking number and note (not its quantities)."""

    shipped_on = forms.DateField(
        label=_("Shipped on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    carrier = forms.CharField(label=_("Carrier"), max_length=60)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=60, required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class ShipmentForm(ShipmentEditForm):
    warehouse = forms.CharField(label=_("Warehouse"), max_length=60, required=False)

    def __init__(self, *args: Any, order_lines: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(["shipped_on", "carrier", "tracking_number", "warehouse", "note"])
        self.fields["shipped_on"].initial = timezone.localdate()
        self.order_lines = [line for line in order_lines if line.open_quantity > 0]
        for line in self.order_lines:
            still = _("still to ship")
            line.hint = f"{still}: {format(line.open_quantity.normalize(), 'f')}"
            field = _quantity_field(str(line.product))
            self.fields[f"qty_{line.pk}"] = field

    def lines(self) -> list[dict[str, Any]]:
        out = []
        for line in self.order_lines:
            quantity = self.cleaned_data.get(f"qty_{line.pk}")
            if quantity:
                out.append({"order_line": line.pk, "quantity": quantity})
        return out

    def line_fields(self) -> list[tuple[Any, Any]]:
        return [(line, self[f"qty_{line.pk}"]) for line in self.order_lines]


class ShipmentQuantitiesForm(XtForm):
    """A recorded shipment's quantities corrected: a field ``qty_<shipment line id>`` per line,
    prefilled with what is recorded."""

    def __init__(self, *args: Any, shipment_lines: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shipment_lines = shipment_lines
        for line in shipment_lines:
            order_line = line.order_line
            most = format((line.quantity + order_line.open_quantity).normalize(), "f")
            recorded, at_most = _("as recorded"), _("at most")
            line.hint = f"{recorded}: {format(line.quantity.normalize(), 'f')} · {at_most}: {most}"
            field = _quantity_field(f"{order_line.position} · {order_line.product}")
            field.required = True
            field.initial = format(line.quantity.normalize(), "f")
            self.fields[f"qty_{line.pk}"] = field

    def lines(self) -> list[dict[str, Any]]:
        return [
            {"shipment_line": line.pk, "quantity": self.cleaned_data[f"qty_{line.pk}"]} for line in self.shipment_lines
        ]

    def line_fields(self) -> list[tuple[Any, Any]]:
        return [(line, self[f"qty_{line.pk}"]) for line in self.shipment_lines]
