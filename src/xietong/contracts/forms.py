"""Forms of the contract pages. They parse and show; the services decide (``add_service_error`` puts
their refusals next to the fields, ``add_row_errors`` onto the rows of the lines)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.catalog.forms import product_picker
from xietong.catalog.models import Product
from xietong.core.forms import MonthField, RowChoiceField, RowChoices, XtForm, XtFormMixin, rows_formset
from xietong.core.params import as_int
from xietong.customers.forms import customer_picker

from .choices import ContractStatus

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
VAT_CHOICES = [("13.00", "13%"), ("9.00", "9%"), ("6.00", "6%"), ("0.00", "0%")]


class FilterForm(XtForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Number, title or customer")}),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Every status")), *ContractStatus.choices]
    )
    owner = forms.IntegerField(label=_("Owner"), required=False, widget=forms.HiddenInput)
    customer = forms.IntegerField(label=_("Customer"), required=False, widget=forms.HiddenInput)
    business_unit: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Business unit"),
        required=False,
        queryset=None,  # type: ignore[arg-type]
    )
    ending_before = forms.DateField(label=_("Ending before"), required=False, widget=DATE)
    mine = forms.BooleanField(label=_("Only mine"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        from xietong.org.models import BusinessUnit

        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["business_unit"].queryset = BusinessUnit.objects.filter(is_active=True).order_by("code")  # type: ignore[attr-defined]
        self.fields["business_unit"].empty_label = _("Every business unit")  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        owner = self.user.pk if data.get("mine") else data.get("owner")
        return {
            "q": (data.get("q") or "").strip(),
            "status": data.get("status") or "",
            "owner": owner,
            "customer": data.get("customer"),
            "business_unit": data.get("business_unit"),
            "ending_before": data.get("ending_before"),
        }

    def is_filtered(self) -> bool:
        return any(v not in (None, "") for v in self.filters().values())


class ContractForm(XtForm):
    """The contract's own fields; on create also the customer (and opportunity)."""

    customer: forms.ModelChoiceField[Any] = forms.ModelChoiceField(  # type: ignore[arg-type]
        label=_("Customer"), queryset=None, widget=customer_picker()
    )
    opportunity: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Opportunity"),
        required=False,
        queryset=None,  # type: ignore[arg-type]
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    party_a = forms.CharField(
        label=_("Party A (customer)"), max_length=200, required=False, help_text=_("Empty: the customer's name.")
    )
    party_b = forms.CharField(
        label=_("Party B (our company)"), max_length=200, required=False, help_text=_("Empty: the group's name.")
    )
    customer_signatory = forms.CharField(label=_("Customer's signatory"), max_length=60, required=False)
    our_signatory = forms.CharField(label=_("Our signatory"), max_length=60, required=False)
    start_date = forms.DateField(label=_("Start date"), required=False, widget=DATE)
    end_date = forms.DateField(label=_("End date"), required=False, widget=DATE)
    renewal_notice_days = forms.IntegerField(
        label=_("Renewal reminder (days before the end)"), min_value=0, max_value=365, initial=30
    )
    payment_terms = forms.CharField(
        label=_("Payment terms"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E.g. 30% on signing, 60% on delivery, 10% after acceptance."),
    )
    terms = forms.CharField(label=_("Other terms"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    FIELDS = (
        "title",
        "party_a",
        "party_b",
        "customer_signatory",
        "our_signatory",
        "start_date",
        "end_date",
        "renewal_notice_days",
        "payment_terms",
        "terms",
    )

    def __init__(self, *args: Any, user: Any, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if creating:
            from xietong.customers.models import Customer
            from xietong.pipeline.models import Opportunity

            self.fields["customer"].queryset = Customer.objects.visible_to(user).order_by("name")  # type: ignore[attr-defined]
            # the chosen customer's opportunities only (the page opened from an opportunity names both)
            chosen = as_int(self.data.get("customer") or self.initial.get("customer"), None)
            self.fields["opportunity"].queryset = (  # type: ignore[attr-defined]
                Opportunity.objects.visible_to(user).filter(customer_id=chosen).order_by("-pk")
                if chosen is not None
                else Opportunity.objects.none()
            )
            self.fields["opportunity"].help_text = _("An opportunity of the customer (open the form from it).")
        else:
            del self.fields["customer"]
            del self.fields["opportunity"]

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.FIELDS}


class AmendForm(ContractForm):
    reason = forms.CharField(label=_("Reason for the amendment"), max_length=500)


class FromQuoteForm(XtForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    start_date = forms.DateField(label=_("Start date"), required=False, widget=DATE)
    end_date = forms.DateField(label=_("End date"), required=False, widget=DATE)
    payment_terms = forms.CharField(label=_("Payment terms"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class SignForm(XtForm):
    signed_date = forms.DateField(label=_("Signing date"), widget=DATE)
    scan = forms.FileField(label=_("Signed scan (PDF or image)"))


class TerminateForm(XtForm):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class SequenceForm(XtForm):
    pattern = forms.CharField(
        label=_("Number pattern"),
        max_length=60,
        help_text=_("Fields: {prefix} {yyyy} {yy} {mm} {seq}, e.g. HT-{prefix}-{yyyy}-{seq:04d}."),
    )
    prefix = forms.CharField(label=_("Prefix"), max_length=20, required=False)  # type: ignore[assignment]
    reset_yearly = forms.BooleanField(label=_("Restart every year"), required=False)


class LineForm(XtFormMixin, forms.Form):
    layout = (
        ("product", "col-12 col-md-2"),
        ("quantity", "col-6 col-md-1"),
        ("unit_price", "col-6 col-md-2"),
        ("discount_amount", "col-6 col-md-2"),
        ("tax_rate", "col-6 col-md-1"),
        ("delivery_month", "col-6 col-md-2"),
        ("description", "col-6 col-md-1"),
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
        label=_("Unit price without VAT (¥)"),
        min_value=Decimal("0"),
        decimal_places=2,
        max_digits=16,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    discount_amount = forms.DecimalField(
        label=_("Discount (¥)"),
        required=False,
        min_value=Decimal("0"),
        decimal_places=2,
        max_digits=16,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal", "placeholder": "0"}),
    )
    tax_rate = forms.ChoiceField(label=_("VAT rate"), choices=VAT_CHOICES, initial="13.00")
    delivery_month = MonthField(label=_("Delivery month"), required=False)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    # the contract's line this row edits (empty: a new line); the service checks it is this contract's
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, products: RowChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        products.apply(self.fields["product"])  # type: ignore[arg-type]

    def laid_out(self) -> list[tuple[Any, str]]:
        return [(self[name], css) for name, css in self.layout]

    def has_changed(self) -> bool:
        # an extra row counts only when a product is chosen (the VAT rate has an initial value)
        return bool(self.data.get(self.add_prefix("product"))) if self.is_bound else super().has_changed()

    def service_row(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "id": data.get("id"),
            "product": data["product"],
            "quantity": data["quantity"],
            "unit_price": data["unit_price"],
            "discount_amount": data.get("discount_amount") or Decimal("0"),
            "tax_rate": data["tax_rate"],
            "delivery_month": data.get("delivery_month"),
            "description": data.get("description") or "",
        }


# the editor offers new rows up to this many lines in all (``?rows=``)
MAX_ROWS = 200
LineFormSet = rows_formset(LineForm, new_rows=MAX_ROWS, can_delete=True)
