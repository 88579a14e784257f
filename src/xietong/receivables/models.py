"""Money in: payment plans (回款计划), payments received (回款), invoices (开票) and credit limits.

A contract has one ``PaymentPlan`` of ``Installment`` s (date and amount) that add up to the
contract's amount, or differ from it by a ``difference`` recorded with its reason. Once approved,
the installments stay in force until a change (the plan's ``proposal``) is approved. A ``Payment``
received from the customer is allocated (``Allocation``) to installments — partly, across several,
or left partly unallocated (an overpayment waits for the next installment); a refund is a payment
of kind refund whose allocations are negative. An installment's ``received`` is the sum of its
allocations, never above its amount. An ``Invoice`` is requested for part of a contract, approved
and issued with its number and date; the invoiced total never exceeds the contract amount.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xietong.core.visibility import VisibleQuerySet

from . import visibility
from .choices import InvoiceKind, InvoiceStatus, PaymentKind, PaymentMethod, PlanStatus

USER = settings.AUTH_USER_MODEL
ZERO = Decimal("0.00")


class PaymentPlanQuerySet(VisibleQuerySet["PaymentPlan"]):
    pass


class PaymentPlan(models.Model):
    visibility_policy = visibility.PAYMENT_PLANS

    contract = models.OneToOneField(
        "contracts.Contract", verbose_name=_("contract"), on_delete=models.PROTECT, related_name="payment_plan"
    )
    # denormalised from the contract for the visibility rules and the aging report
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    business_unit = models.ForeignKey("org.BusinessUnit", on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(USER, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    difference = models.DecimalField(
        _("difference from the contract amount"), max_digits=16, decimal_places=2, default=ZERO
    )
    difference_reason = models.CharField(_("reason for the difference"), max_length=500, blank=True)
    # set when a schedule was first approved: from then on the installments are the schedule in
    # force, and a change waits in ``proposal`` until it is approved (ADR 0015)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True, editable=False)
    # {"installments": [{"id", "name", "due_date", "amount"}], "difference", "difference_reason"}
    proposal = models.JSONField(null=True, blank=True, editable=False)
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PaymentPlanQuerySet.as_manager()

    audit_fields = ("status", "difference", "difference_reason", "owner")

    class Meta:
        verbose_name = _("payment plan")
        verbose_name_plural = _("payment plans")

    def __str__(self) -> str:
        return str(self.contract_id)

    @property
    def in_force(self) -> bool:
        """An approved schedule holds: aging, credit control and reminders read these installments."""
        return self.approved_at is not None


class Installment(models.Model):
    not_business_data = True  # part of a payment plan: read through it

    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="installments")
    position = models.PositiveSmallIntegerField(_("installment"), default=1)
    name = models.CharField(_("name"), max_length=60, blank=True)  # 预付款, 到货款, 验收款, 质保金 …
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    received = models.DecimalField(_("received"), max_digits=16, decimal_places=2, default=ZERO)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)  # told it is overdue
    due_soon_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)  # told it is due soon

    class Meta:
        ordering = ("plan", "position", "pk")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="receivables_installment_amount_positive"),
            models.CheckConstraint(
                condition=Q(received__gte=0) & Q(received__lte=models.F("amount")),
                name="receivables_installment_received_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["due_date", "plan"], name="receivables_due_idx")]

    def __str__(self) -> str:
        return f"{self.plan_id} #{self.position}"

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.received


class PaymentQuerySet(VisibleQuerySet["Payment"]):
    pass


class Payment(models.Model):
    visibility_policy = visibility.PAYMENTS

    number = models.CharField(_("payment number"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=PaymentKind.choices, default=PaymentKind.RECEIPT)
    contract = models.ForeignKey(
        "contracts.Contract", verbose_name=_("contract"), on_delete=models.PROTECT, related_name="payments"
    )
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    business_unit = models.ForeignKey("org.BusinessUnit", on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(USER, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    method = models.CharField(
        _("payment method"), max_length=12, choices=PaymentMethod.choices, default=PaymentMethod.TRANSFER
    )
    payer = models.CharField(_("payer"), max_length=200, blank=True)
    reference = models.CharField(_("bank reference"), max_length=80, blank=True)
    refund_of = models.ForeignKey(
        "self", verbose_name=_("refund of"), null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = PaymentQuerySet.as_manager()

    audit_fields = ("received_on", "amount", "method", "payer", "reference", "note")

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="receivables_payment_amount_positive")]
        indexes = [
            models.Index(fields=["contract", "received_on"], name="recv_payment_contract_idx"),
            models.Index(fields=["business_unit", "-id"], name="recv_payment_bu_idx"),
            models.Index(fields=["owner", "-id"], name="recv_payment_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class Allocation(models.Model):
    """Part of a payment applied to an installment; negative for a refund."""

    not_business_data = True  # part of a payment

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="receivables_allocation_not_zero")]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.installment_id}: {self.amount}"


class InvoiceQuerySet(VisibleQuerySet["Invoice"]):
    pass


class Invoice(models.Model):
    visibility_policy = visibility.INVOICES

    contract = models.ForeignKey(
        "contracts.Contract", verbose_name=_("contract"), on_delete=models.PROTECT, related_name="invoices"
    )
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    business_unit = models.ForeignKey("org.BusinessUnit", on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(USER, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("invoice type"), max_length=10, choices=InvoiceKind.choices, default=InvoiceKind.SPECIAL)
    status = models.CharField(_("status"), max_length=12, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    amount = models.DecimalField(_("amount with VAT"), max_digits=16, decimal_places=2)
    tax_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal("13.00"))
    title = models.CharField(_("invoice title"), max_length=200)  # 发票抬头
    tax_number = models.CharField(_("taxpayer number"), max_length=20)  # 纳税人识别号 (统一社会信用代码)
    address_phone = models.CharField(_("address and phone"), max_length=200, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=40, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    issued_number = models.CharField(_("invoice number"), max_length=40, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    issued_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    void_reason = models.CharField(_("reason void"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = InvoiceQuerySet.as_manager()

    audit_fields = (
        "kind",
        "status",
        "amount",
        "tax_rate",
        "title",
        "tax_number",
        "address_phone",
        "bank_name",
        "bank_account",
        "note",
        "issued_number",
        "issued_on",
        "void_reason",
    )

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="receivables_invoice_amount_positive"),
            models.UniqueConstraint(
                fields=["issued_number"], condition=~Q(issued_number=""), name="receivables_invoice_unique_number"
            ),
        ]
        indexes = [
            models.Index(fields=["contract", "status"], name="recv_invoice_contract_idx"),
            models.Index(fields=["business_unit", "-id"], name="recv_invoice_bu_idx"),
        ]

    def __str__(self) -> str:
        return self.issued_number or f"#{self.pk}"


class CustomerCredit(models.Model):
    """A customer's credit limit with one business unit: orders over it, or while money is overdue,
    go to credit review."""

    not_business_data = True  # finance's setting, read with the customer

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    business_unit = models.ForeignKey("org.BusinessUnit", on_delete=models.CASCADE, related_name="+")
    credit_limit = models.DecimalField(_("credit limit"), max_digits=16, decimal_places=2, default=ZERO)
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audit_fields = ("credit_limit",)

    class Meta:
        verbose_name = _("credit limit")
        constraints = [
            models.UniqueConstraint(fields=["customer", "business_unit"], name="receivables_credit_unique"),
            models.CheckConstraint(condition=Q(credit_limit__gte=0), name="receivables_credit_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.business_unit}: {self.credit_limit}"
