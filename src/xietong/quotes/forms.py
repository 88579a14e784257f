"""Forms of the quote and price-book pages. They only parse: the services validate and decide."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.catalog.forms import product_picker
from xietong.core.forms import MonthField, RowChoiceField, RowChoices, XtForm, XtFormMixin, rows_formset
from xietong.customers.forms import customer_picker

from .choices import Channel, DiscountKind, QuoteStatus, VatRate


def _rate(value: Any) -> Decimal:
    """A VAT rate's text as a Decimal; ``ValueError`` (which the choice field turns into its own error)
    for text that is no number: ``Decimal("abc")`` raises ``InvalidOperation``, which the field does not
    expect."""
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError(value) from None


class QuoteFilterForm(XtForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Number, title or customer")}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("all", _("Every status")), ("open", _("Open (draft to sent)")), *QuoteStatus.choices],
    )
    owner = forms.IntegerField(required=False, widget=forms.HiddenInput)
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    opportunity = forms.IntegerField(required=False, widget=forms.HiddenInput)


class QuoteForm(XtForm):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    price_book: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Price book"), queryset=None, required=False, empty_label=_("List prices")
    )
    contact: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Contact"), queryset=None, required=False)
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    terms = forms.CharField(label=_("Terms"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    notes = forms.CharField(label=_("Internal notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, books: QuerySet[Any], contacts: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["price_book"].queryset = books  # type: ignore[attr-defined]
        self.fields["contact"].queryset = contacts  # type: ignore[attr-defined]


class QuoteLineForm(XtFormMixin, forms.Form):
    """A row of the line editor; an extra row left empty is skipped."""

    layout = (
        ("product", "col-12 col-md-2"),
        ("quantity", "col-6 col-md-1"),
        ("unit_price", "col-6 col-md-2"),
        ("discount_kind", "col-6 col-md-1"),
        ("discount_value", "col-6 col-md-1"),
        ("tax_rate", "col-6 col-md-1"),
        ("delivery_month", "col-6 col-md-2"),
        ("description", "col-6 col-md-1"),
        ("DELETE", "col-12 col-md-1"),
    )
    product = RowChoiceField(label=_("Product"), queryset=None, widget=product_picker())
    quantity = forms.DecimalField(
        label=_("Quantity"),
        decimal_places=3,
        max_digits=14,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        required=False,
        decimal_places=2,
        max_digits=16,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal", "placeholder": _("price book")}),
    )
    discount_kind = forms.ChoiceField(
        label=_("Discount in"), choices=DiscountKind.choices, initial=DiscountKind.PERCENT
    )
    discount_value = forms.DecimalField(
        label=_("Discount"),
        required=False,
        decimal_places=2,
        max_digits=16,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal", "placeholder": "0"}),
    )
    tax_rate = forms.TypedChoiceField(
        label=_("VAT rate"),
        choices=[("", _("product's")), *VatRate.choices],
        required=False,
        coerce=_rate,
        empty_value=None,
    )
    delivery_month = MonthField(label=_("Delivery month"), required=False)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def __init__(self, *args: Any, products: RowChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        products.apply(self.fields["product"])  # type: ignore[arg-type]

    def laid_out(self) -> list[tuple[Any, str]]:
        return [(self[name], css) for name, css in self.layout]

    def service_row(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "product": data["product"],
            "quantity": data["quantity"],
            "unit_price": data.get("unit_price"),
            "discount_kind": data.get("discount_kind") or DiscountKind.PERCENT,
            "discount_value": data.get("discount_value"),
            "tax_rate": data.get("tax_rate"),
            "delivery_month": data.get("delivery_month"),
            "description": data.get("description") or "",
        }


# the editor offers up to this many new rows (``?rows=``) below the quote's lines
NEW_ROWS = 300
QuoteLineFormSet = rows_formset(QuoteLineForm, new_rows=NEW_ROWS, can_delete=True)


class DecisionForm(XtForm):
    decided_on = forms.DateField(
        label=_("Date of the customer's answer"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class QuoteEmailForm(XtForm):
    to = forms.CharField(
        label=pgettext_lazy("e-mail", "To"),
        max_length=1000,
        help_text=_("Several addresses separated by commas or semicolons."),
    )
    cc = forms.CharField(label=pgettext_lazy("e-mail", "Cc"), max_length=1000, required=False)
    subject = forms.CharField(label=pgettext_lazy("e-mail", "Subject"), max_length=200)
    message = forms.CharField(
        label=pgettext_lazy("e-mail", "Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 8})
    )


class PriceBookForm(XtForm):
    name = forms.CharField(label=_("Name"), max_length=80)
    business_unit: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Business unit"), queryset=None, required=False, empty_label=_("The whole group")
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")
    exchange_rate = forms.DecimalField(
        label=_("Exchange rate to CNY"), max_digits=12, decimal_places=6, initial=Decimal("1")
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, business_units: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["business_unit"].queryset = business_units  # type: ignore[attr-defined]


class EntryForm(XtForm):
    product: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Product"), queryset=None, widget=product_picker()
    )
    customer: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=None,
        required=False,
        empty_label=_("Every customer"),
        widget=customer_picker(),
    )
    min_quantity = forms.DecimalField(label=_("From quantity"), max_digits=14, decimal_places=3, initial=Decimal("1"))
    unit_price = forms.DecimalField(label=_("Unit price"), max_digits=16, decimal_places=2)

    def __init__(self, *args: Any, products: QuerySet[Any], customers: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products  # type: ignore[attr-defined]
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]
