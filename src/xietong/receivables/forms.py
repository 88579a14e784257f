"""Forms of the money pages. They parse and show; the services decide (``service_errors`` puts
their refusals next to the fields)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.core.forms import XtForm

from .choices import InvoiceKind, InvoiceStatus, PaymentKind, PaymentMethod
from .services import MAX_INSTALLMENTS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY_WIDGET = forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"})


def money_field(label: Any, *, required: bool = True, help_text: Any = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        decimal_places=2,
        max_digits=16,
        widget=MONEY_WIDGET,
        help_text=help_text,
    )


class InstallmentForm(XtForm):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DATE)
    amount = money_field(_("Amount (¥)"), required=False)
    received = forms.DecimalField(required=False, widget=forms.HiddenInput)

    def row(self) -> dict[str, Any] | None:
        """The installment as the service takes it, None for an empty row."""
        data = self.cleaned_data
        if data.get("amount") in (None, "") and not data.get("due_date") and not data.get("name"):
            return None
        return {
            "id": data.get("id"),
            "name": data.get("name") or "",
            "due_date": data.get("due_date"),
            "amount": data.get("amount") if data.get("amount") is not None else "",
        }


# a post claiming more rows than a plan may hold is refused by the formset ("at most 120 forms") before
# any row is built
InstallmentFormSet = forms.formset_factory(
    InstallmentForm, extra=2, max_num=MAX_INSTALLMENTS, absolute_max=MAX_INSTALLMENTS, validate_max=True
)
ReadOnlyInstallmentFormSet = forms.formset_factory(InstallmentForm, extra=0, max_num=MAX_INSTALLMENTS)


def read_only(*forms_: forms.Form) -> None:
    """Show the forms' values without letting anyone type into them (a plan in approval, a reader
    without the right to change it)."""
    for form in forms_:
        for field in form.fields.values():
            field.disabled = True


class PlanForm(XtForm):
    difference = money_field(
        _("Difference from the contract amount (¥)"),
        required=False,
        help_text=_("Only when the installments do not add up to the contract amount, e.g. a discount at settlement."),
    )
    difference_reason = forms.CharField(label=_("Reason for the difference"), max_length=500, required=False)


class AllocationRowForm(XtForm):
    installment = forms.IntegerField(widget=forms.HiddenInput)
    amount = money_field(_("Allocate (¥)"), required=False)


class PaymentForm(XtForm):
    received_on = forms.DateField(label=_("Date received"), widget=DATE)
    amount = money_field(_("Amount (¥)"))
    method = forms.ChoiceField(label=_("Payment method"), choices=PaymentMethod.choices)
    payer = forms.CharField(label=_("Payer"), max_length=200, required=False)
    reference = forms.CharField(label=_("Bank reference"), max_length=80, required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
    allocation = forms.ChoiceField(
        label=_("Allocation"),
        choices=(("auto", _("Automatically, oldest due first")), ("manual", _("By hand"))),
        initial="auto",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()


class RefundForm(XtForm):
    refunded_on = forms.DateField(label=_("Date refunded"), widget=DATE)
    amount = money_field(_("Amount refunded (¥)"))
    method = forms.ChoiceField(label=_("Payment method"), choices=PaymentMethod.choices)
    reference = forms.CharField(label=_("Bank reference"), max_length=80, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["refunded_on"].initial = timezone.localdate()


VAT_CHOICES = [(str(r), f"{r}%") for r in ("13", "9", "6", "5", "3", "1", "0")]


class InvoiceForm(XtForm):
    kind = forms.ChoiceField(label=_("Invoice type"), choices=InvoiceKind.choices)
    amount = money_field(_("Amount with VAT (¥)"))
    tax_rate = forms.ChoiceField(label=_("VAT rate"), choices=VAT_CHOICES, initial="13")
    title = forms.CharField(label=_("Invoice title"), max_length=200)
    tax_number = forms.CharField(
        label=_("Taxpayer number"),
        max_length=24,
        required=False,
        help_text=_("The buyer's unified social credit code (18 characters)."),
    )
    address_phone = forms.CharField(label=_("Address and phone"), max_length=200, required=False)
    bank_name = forms.CharField(label=_("Bank"), max_length=100, required=False)
    bank_account = forms.CharField(label=_("Bank account"), max_length=40, required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class IssueForm(XtForm):
    number = forms.CharField(label=_("Invoice number"), max_length=40)
    issued_on = forms.DateField(label=_("Issued on"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["issued_on"].initial = timezone.localdate()


class VoidForm(XtForm):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class CreditForm(XtForm):
    business_unit = forms.IntegerField(widget=forms.HiddenInput)
    credit_limit = money_field(_("Credit limit (¥)"))


class PaymentFilterForm(XtForm):
    q = forms.CharField(required=False, label=_("Search"))
    kind = forms.ChoiceField(required=False, label=_("Kind"), choices=[("", _("All kinds")), *PaymentKind.choices])
    method = forms.ChoiceField(
        required=False, label=_("Payment method"), choices=[("", _("All methods")), *PaymentMethod.choices]
    )
    date_from = forms.DateField(required=False, label=_("From"), widget=DATE)
    date_to = forms.DateField(required=False, label=_("To"), widget=DATE)
    contract = forms.IntegerField(required=False, widget=forms.HiddenInput)
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        d = self.cleaned_data
        return {
            "q": (d.get("q") or "").strip(),
            "kind": d.get("kind") or "",
            "method": d.get("method") or "",
            "date_from": d.get("date_from"),
            "date_to": d.get("date_to"),
            "contract": d.get("contract"),
            "customer": d.get("customer"),
        }


class InvoiceFilterForm(XtForm):
    q = forms.CharField(required=False, label=_("Search"))
    status = forms.ChoiceField(
        required=False, label=_("Status"), choices=[("", _("All statuses")), *InvoiceStatus.choices]
    )
    kind = forms.ChoiceField(
        required=False, label=_("Invoice type"), choices=[("", _("All types")), *InvoiceKind.choices]
    )
    contract = forms.IntegerField(required=False, widget=forms.HiddenInput)
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        d = self.cleaned_data
        return {
            "q": (d.get("q") or "").strip(),
            "status": d.get("status") or "",
            "kind": d.get("kind") or "",
            "contract": d.get("contract"),
            "customer": d.get("customer"),
        }


ZERO = Decimal("0.00")
