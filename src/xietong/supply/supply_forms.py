"""Forms of the supply pages: the projection and planned-order filters, the change of a planned
order, the ATP lookup and the chart picker."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.core.forms import XtForm

from .choices import PlannedOrderStatus, ReceiptKind


def _line_choices(lines: list[Any]) -> list[tuple[str, Any]]:
    return [("", _("Any production line")), *[(str(line.pk), str(line)) for line in lines]]


def _date_input() -> forms.DateInput:
    """A date picker (its value must be ISO whatever the language)."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _search() -> forms.CharField:
    return forms.CharField(
        label=_("Product"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Product code or name")}),
    )


class _Filters(XtForm):
    def _choices(self, name: str, choices: list[tuple[str, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def value(self, name: str) -> Any:
        return self.cleaned_data.get(name) if self.is_valid() else None

    def line_id(self) -> int | None:
        value = self.value("line")
        return int(value) if value else None


class ProjectionFilterForm(_Filters):
    q = _search()
    line = forms.ChoiceField(label=_("Production line"), required=False)
    short = forms.BooleanField(label=_("Only items short"), required=False)

    def __init__(self, *args: Any, lines: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices("line", _line_choices(lines))

    def filters(self) -> dict[str, Any]:
        return {"q": self.value("q") or "", "line": self.line_id(), "short_only": bool(self.value("short"))}


class PlannedOrderFilterForm(_Filters):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *PlannedOrderStatus.choices]
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any kind")), *ReceiptKind.choices])
    line = forms.ChoiceField(label=_("Production line"), required=False)

    def __init__(self, *args: Any, lines: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices("line", _line_choices(lines))

    def filters(self) -> dict[str, Any]:
        return {"status": self.value("status") or "", "kind": self.value("kind") or "", "line": self.line_id()}


class PlannedOrderChangeForm(XtForm):
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=14, decimal_places=3)
    release_date = forms.DateField(label=_("Release by"), widget=_date_input())
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quantity"].widget.attrs.update({"inputmode": "decimal", "class": "form-control xt-num"})


class AtpForm(_Filters):
    q = _search()
    on = forms.DateField(label=_("Date"), required=False, widget=_date_input())
    product = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def day(self) -> date:
        return self.value("on") or timezone.localdate()


class ChartForm(_Filters):
    plan = forms.ChoiceField(label=_("Plan version"), required=False)
    q = _search()
    item = forms.ChoiceField(label=_("Product"), required=False)
    line = forms.ChoiceField(label=_("Production line"), required=False)

    def __init__(self, *args: Any, plans: list[Any], items: list[Any], lines: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices("plan", [(str(p.pk), f"{p.cycle:%Y-%m} · {p}") for p in plans])
        self._choices("item", [("", _("Choose a product")), *[(str(i.pk), str(i.product)) for i in items]])
        self._choices("line", [("", _("Choose a production line")), *_line_choices(lines)[1:]])
