"""Forms of the supply pages: the projection and planned-order filters, the change of a planned
order, the ATP lookup and the chart picker."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.core.forms import XtForm

from .choices import PlannedOrderStatus, ReceiptKind


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


class Filters(XtForm):
    """The filters or pickers of a supply or S&OP page. ``filters()`` answers a filter bar's selector
    keyword arguments; a value that does not validate counts as no filter."""

    def _choices(self, name: str, choices: Iterable[tuple[Any, Any]], *, empty: Any = None) -> None:
        """The field's choices, after an empty one labelled ``empty`` ("all …", "choose …") if given."""
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [*([("", empty)] if empty is not None else []), *choices]

    def _lines(self, lines: Iterable[Any], *, empty: Any = None) -> None:
        """The production lines to pick, after "any production line" (or ``empty``)."""
        options = ((str(line.pk), str(line)) for line in lines)
        self._choices("line", options, empty=_("Any production line") if empty is None else empty)

    def value(self, name: str) -> Any:
        return self.cleaned_data.get(name) if self.is_valid() else None

    def text(self, name: str) -> str:
        return (self.value(name) or "").strip()

    def line_id(self) -> int | None:
        value = self.value("line")
        return int(value) if value else None

    def filters(self) -> dict[str, Any]:
        """The selector's keyword arguments; a picker (the ATP lookup, the chart) has none."""
        return {}

    def is_filtered(self) -> bool:
        return any(value not in (None, "", False) for value in self.filters().values())


class ProjectionFilterForm(Filters):
    q = _search()
    line = forms.ChoiceField(label=_("Production line"), required=False)
    short = forms.BooleanField(label=_("Only items short"), required=False)

    def __init__(self, *args: Any, lines: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lines(lines)

    def filters(self) -> dict[str, Any]:
        return {"q": self.text("q"), "line": self.line_id(), "short_only": bool(self.value("short"))}


class PlannedOrderFilterForm(Filters):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *PlannedOrderStatus.choices]
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any kind")), *ReceiptKind.choices])
    line = forms.ChoiceField(label=_("Production line"), required=False)

    def __init__(self, *args: Any, lines: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lines(lines)

    def filters(self) -> dict[str, Any]:
        return {"status": self.value("status") or "", "kind": self.value("kind") or "", "line": self.line_id()}


class PlannedOrderChangeForm(XtForm):
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=14, decimal_places=3)
    release_date = forms.DateField(label=_("Release by"), widget=_date_input())
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quantity"].widget.attrs.update({"inputmode": "decimal", "class": "form-control xt-num"})


class AtpForm(Filters):
    q = _search()
    on = forms.DateField(label=_("Date"), required=False, widget=_date_input())
    product = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def day(self) -> date:
        return self.value("on") or timezone.localdate()


class ChartForm(Filters):
    plan = forms.ChoiceField(label=_("Plan version"), required=False)
    q = _search()
    item = forms.ChoiceField(label=_("Product"), required=False)
    line = forms.ChoiceField(label=_("Production line"), required=False)

    def __init__(self, *args: Any, plans: list[Any], items: list[Any], lines: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices("plan", ((str(p.pk), f"{p.cycle:%Y-%m} · {p}") for p in plans))
        self._choices("item", ((str(i.pk), str(i.product)) for i in items), empty=_("Choose a product"))
        self._lines(lines, empty=_("Choose a production line"))
