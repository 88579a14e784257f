"""Orders (订单) and shipments (发货).

An ``Order`` is made from a signed contract (all its lines or some, in quantities up to what the
contract still has unordered) and lands in the operations queue of its ``operations_team``.
Operations confirm it, schedule it (``scheduled_date``) and record ``Shipment`` s — partial ones
too — with carrier and tracking number; ``OrderLine.shipped_quantity`` is the sum of its shipment
lines that are not void. An order whose customer is over the credit limit or has overdue receivables
waits in credit review (the approval engine) before operations see it. An order not shipped by its
promised date is late: its owner is told.

A shipment recorded in error is voided (kept, marked void, its quantities back to unshipped); an
order the customer accepts less of is closed short: each line's unshipped rest becomes its
``closed_quantity`` (with ``closed_amount``, its share of the contract line) and is free for another
order of the contract. What a line still has to ship is its open remainder, quantity − shipped −
closed: ``OrderLine.open_quantity`` in Python, ``open_quantity_expression()`` in querysets.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import DecimalField, ExpressionWrapper, F, Q
from django.utils.translation import gettext_lazy as _

from xietong.contracts.choices import ContractStatus
from xietong.core.visibility import VisibleQuerySet

from . import visibility
from .choices import SYSTEM_REASONS, OrderStatus

USER = settings.AUTH_USER_MODEL
ZERO = Decimal("0.00")


class OrderQuerySet(VisibleQuerySet["Order"]):
    pass


class Order(models.Model):
    visibility_policy = visibility.ORDERS

    number = models.CharField(_("order number"), max_length=40, unique=True)
    contract = models.ForeignKey(
        "contracts.Contract", verbose_name=_("contract"), on_delete=models.PROTECT, related_name="orders"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders"
    )
    business_unit = models.ForeignKey(
        "org.BusinessUnit", verbose_name=_("business unit"), on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(USER, verbose_name=_("sales owner"), on_delete=models.PROTECT, related_name="+")
    operations_team = models.ForeignKey(
        "org.Team",
        verbose_name=_("operations team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.NEW)
    amount = models.DecimalField(_("amount with VAT"), max_digits=16, decimal_places=2, default=ZERO)
    promised_date = models.DateField(_("promised delivery date"), null=True, blank=True)
    scheduled_date = models.DateField(_("scheduled ship date"), null=True, blank=True)
    ship_to = models.CharField(_("ship to"), max_length=300, blank=True)
    receiver = models.CharField(_("receiver"), max_length=60, blank=True)
    receiver_phone = models.CharField(_("receiver's phone"), max_length=30, blank=True)
    note = models.TextField(_("note"), blank=True)
    confirmed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("fully shipped"), null=True, blank=True)
    delay_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_reason = models.CharField(_("reason cancelled"), max_length=500, blank=True)
    closed_short_reason = models.CharField(_("reason closed short"), max_length=500, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = OrderQuerySet.as_manager()

    audit_fields = (
        "status",
        "operations_team",
        "promised_date",
        "scheduled_date",
        "ship_to",
        "receiver",
        "receiver_phone",
        "note",
        "cancelled_reason",
        "closed_short_reason",
    )

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="orders_amount_not_negative")]
        indexes = [
            models.Index(fields=["operations_team", "status", "-id"], name="orders_queue_idx"),
            models.Index(fields=["owner", "status", "-id"], name="orders_owner_idx"),
            models.Index(fields=["business_unit", "-id"], name="orders_bu_idx"),
            models.Index(fields=["customer", "-id"], name="orders_customer_idx"),
            models.Index(fields=["status", "promised_date"], name="orders_promised_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_closed_short(self) -> bool:
        """Closed short: the customer accepted what shipped, the rest will not ship."""
        return bool(self.closed_short_reason)

    def get_cancelled_reason_display(self) -> str:
        """Why it was cancelled, in the reader's language when the system cancelled it (the audit
        trail writes it so too)."""
        return str(SYSTEM_REASONS.get(self.cancelled_reason, self.cancelled_reason))

    @property
    def is_stopped_by_contract(self) -> bool:
        """Not finished (in credit review or open) while its contract is terminated: nothing more is
        confirmed, scheduled or shipped; it can be cancelled or closed short. Reads ``contract``
        (the list and page selectors fetch it with the order)."""
        unfinished = self.status not in (OrderStatus.SHIPPED, OrderStatus.CANCELLED)
        return unfinished and self.contract.status == ContractStatus.TERMINATED


def open_quantity_expression() -> ExpressionWrapper:
    """An order line's open remainder in a queryset: quantity − shipped − closed (what
    ``OrderLine.open_quantity`` is in Python)."""
    return ExpressionWrapper(
        F("quantity") - F("shipped_quantity") - F("closed_quantity"),
        output_field=DecimalField(max_digits=14, decimal_places=3),
    )


class OrderLine(models.Model):
    not_business_data = True  # part of an order: read through it

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    contract_line = models.ForeignKey(
        "contracts.ContractLine", null=True, blank=True, on_delete=models.PROTECT, related_name="order_lines"
    )
    position = models.PositiveSmallIntegerField(default=0)
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    shipped_quantity = models.DecimalField(_("shipped"), max_digits=14, decimal_places=3, default=Decimal("0"))
    closed_quantity = models.DecimalField(_("closed"), max_digits=14, decimal_places=3, default=Decimal("0"))
    unit_price = models.DecimalField(_("unit price"), max_digits=16, decimal_places=2)
    amount = models.DecimalField(_("amount with VAT"), max_digits=16, decimal_places=2, default=ZERO)
    # the amount of the closed quantity (its share of the contract line): free again for the contract
    closed_amount = models.DecimalField(_("closed amount"), max_digits=16, decimal_places=2, default=ZERO)

    class Meta:
        ordering = ("order", "position", "pk")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(shipped_quantity__gte=0) & Q(shipped_quantity__lte=models.F("quantity")),
                name="orders_line_shipped_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(closed_quantity__gte=0)
                & Q(closed_quantity__lte=models.F("quantity") - models.F("shipped_quantity")),
                name="orders_line_shipped_closed_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(closed_amount__gte=0) & Q(closed_amount__lte=models.F("amount")),
                name="orders_line_closed_amount_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["product", "order"], name="orders_line_product_idx")]

    def __str__(self) -> str:
        return f"{self.product_id} × {self.quantity}"

    @property
    def open_quantity(self) -> Decimal:
        """What is still to ship: quantity − shipped − closed (``open_quantity_expression`` in SQL)."""
        return self.quantity - self.shipped_quantity - self.closed_quantity


class Shipment(models.Model):
    not_business_data = True  # part of an order: read through it (visible_to via the order)

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="shipments")
    number = models.CharField(_("shipment number"), max_length=40, unique=True)
    shipped_on = models.DateField(_("shipped on"))
    carrier = models.CharField(_("carrier"), max_length=60)
    tracking_number = models.CharField(_("tracking number"), max_length=60, blank=True)
    warehouse = models.CharField(_("warehouse"), max_length=60, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)
    voided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    void_reason = models.CharField(_("reason voided"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ("order", "shipped_on", "pk")

    def __str__(self) -> str:
        return self.number

    @property
    def is_void(self) -> bool:
        """Voided (recorded in error): kept for the record, its quantities no longer shipped."""
        return self.voided_at is not None


class ShipmentLine(models.Model):
    not_business_data = True  # part of a shipment

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="shipment_lines")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_shipment_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.order_line_id} × {self.quantity}"
