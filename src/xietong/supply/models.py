"""Sales and operations planning (S&OP, 产销协同): master data, inventory, demand, supply.

Quantities are ``Decimal`` with three places (the catalogue's and the orders' unit); the planning
engines work on them as integer thousandths, so the arithmetic is exact (``netting.py``).

- ``SupplyItem`` — per product: make or buy, lead time, MOQ, lot size, safety stock (fixed, days
  of cover, or from forecast error and a service level), production line. ``ProductionLine`` has a
  capacity per month; ``Warehouse`` holds ``InventoryPosition`` s (on hand, allocated, in transit).
  ``ScheduledReceipt`` s are the open purchase and production orders. All of them can be entered,
  imported, or upserted by an ERP through the API (keyed by code / reference: a repeated upsert
  is applied once).
- ``SalesHistory`` — demand history per product × BU × month imported from an ERP (before XieTong),
  added to the orders XieTong itself holds when demand signals are gathered.
- ``ForecastRun`` / ``ForecastSeries`` / ``Forecast`` — one run of the statistical baseline: per
  series the model chosen by backtest and its accuracy, per month the forecast and its interval.
- ``DemandPlan`` — one version of the monthly plan (``cycle`` = its month): demand review → supply
  review → executive review (the approval engine) → approved; from executive review on it is
  frozen. ``DemandPlanLine`` per product × BU × month: the signals, the system proposal, the
  sales override and the consensus; ``DemandOverride`` keeps every override (who, when, why).
- ``ProjectedInventory`` and ``PlannedOrder`` — the supply plan of a plan version: per product and
  month the projection, and the planned purchase/production orders planners accept, change or
  reject and export for the ERP.
- ``OpportunityRisk`` — a shortage marks an opportunity at risk, with the reason.
- ``ContingencyPlan`` (应急预案) — named triggers with actions, linked to a plan.
- ``ReviewMeeting`` — the meeting record of a cycle step.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from xietong.core.visibility import VisibleQuerySet

from . import visibility
from .choices import (
    ContingencyTrigger,
    DataSource,
    ForecastStatus,
    MakeOrBuy,
    PlannedOrderStatus,
    PlanStage,
    ReceiptKind,
    SafetyStockMethod,
)

USER = settings.AUTH_USER_MODEL
ZERO = Decimal("0")
NOT_NEGATIVE = [MinValueValidator(ZERO)]


def quantity(verbose_name: Any, **kwargs: Any) -> models.DecimalField:
    kwargs.setdefault("default", ZERO)
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=3, validators=NOT_NEGATIVE, **kwargs)


class SupplyQuerySet(VisibleQuerySet[Any]):
    visibility_policy = visibility.SUPPLY


class DemandQuerySet(VisibleQuerySet[Any]):
    visibility_policy = visibility.DEMAND


class DemandLineQuerySet(VisibleQuerySet["DemandPlanLine"]):
    visibility_policy = visibility.DEMAND_LINES


class DemandOfBusinessUnitQuerySet(VisibleQuerySet[Any]):
    """Demand figures of one business unit (a forecast series and its months): seen within the
    "demand" scope, like the plan lines."""

    visibility_policy = visibility.DEMAND_LINES


# --- master data ---------------------------------------------------------------------------------------


class Warehouse(models.Model):
    code = models.CharField(_("warehouse code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    business_unit = models.ForeignKey(
        "org.BusinessUnit",
        verbose_name=_("business unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SupplyQuerySet.as_manager()
    audit_fields = ("code", "name", "business_unit", "address", "is_active")

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ("code",)

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class ProductionLine(models.Model):
    code = models.CharField(_("line code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    business_unit = models.ForeignKey(
        "org.BusinessUnit",
        verbose_name=_("business unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    capacity_per_month = quantity(_("capacity per month (units)"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SupplyQuerySet.as_manager()
    audit_fields = ("code", "name", "business_unit", "capacity_per_month", "is_active")

    class Meta:
        verbose_name = _("production line")
        verbose_name_plural = _("production lines")
        ordering = ("code",)

    def __str__(self) -> str:
        return self.name


class LineCapacity(models.Model):
    """A month whose capacity differs from the line's usual one (maintenance, holidays, a second shift)."""

    line = models.ForeignKey(ProductionLine, on_delete=models.CASCADE, related_name="capacities")
    month = models.DateField(_("month"))  # the 1st
    capacity = quantity(_("capacity (units)"))

    objects = SupplyQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=("line", "month"), name="supply_linecapacity_unique")]
        ordering = ("line", "month")

    def __str__(self) -> str:
        return str(f"{self.line_id} {self.month:%Y-%m}: {self.capacity}")


class SupplyItem(models.Model):
    product = models.OneToOneField(
        "catalog.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="supply"
    )
    make_or_buy = models.CharField(_("make or buy"), max_length=8, choices=MakeOrBuy.choices, default=MakeOrBuy.BUY)
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"), default=0)
    moq = quantity(_("minimum order quantity"))
    lot_size = quantity(_("lot size"), help_text=_("Orders are rounded up to a multiple of it; 0: any quantity."))
    safety_stock_method = models.CharField(
        _("safety stock"), max_length=8, choices=SafetyStockMethod.choices, default=SafetyStockMethod.FIXED
    )
    safety_stock = quantity(_("safety stock (units)"))
    safety_days = models.PositiveIntegerField(_("safety stock (days of cover)"), default=0)
    service_level = models.DecimalField(
        _("target service level"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.950"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("0.999"))],
    )
    production_line = models.ForeignKey(
        ProductionLine,
        verbose_name=_("production line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )
    planner = models.ForeignKey(
        USER, verbose_name=_("planner"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(_("source"), max_length=8, choices=DataSource.choices, default=DataSource.MANUAL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SupplyQuerySet.as_manager()
    audit_fields = (
        "make_or_buy",
        "lead_time_days",
        "moq",
        "lot_size",
        "safety_stock_method",
        "safety_stock",
        "safety_days",
        "service_level",
        "production_line",
        "planner",
    )

    class Meta:
        verbose_name = _("supply item")
        verbose_name_plural = _("supply items")
        ordering = ("product__code",)

    def __str__(self) -> str:
        return str(self.product)


class InventoryPosition(models.Model):
    item = models.ForeignKey(SupplyItem, verbose_name=_("item"), on_delete=models.CASCADE, related_name="positions")
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="positions"
    )
    on_hand = quantity(_("on hand"))
    allocated = quantity(_("allocated"))
    in_transit = quantity(_("in transit"))
    as_of = models.DateTimeField(_("as of"))
    source = models.CharField(_("source"), max_length=8, choices=DataSource.choices, default=DataSource.MANUAL)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SupplyQuerySet.as_manager()
    audit_fields = ("on_hand", "allocated", "in_transit")

    class Meta:
        verbose_name = _("inventory position")
        verbose_name_plural = _("inventory")
        constraints = [
            models.UniqueConstraint(fields=("item", "warehouse"), name="supply_inventory_item_warehouse"),
            models.CheckConstraint(
                condition=models.Q(on_hand__gte=0, allocated__gte=0, in_transit__gte=0),
                name="supply_inventory_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return str(f"{self.item_id}@{self.warehouse_id}: {self.on_hand}")


class ScheduledReceipt(models.Model):
    """An open purchase or production order: ``quantity`` arrives on ``due_date``."""

    reference = models.CharField(_("ERP reference"), max_length=60, unique=True)
    item = models.ForeignKey(SupplyItem, verbose_name=_("item"), on_delete=models.CASCADE, related_name="receipts")
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ReceiptKind.choices, default=ReceiptKind.PURCHASE)
    due_date = models.DateField(_("due date"))
    quantity = quantity(_("quantity"))
    is_open = models.BooleanField(_("open"), default=True)
    source = models.CharField(_("source"), max_length=8, choices=DataSource.choices, default=DataSource.MANUAL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SupplyQuerySet.as_manager()
    audit_fields = ("item", "warehouse", "kind", "due_date", "quantity", "is_open")

    class Meta:
        verbose_name = _("scheduled receipt")
        verbose_name_plural = _("scheduled receipts")
        ordering = ("due_date", "reference")
        indexes = [models.Index(fields=("item", "due_date"), name="supply_receipt_item_due")]
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gte=0), name="supply_receipt_not_negative")]

    def __str__(self) -> str:
        return str(self.reference)


class SalesHistory(models.Model):
    """Demand history from before XieTong (an ERP export): quantity sold per product × BU × month."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    business_unit = models.ForeignKey("org.BusinessUnit", on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    quantity = quantity(_("quantity"))
    source = models.CharField(_("source"), max_length=8, choices=DataSource.choices, default=DataSource.IMPORT)

    objects = SupplyQuerySet.as_manager()

    class Meta:
        verbose_name = _("sales history")
        verbose_name_plural = _("sales history")
        constraints = [
            models.UniqueConstraint(fields=("product", "business_unit", "month"), name="supply_history_unique")
        ]

    def __str__(self) -> str:
        return str(f"{self.product_id} {self.month:%Y-%m}: {self.quantity}")


# --- forecasts --------------------------------------------------------------------------------------------


class ForecastRun(models.Model):
    status = models.CharField(_("status"), max_length=8, choices=ForecastStatus.choices, default=ForecastStatus.RUNNING)
    horizon = models.PositiveSmallIntegerField(_("horizon (months)"), default=18)
    season_length = models.PositiveSmallIntegerField(_("season length (months)"), default=12)
    first_month = models.DateField(_("first forecast month"))
    series_count = models.PositiveIntegerField(_("series"), default=0)
    wape = models.FloatField(_("WAPE"), null=True, blank=True)
    mase = models.FloatField(_("MASE"), null=True, blank=True)
    bias = models.FloatField(_("bias"), null=True, blank=True)
    naive_mase = models.FloatField(_("MASE of seasonal naive"), null=True, blank=True)
    models_chosen = models.JSONField(_("models chosen"), default=dict, blank=True)  # {"AutoETS": 120, …}
    seconds = models.FloatField(_("seconds"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = DemandQuerySet.as_manager()

    class Meta:
        verbose_name = _("forecast run")
        verbose_name_plural = _("forecast runs")
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return str(f"#{self.pk} {self.first_month:%Y-%m}+{self.horizon}")


class ForecastSeries(models.Model):
    """One product × BU series of a run: the model the backtest chose and its accuracy."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="series")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    business_unit = models.ForeignKey("org.BusinessUnit", on_delete=models.PROTECT, related_name="+")
    model = models.CharField(_("model"), max_length=40)
    intermittent = models.BooleanField(_("intermittent"), default=False)
    wape = models.FloatField(_("WAPE"), null=True)
    mase = models.FloatField(_("MASE"), null=True)
    bias = models.FloatField(_("bias"), null=True)
    residual_sd = models.FloatField(_("forecast error (standard deviation)"), null=True)

    objects = DemandOfBusinessUnitQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=("run", "product", "business_unit"), name="supply_series_unique")]

    def __str__(self) -> str:
        return str(f"{self.product_id}/{self.business_unit_id}: {self.model}")


class Forecast(models.Model):
    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="forecasts")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    business_unit = models.ForeignKey("org.BusinessUnit", on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    quantity = models.DecimalField(_("forecast"), max_digits=14, decimal_places=3)
    low = models.DecimalField(_("low end of the 80 percent interval"), max_digits=14, decimal_places=3)
    high = models.DecimalField(_("high end of the 80 percent interval"), max_digits=14, decimal_places=3)

    objects = DemandOfBusinessUnitQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("run", "product", "business_unit", "month"), name="supply_forecast_unique")
        ]

    def __str__(self) -> str:
        return str(f"{self.product_id}/{self.business_unit_id} {self.month:%Y-%m}: {self.quantity}")


# --- the monthly cycle --------------------------------------------------------------------------------------


class DemandPlan(models.Model):
    cycle = models.DateField(_("cycle month"))  # the 1st of the month the plan is made in
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=120)
    stage = models.CharField(_("stage"), max_length=20, choices=PlanStage.choices, default=PlanStage.DEMAND_REVIEW)
    first_month = models.DateField(_("first planned month"))
    horizon = models.PositiveSmallIntegerField(_("horizon (months)"), default=18)
    forecast_run = models.ForeignKey(
        ForecastRun,
        verbose_name=_("statistical baseline"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    previous = models.ForeignKey(
        "self", verbose_name=_("previous version"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    supply_planned_at = models.DateTimeField(_("supply plan computed"), null=True, blank=True)

    objects = DemandQuerySet.as_manager()
    audit_fields = ("stage", "title", "note")

    class Meta:
        verbose_name = _("demand plan")
        verbose_name_plural = _("demand plans")
        ordering = ("-cycle", "-version")
        constraints = [models.UniqueConstraint(fields=("cycle", "version"), name="supply_plan_cycle_version")]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def is_frozen(self) -> bool:
        from .choices import FROZEN_STAGES

        return self.stage in FROZEN_STAGES


class DemandPlanLine(models.Model):
    """One product × BU × month of a plan version.

    ``proposal`` = max(statistical baseline, open orders + weighted pipeline); ``consensus`` = the
    override when there is one, the proposal otherwise (docs/user-guide/sop.md).
    """

    plan = models.ForeignKey(DemandPlan, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    business_unit = models.ForeignKey("org.BusinessUnit", on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    baseline = quantity(_("statistical baseline"))
    baseline_low = quantity(_("baseline, low"))
    baseline_high = quantity(_("baseline, high"))
    open_orders = quantity(_("open orders"))
    pipeline = quantity(_("weighted pipeline"))
    proposal = quantity(_("proposal"))
    override = models.DecimalField(
        _("sales override"), max_digits=14, decimal_places=3, null=True, blank=True, validators=NOT_NEGATIVE
    )
    consensus = quantity(_("consensus"))

    objects = DemandLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("demand plan line")
        constraints = [
            models.UniqueConstraint(fields=("plan", "product", "business_unit", "month"), name="supply_planline_unique")
        ]
        indexes = [models.Index(fields=("plan", "business_unit", "product"), name="supply_planline_bu")]

    def __str__(self) -> str:
        return str(f"{self.product_id}/{self.business_unit_id} {self.month:%Y-%m}: {self.consensus}")


class DemandOverrideQuerySet(VisibleQuerySet["DemandOverride"]):
    def visible_to(self, user: Any, action: str = "view") -> DemandOverrideQuerySet:
        """An override is seen with its plan line."""
        return self.filter(line__in=DemandPlanLine.objects.visible_to(user, action).values("pk"))


class DemandOverride(models.Model):
    line = models.ForeignKey(DemandPlanLine, on_delete=models.CASCADE, related_name="overrides")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3, null=True, validators=NOT_NEGATIVE)
    previous = models.DecimalField(_("before"), max_digits=14, decimal_places=3, null=True)
    reason = models.CharField(_("why"), max_length=500)
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True)

    objects = DemandOverrideQuerySet.as_manager()

    class Meta:
        ordering = ("-at", "-pk")

    def __str__(self) -> str:
        return str(f"{self.line_id}: {self.quantity}")


class ProjectedInventory(models.Model):
    """The supply plan of a plan version, per product and month (integers would lose thousandths: Decimal)."""

    plan = models.ForeignKey(DemandPlan, on_delete=models.CASCADE, related_name="projections")
    item = models.ForeignKey(SupplyItem, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))
    demand = models.DecimalField(_("consensus demand"), max_digits=14, decimal_places=3)
    receipts = models.DecimalField(_("scheduled receipts"), max_digits=14, decimal_places=3)
    planned = models.DecimalField(_("planned receipts"), max_digits=14, decimal_places=3)
    projected = models.DecimalField(_("projected inventory"), max_digits=14, decimal_places=3)
    safety_stock = models.DecimalField(_("safety stock"), max_digits=14, decimal_places=3)
    shortage = models.DecimalField(_("shortage before planned orders"), max_digits=14, decimal_places=3)
    uncovered = models.DecimalField(
        _("missing when late planned orders arrive"), max_digits=14, decimal_places=3, default=ZERO
    )

    objects = SupplyQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=("plan", "item", "month"), name="supply_projection_unique")]

    def __str__(self) -> str:
        return str(f"{self.item_id} {self.month:%Y-%m}: {self.projected}")


class PlannedOrder(models.Model):
    plan = models.ForeignKey(DemandPlan, on_delete=models.CASCADE, related_name="planned_orders")
    item = models.ForeignKey(SupplyItem, verbose_name=_("item"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=ReceiptKind.choices)
    release_date = models.DateField(_("release by"))
    due_month = models.DateField(_("needed in"))
    proposed_quantity = models.DecimalField(_("proposed quantity"), max_digits=14, decimal_places=3)
    quantity = quantity(_("quantity"))
    production_line = models.ForeignKey(
        ProductionLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PlannedOrderStatus.choices, default=PlannedOrderStatus.PROPOSED
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    exported_at = models.DateTimeField(_("exported"), null=True, blank=True)

    objects = SupplyQuerySet.as_manager()
    audit_fields = ("status", "quantity", "release_date", "note")

    class Meta:
        verbose_name = _("planned order")
        verbose_name_plural = _("planned orders")
        ordering = ("release_date", "pk")

    def __str__(self) -> str:
        return str(f"{self.item_id} {self.due_month:%Y-%m}: {self.quantity}")


class OpportunityRiskQuerySet(VisibleQuerySet["OpportunityRisk"]):
    def visible_to(self, user: Any, action: str = "view") -> OpportunityRiskQuerySet:
        """A risk is seen with its opportunity: the pipeline's rules decide."""
        from xietong.pipeline.models import Opportunity

        return self.filter(opportunity__in=Opportunity.objects.visible_to(user, action).values("pk"))


class OpportunityRisk(models.Model):
    """A shortage puts an open opportunity's product line at risk; resolved when a later plan covers it."""

    opportunity = models.ForeignKey("pipeline.Opportunity", on_delete=models.CASCADE, related_name="supply_risks")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(DemandPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    month = models.DateField(_("month"))
    shortage = models.DecimalField(_("shortage"), max_digits=14, decimal_places=3)
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = OpportunityRiskQuerySet.as_manager()

    class Meta:
        ordering = ("month", "pk")
        indexes = [models.Index(fields=("opportunity", "resolved_at"), name="supply_risk_open")]

    def __str__(self) -> str:
        return str(self.reason)


class ContingencyPlan(models.Model):
    name = models.CharField(_("name"), max_length=120)
    trigger = models.CharField(_("trigger"), max_length=16, choices=ContingencyTrigger.choices)
    threshold_percent = models.DecimalField(
        _("threshold (%)"), max_digits=6, decimal_places=2, null=True, blank=True, validators=NOT_NEGATIVE
    )
    product_line = models.CharField(_("product line"), max_length=60, blank=True)
    item = models.ForeignKey(
        SupplyItem, verbose_name=_("item"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actions = models.TextField(_("actions"))
    owner = models.ForeignKey(USER, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    plans = models.ManyToManyField(DemandPlan, verbose_name=_("linked plans"), blank=True, related_name="contingencies")
    is_active = models.BooleanField(_("active"), default=True)
    last_triggered_at = models.DateTimeField(_("last triggered"), null=True, blank=True)
    last_trigger_note = models.CharField(_("what triggered it"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SupplyQuerySet.as_manager()
    audit_fields = ("name", "trigger", "threshold_percent", "product_line", "item", "actions", "owner", "is_active")

    class Meta:
        verbose_name = _("contingency plan")
        verbose_name_plural = _("contingency plans")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class ReviewMeeting(models.Model):
    """The meeting record of one step of the cycle (demand, supply or executive review)."""

    plan = models.ForeignKey(DemandPlan, on_delete=models.CASCADE, related_name="meetings")
    stage = models.CharField(_("step"), max_length=20, choices=PlanStage.choices)
    held_on = models.DateField(_("held on"))
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("attendees"), blank=True, related_name="sop_meetings"
    )
    minutes = models.TextField(_("minutes"))
    decisions = models.TextField(_("decisions and action items"), blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DemandQuerySet.as_manager()

    class Meta:
        ordering = ("-held_on", "-pk")

    def __str__(self) -> str:
        return str(f"{self.get_stage_display()} {self.held_on}")
