"""Forms of the opportunity and process pages. They parse and show; the services decide (``service_errors``
puts their refusals next to the fields, and ``add_row_errors`` onto the rows of a formset)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from xietong.catalog.forms import product_picker
from xietong.catalog.models import Product
from xietong.core.forms import RowChoiceField, RowChoices, XtForm, XtFormMixin, rows_formset
from xietong.customers.choices import DecisionRole, Source
from xietong.customers.forms import customer_picker
from xietong.customers.models import Customer
from xietong.org.forms import PersonChoiceField
from xietong.org.models import BusinessUnit

from . import gates
from .choices import ForecastCategory, LostReason, MemberAccess, TeamRole
from .models import Stage

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.process.name} · {obj.name}"


class OpportunityForm(XtForm):
    """The opportunity's own fields; on create also the customer and the starting stage, on edit the
    owner and the forecast category."""

    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none(), widget=customer_picker())
    name = forms.CharField(label=_("Name"), max_length=200)
    stage = StageChoiceField(
        label=_("Sales process and stage"),
        queryset=Stage.objects.none(),
        help_text=_("Where the deal starts: the first stage unless it is further along already."),
    )
    owner: forms.ModelChoiceField[Any] = PersonChoiceField(label=_("Owner"), queryset=None)  # type: ignore[arg-type]
    amount = forms.DecimalField(
        label=_("Amount (¥)"),
        required=False,
        min_value=Decimal("0"),
        decimal_places=2,
        max_digits=16,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        help_text=_("With product lines the amount is their sum."),
    )
    expected_close = forms.DateField(label=_("Expected close date"), required=False, widget=DATE)
    probability = forms.IntegerField(
        label=_("Probability (%)"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=_("Leave empty for the stage's default."),
    )
    forecast_category = forms.ChoiceField(label=_("Forecast category"), choices=ForecastCategory.choices)
    source = forms.ChoiceField(label=_("Source"), choices=[("", "—"), *Source.choices], required=False)
    campaign = forms.CharField(label=_("Campaign"), max_length=100, required=False)
    competitors = forms.CharField(label=_("Competitors"), max_length=200, required=False)
    next_step = forms.CharField(label=_("Next step"), max_length=200, required=False)
    next_step_date = forms.DateField(label=_("Next step date"), required=False, widget=DATE)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(
        self,
        *args: Any,
        customers: QuerySet[Any] | None = None,
        stages: QuerySet[Stage] | None = None,
        owners: QuerySet[Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if customers is None:
            del self.fields["customer"]
        else:
            self.fields["customer"].queryset = customers  # type: ignore[attr-defined]
        if stages is None:
            del self.fields["stage"]
        else:
            self.fields["stage"].queryset = stages  # type: ignore[attr-defined]
        if owners is None:
            del self.fields["owner"]
            del self.fields["forecast_category"]
        else:
            self.fields["owner"].queryset = owners  # type: ignore[attr-defined]

    def service_fields(self) -> dict[str, Any]:
        """The values for ``opportunity_create`` / ``opportunity_update`` (EDITABLE_FIELDS)."""
        data = self.cleaned_data
        names = (
            "name",
            "amount",
            "expected_close",
            "probability",
            "forecast_category",
            "source",
            "campaign",
            "competitors",
            "next_step",
            "next_step_date",
            "description",
        )
        out = {n: data[n] for n in names if n in data}
        if out.get("amount") is None:
            out.pop("amount", None)
        return out


class CloseNoteForm(XtForm):
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class LoseForm(XtForm):
    reason = forms.ChoiceField(label=_("Reason lost"), choices=[("", "—"), *LostReason.choices])
    lost_to = forms.CharField(
        label=_("Competitor who won"),
        max_length=100,
        required=False,
        help_text=_("Required when the customer chose a competitor."),
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ReopenForm(XtForm):
    stage = forms.ModelChoiceField(
        label=_("Reopen at"),
        queryset=Stage.objects.none(),
        required=False,
        empty_label=_("The last open stage it was in"),
    )

    def __init__(self, *args: Any, stages: QuerySet[Stage], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = stages  # type: ignore[attr-defined]


# --- rows: product lines, contacts, the deal team -------------------------------------------------------


class RowForm(XtFormMixin, forms.Form):
    """A row of a formset: an extra row left empty is skipped (``kept_rows``). ``layout``: the row's
    fields in order with their grid columns (``pipeline/opportunity_rows.html`` lays header and rows out
    with it; ``DELETE`` is the formset's remove box)."""

    layout: tuple[tuple[str, str], ...] = ()

    def laid_out(self) -> list[tuple[Any, str]]:
        return [(self[name], css) for name, css in self.layout]


class LineForm(RowForm):
    layout = (
        ("product", "col-12 col-md-4"),
        ("quantity", "col-6 col-md-2"),
        ("unit_price", "col-6 col-md-2"),
        ("discount", "col-6 col-md-1"),
        ("delivery_month", "col-6 col-md-2"),
        ("DELETE", "col-12 col-md-1"),
    )
    product = RowChoiceField(label=_("Product"), queryset=Product.objects.none(), widget=product_picker())
    quantity = forms.DecimalField(
        label=_("Quantity"),
        min_value=Decimal("0.001"),
        decimal_places=3,
        max_digits=14,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    unit_price = forms.DecimalField(
        label=_("Unit price (¥)"),
        required=False,
        min_value=Decimal("0"),
        decimal_places=2,
        max_digits=16,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal", "placeholder": _("list price")}),
    )
    discount = forms.DecimalField(
        label=_("Discount (%)"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal", "placeholder": "0"}),
    )
    delivery_month = forms.CharField(
        label=_("Delivery month"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2027-03"}),
    )

    def __init__(self, *args: Any, products: RowChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        products.apply(self.fields["product"])  # type: ignore[arg-type]

    def service_row(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "product": data["product"],
            "quantity": data["quantity"],
            "unit_price": data.get("unit_price"),
            "discount": data.get("discount"),
            "delivery_month": data.get("delivery_month") or None,
        }


class ContactRowForm(RowForm):
    contact = forms.IntegerField(widget=forms.HiddenInput)
    included = forms.BooleanField(label=_("On the deal"), required=False)
    role = forms.ChoiceField(
        label=_("Role in the decision"), choices=[("", "—"), *DecisionRole.choices], required=False
    )


class MemberForm(RowForm):
    layout = (
        ("user", "col-12 col-md-4"),
        ("role", "col-6 col-md-2"),
        ("access", "col-6 col-md-2"),
        ("split", "col-6 col-md-2"),
        ("DELETE", "col-6 col-md-2"),
    )
    user = RowChoiceField(label=_("Member"), queryset=None)
    role = forms.ChoiceField(label=_("Role"), choices=TeamRole.choices, initial=TeamRole.SALES)
    access = forms.ChoiceField(label=_("Access"), choices=MemberAccess.choices, initial=MemberAccess.READ)
    split = forms.DecimalField(
        label=_("Revenue credit (%)"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal", "data-xt-split": "1"}),
    )

    def __init__(self, *args: Any, people: RowChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people.apply(self.fields["user"])  # type: ignore[arg-type]

    def has_changed(self) -> bool:
        # an extra row counts only when a member is chosen (role and access have initial values)
        return bool(self.data.get(self.add_prefix("user"))) if self.is_bound else super().has_changed()


# the line and team editors offer up to this many new rows (``?rows=``) below the existing ones
NEW_ROWS = 60
LineFormSet = rows_formset(LineForm, new_rows=NEW_ROWS, can_delete=True)
ContactFormSet = forms.formset_factory(ContactRowForm, extra=0)
MemberFormSet = rows_formset(MemberForm, new_rows=NEW_ROWS, can_delete=True)


# --- process administration -------------------------------------------------------------------------------


class ProcessForm(XtForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    business_unit = forms.ModelChoiceField(label=_("Business unit"), queryset=BusinessUnit.objects.none())
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    is_default = forms.BooleanField(label=_("Default process of the business unit"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, business_units: QuerySet[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if business_units is None:
            del self.fields["business_unit"]
        else:
            self.fields["business_unit"].queryset = business_units  # type: ignore[attr-defined]
            del self.fields["is_active"]
            self.fields["name"].help_text = _("It starts with the standard stages; change them on its page.")


class StageForm(XtForm):
    name = forms.CharField(label=_("Name"), max_length=40)
    probability = forms.IntegerField(label=_("Win probability (%)"), min_value=0, max_value=100)
    forecast_category = forms.ChoiceField(label=_("Forecast category"), choices=ForecastCategory.choices)
    expected_days = forms.IntegerField(label=_("Expected days in stage"), required=False, min_value=0, max_value=3650)
    requirements = forms.MultipleChoiceField(
        label=_("Required before entering"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The deal cannot enter the stage without them."),
    )
    playbook = forms.CharField(
        label=_("Playbook"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What a good rep does in this stage."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["requirements"].choices = gates.choices()  # type: ignore[attr-defined]


class ChecklistItemForm(XtForm):
    text = forms.CharField(label=_("Item"), max_length=200)
    required = forms.BooleanField(label=_("Required to move on"), required=False)


__all__ = [
    "CloseNoteForm",
    "ContactFormSet",
    "LineFormSet",
    "LoseForm",
    "MemberFormSet",
    "OpportunityForm",
    "ProcessForm",
    "ReopenForm",
    "StageForm",
]
