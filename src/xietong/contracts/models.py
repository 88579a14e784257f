"""Contracts (合同).

A ``Contract`` is made from an accepted quote (its lines copied) or on its own, numbered by its
business unit's ``ContractSequence`` (a configurable pattern), reviewed at headquarters by legal
and finance through the approval engine, signed (the scan attached), active between its start and
end dates, then expired or terminated. ``amount`` is what the customer pays, VAT included; payment
plans, invoices and payments (receivables) add up against it. An amendment of a signed contract
keeps the version it replaces as a ``ContractVersion`` (a snapshot of the fields and lines).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xietong.core.visibility import VisibleQuerySet

from . import visibility
from .choices import ContractStatus

USER = settings.AUTH_USER_MODEL
ZERO = Decimal("0.00")


class ContractSequence(models.Model):
    """A business unit's contract numbers: ``pattern`` with ``{prefix}``, ``{yyyy}``, ``{yy}``, ``{mm}``
    and ``{seq}`` (optionally ``{seq:05d}``); ``reset_yearly`` starts the sequence again each year."""

    not_business_data = True  # a BU's configuration, read by the contract services

    business_unit = models.OneToOneField(
        "org.BusinessUnit", verbose_name=_("business unit"), on_delete=models.CASCADE, related_name="+"
    )
    pattern = models.CharField(_("number pattern"), max_length=60, default="HT-{prefix}-{yyyy}-{seq:04d}")
    prefix = models.CharField(_("prefix"), max_length=20, blank=True)
    reset_yearly = models.BooleanField(_("restart every year"), default=True)
    year = models.PositiveSmallIntegerField(default=0)
    next_value = models.PositiveIntegerField(default=1)

    audit_fields = ("pattern", "prefix", "reset_yearly")

    class Meta:
        verbose_name = _("contract number sequence")

    def __str__(self) -> str:
        return self.pattern


class ContractQuerySet(VisibleQuerySet["Contract"]):
    pass


class Contract(models.Model):
    visibility_policy = visibility.CONTRACTS

    number = models.CharField(_("contract number"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contracts"
    )
    business_unit = models.ForeignKey(
        "org.BusinessUnit", verbose_name=_("business unit"), on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(USER, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    opportunity = models.ForeignKey(
        "pipeline.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    quote = models.ForeignKey(
        "quotes.Quote", verbose_name=_("quote"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    party_a = models.CharField(_("party A (customer)"), max_length=200)
    party_b = models.CharField(_("party B (our company)"), max_length=200)
    customer_signatory = models.CharField(_("customer's signatory"), max_length=60, blank=True)
    our_signatory = models.CharField(_("our signatory"), max_length=60, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    amount = models.DecimalField(_("amount with VAT"), max_digits=16, decimal_places=2, default=ZERO)
    net_amount = models.DecimalField(_("amount without VAT"), max_digits=16, decimal_places=2, default=ZERO)
    tax_amount = models.DecimalField(_("VAT"), max_digits=16, decimal_places=2, default=ZERO)
    payment_terms = models.TextField(_("payment terms"), blank=True)
    terms = models.TextField(_("other terms"), blank=True)
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("end"), null=True, blank=True)
    signed_date = models.DateField(_("signing date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ContractStatus.choices, default=ContractStatus.DRAFT)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    signed_scan = models.FileField(_("signed scan"), upload_to="contracts/%Y/%m/", blank=True)
    renewal_notice_days = models.PositiveSmallIntegerField(_("renewal reminder (days before the end)"), default=30)
    renewal_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    terminated_reason = models.CharField(_("reason terminated"), max_length=500, blank=True)
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True, editable=False)
    # an amendment in review: the status (signed or active) the contract goes back to when it is decided
    amended_from_status = models.CharField(max_length=12, blank=True, editable=False)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ContractQuerySet.as_manager()

    audit_fields = (
        "title",
        "owner",
        "party_a",
        "party_b",
        "customer_signatory",
        "our_signatory",
        "amount",
        "payment_terms",
        "terms",
        "start_date",
        "end_date",
        "signed_date",
        "status",
        "version",
        "signed_scan",
        "renewal_notice_days",
        "terminated_reason",
    )

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="contracts_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="contracts_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status", "-id"], name="contracts_owner_idx"),
            models.Index(fields=["business_unit", "-id"], name="contracts_bu_idx"),
            models.Index(fields=["customer", "-id"], name="contracts_customer_idx"),
            models.Index(fields=["status", "end_date"], name="contracts_end_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class ContractLine(models.Model):
    not_business_data = True  # part of a contract: read through it

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    unit = models.CharField(_("unit"), max_length=10, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), max_digits=16, decimal_places=2)
    discount_amount = models.DecimalField(_("discount amount"), max_digits=16, decimal_places=2, default=ZERO)
    tax_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal("13.00"))
    net_amount = models.DecimalField(_("amount without VAT"), max_digits=16, decimal_places=2, default=ZERO)
    tax_amount = models.DecimalField(_("VAT"), max_digits=16, decimal_places=2, default=ZERO)
    amount = models.DecimalField(_("amount with VAT"), max_digits=16, decimal_places=2, default=ZERO)
    delivery_month = models.DateField(_("expected delivery month"), null=True, blank=True)

    class Meta:
        ordering = ("contract", "position", "pk")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="contracts_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="contracts_line_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} × {self.quantity}"


class ContractVersion(models.Model):
    """The contract as it was before an amendment: its fields and lines as JSON, and why it changed."""

    not_business_data = True  # part of a contract: read through it

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveSmallIntegerField(_("version"))
    snapshot = models.JSONField(_("contents"))
    reason = models.CharField(_("reason for the amendment"), max_length=500, blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ("contract", "-version")
        constraints = [models.UniqueConstraint(fields=["contract", "version"], name="contracts_version_unique")]

    def __str__(self) -> str:
        return f"{self.contract_id} v{self.version}"
