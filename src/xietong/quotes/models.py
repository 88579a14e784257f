"""Price books (价格表) and quotes (报价单).

A ``PriceBook`` belongs to a business unit (or the whole group), a channel and a currency, is valid
between two dates, and holds ``PriceBookEntry`` rows: a product's unit price from a minimum quantity
(volume tiers), for every customer or for one customer.

A ``Quote`` is priced for an opportunity. Its versions share a ``number`` (v1, v2 …; a new version
supersedes the previous one). Money is Decimal; prices are without VAT. The rounding rule
(docs/subsystems/quotes.md): per line, net = quantity × unit price − discount, rounded half up to
the cent; tax = net × VAT rate, rounded half up to the cent; line total = net + tax; the quote's
totals are the sums of its lines' rounded figures.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xietong.core.visibility import VisibleQuerySet

from . import visibility
from .choices import Channel, DiscountKind, QuoteStatus

USER = settings.AUTH_USER_MODEL
ZERO = Decimal("0.00")


class PriceBookQuerySet(VisibleQuerySet["PriceBook"]):
    pass


class PriceBook(models.Model):
    visibility_policy = visibility.PRICE_BOOKS

    name = models.CharField(_("name"), max_length=80)
    business_unit = models.ForeignKey(
        "org.BusinessUnit",
        verbose_name=_("business unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Leave empty for a price book of the whole group."),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.DIRECT)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    exchange_rate = models.DecimalField(
        _("exchange rate to CNY"),
        max_digits=12,
        decimal_places=6,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.000001"))],
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PriceBookQuerySet.as_manager()

    audit_fields = (
        "name",
        "business_unit",
        "channel",
        "currency",
        "exchange_rate",
        "valid_from",
        "valid_until",
        "is_active",
        "description",
    )

    class Meta:
        verbose_name = _("price book")
        verbose_name_plural = _("price books")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="quotes_pricebook_valid_dates",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PriceBookEntry(models.Model):
    """A product's price in a price book from ``min_quantity`` on; with a customer, for that customer
    only (a customer price wins over the general one at the same tier)."""

    not_business_data = True  # part of a price book: read through it

    price_book = models.ForeignKey(PriceBook, on_delete=models.CASCADE, related_name="entries")
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    min_quantity = models.DecimalField(
        _("from quantity"), max_digits=14, decimal_places=3, default=Decimal("1"), validators=[MinValueValidator(0)]
    )
    unit_price = models.DecimalField(
        _("unit price"), max_digits=16, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )

    class Meta:
        verbose_name = _("price book entry")
        ordering = ("price_book", "product", "customer", "min_quantity")
        constraints = [
            models.UniqueConstraint(
                fields=["price_book", "product", "min_quantity"],
                condition=Q(customer__isnull=True),
                name="quotes_entry_unique_tier",
            ),
            models.UniqueConstraint(
                fields=["price_book", "product", "customer", "min_quantity"],
                condition=Q(customer__isnull=False),
                name="quotes_entry_unique_customer_tier",
            ),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="quotes_entry_price_not_negative"),
            models.CheckConstraint(condition=Q(min_quantity__gte=0), name="quotes_entry_quantity_not_negative"),
        ]
        indexes = [models.Index(fields=["product", "price_book"], name="quotes_entry_product_idx")]

    def __str__(self) -> str:
        return f"{self.product_id} ≥ {self.min_quantity}: {self.unit_price}"


class QuoteQuerySet(VisibleQuerySet["Quote"]):
    pass


class Quote(models.Model):
    visibility_policy = visibility.QUOTES

    number = models.CharField(_("quote number"), max_length=40, db_index=True)  # shared by the versions
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=200)
    opportunity = models.ForeignKey(
        "pipeline.Opportunity", verbose_name=_("opportunity"), on_delete=models.PROTECT, related_name="quotes"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    business_unit = models.ForeignKey(
        "org.BusinessUnit", verbose_name=_("business unit"), on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(USER, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    price_book = models.ForeignKey(
        PriceBook, verbose_name=_("price book"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    exchange_rate = models.DecimalField(
        _("exchange rate to CNY"), max_digits=12, decimal_places=6, default=Decimal("1")
    )
    status = models.CharField(_("status"), max_length=12, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    terms = models.TextField(_("terms"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # totals: sums of the lines' rounded figures (see the module docstring)
    subtotal = models.DecimalField(_("subtotal before discount"), max_digits=16, decimal_places=2, default=ZERO)
    discount_total = models.DecimalField(_("discount"), max_digits=16, decimal_places=2, default=ZERO)
    net_total = models.DecimalField(_("total without VAT"), max_digits=16, decimal_places=2, default=ZERO)
    tax_total = models.DecimalField(_("VAT"), max_digits=16, decimal_places=2, default=ZERO)
    total = models.DecimalField(_("total with VAT"), max_digits=16, decimal_places=2, default=ZERO)
    max_discount = models.DecimalField(
        _("largest line discount (%)"), max_digits=5, decimal_places=2, default=ZERO
    )  # what a discount approval flow tests
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    decided_at = models.DateTimeField(_("accepted or rejected"), null=True, blank=True)
    decision_note = models.CharField(_("customer's answer"), max_length=500, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = QuoteQuerySet.as_manager()

    audit_fields = ("title", "contact", "price_book", "status", "valid_until", "terms", "notes", "total", "owner")

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        constraints = [
            models.UniqueConstraint(fields=["number", "version"], name="quotes_quote_unique_version"),
        ]
        indexes = [
            models.Index(fields=["opportunity", "-version"], name="quotes_quote_opp_idx"),
            models.Index(fields=["owner", "status", "-id"], name="quotes_quote_owner_idx"),
            models.Index(fields=["business_unit", "-id"], name="quotes_quote_bu_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} v{self.version}"


class QuoteLine(models.Model):
    not_business_data = True  # part of a quote: read through it

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    unit = models.CharField(_("unit"), max_length=10, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    list_price = models.DecimalField(_("list price"), max_digits=16, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), max_digits=16, decimal_places=2)
    # what the price book asked for the product at this quantity when the line was priced (the quote's
    # currency): a unit price below it counts as a discount (quotes/money.py)
    book_price = models.DecimalField(_("book price"), max_digits=16, decimal_places=2)
    discount_kind = models.CharField(
        _("discount kind"), max_length=8, choices=DiscountKind.choices, default=DiscountKind.PERCENT
    )
    discount_value = models.DecimalField(_("discount"), max_digits=16, decimal_places=2, default=ZERO)
    tax_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal("13.00"))
    delivery_month = models.DateField(_("expected delivery month"), null=True, blank=True)
    # the rounded figures (see the module docstring)
    gross_amount = models.DecimalField(_("before discount"), max_digits=16, decimal_places=2, default=ZERO)
    discount_amount = models.DecimalField(_("discount amount"), max_digits=16, decimal_places=2, default=ZERO)
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=ZERO)
    net_amount = models.DecimalField(_("amount without VAT"), max_digits=16, decimal_places=2, default=ZERO)
    tax_amount = models.DecimalField(_("VAT"), max_digits=16, decimal_places=2, default=ZERO)
    amount = models.DecimalField(_("amount with VAT"), max_digits=16, decimal_places=2, default=ZERO)

    class Meta:
        ordering = ("quote", "position", "pk")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="quotes_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="quotes_line_price_not_negative"),
            models.CheckConstraint(condition=Q(discount_value__gte=0), name="quotes_line_discount_not_negative"),
            models.CheckConstraint(condition=Q(net_amount__gte=0), name="quotes_line_net_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} × {self.quantity}"
