"""Forms of the S&OP cycle pages: a new plan version, the grid's filters, the inline override, a
meeting record, a contingency plan, running a forecast."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.core.forms import MonthField, XtForm
from xietong.org.forms import PersonChoiceField

from .choices import ContingencyTrigger, PlanStage
from .plan_services import MAX_HORIZON, MEETING_STAGES, month_start
from .supply_forms import Filters


class PlanCreateForm(XtForm):
    cycle = MonthField(label=_("Cycle month"))
    horizon = forms.IntegerField(label=_("Horizon (months)"), min_value=1, max_value=MAX_HORIZON, initial=18)
    title = forms.CharField(label=_("Title"), max_length=120, required=False, help_text=_("Default: the cycle month."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cycle"].initial = month_start(timezone.localdate())


class GridFilterForm(Filters):
    business_unit = forms.TypedChoiceField(label=_("Business unit"), required=False, coerce=int, empty_value=None)
    product_line = forms.ChoiceField(label=_("Product line"), required=False)
    q = forms.CharField(
        label=_("Product"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Product")}),
    )

    def __init__(self, *args: Any, business_units: list[Any], product_lines: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices("business_unit", ((b.pk, b.name) for b in business_units), empty=_("All business units"))
        self._choices("product_line", ((p, p) for p in product_lines), empty=_("All product lines"))

    def filters(self) -> dict[str, Any]:
        return {
            "business_unit": self.value("business_unit"),
            "product_line": self.value("product_line") or "",
            "q": self.text("q"),
        }


class OverrideForm(XtForm):
    quantity = forms.DecimalField(
        label=_("Override"),
        required=False,
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=3,
        help_text=_("Empty: back to the proposal."),
    )
    reason = forms.CharField(label=_("Why"), max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quantity"].widget.attrs.update({"inputmode": "decimal", "class": "form-control xt-num"})


class MeetingForm(XtForm):
    stage = forms.ChoiceField(label=_("Step"))
    held_on = forms.DateField(label=_("Held on"), widget=forms.DateInput(attrs={"type": "date"}))
    attendees: Any = forms.ModelMultipleChoiceField(label=_("Attendees"), queryset=None, required=False)
    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 3}))
    decisions = forms.CharField(
        label=_("Decisions and action items"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from xietong.org.models import User

        super().__init__(*args, **kwargs)
        stage: Any = self.fields["stage"]
        stage.choices = [(s.value, s.label) for s in PlanStage if s in MEETING_STAGES]
        attendees: Any = self.fields["attendees"]
        attendees.queryset = User.objects.filter(is_active=True).order_by("display_name", "pk")
        self.fields["held_on"].initial = timezone.localdate()


class ContingencyForm(XtForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    trigger = forms.ChoiceField(label=_("Trigger"), choices=ContingencyTrigger.choices)
    threshold_percent = forms.DecimalField(
        label=_("Threshold (%)"),
        required=False,
        min_value=Decimal("0"),
        max_digits=6,
        decimal_places=2,
        help_text=_("For demand triggers: the change against the previous plan version."),
    )
    product_line = forms.CharField(label=_("Product line"), max_length=60, required=False)
    actions = forms.CharField(label=_("Actions"), widget=forms.Textarea(attrs={"rows": 4}))
    owner: Any = PersonChoiceField(label=_("Owner"), queryset=None)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from xietong.org.models import User

        super().__init__(*args, **kwargs)
        owner: Any = self.fields["owner"]
        owner.queryset = User.objects.filter(is_active=True).order_by("display_name", "pk")


class ForecastRunForm(XtForm):
    first_month = MonthField(label=_("First forecast month"))
    horizon = forms.IntegerField(label=_("Horizon (months)"), min_value=1, max_value=MAX_HORIZON, initial=18)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["first_month"].initial = month_start(timezone.localdate())


class SeriesFilterForm(Filters):
    """The filters of a run's series (the page and its export read the same)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Product code or name")}),
    )
    business_unit = forms.TypedChoiceField(label=_("Business unit"), required=False, coerce=int, empty_value=None)
    model = forms.ChoiceField(label=_("Model"), required=False)

    def __init__(self, *args: Any, business_units: list[Any], models: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices("business_unit", ((b.pk, b.name) for b in business_units), empty=_("All business units"))
        self._choices("model", ((m, m) for m in models), empty=_("All models"))

    def filters(self) -> dict[str, Any]:
        return {"business_unit": self.value("business_unit"), "model": self.value("model") or "", "q": self.text("q")}
