"""Sales processes, their stages, and opportunities (商机) moving through them.

A business unit runs one or more ``SalesProcess`` es; each is an ordered list of ``Stage`` s (open
stages, then won and lost) with a default win probability, a forecast category, the days a deal is
expected to spend there, a gate (``requirements`` — see ``gates.py`` — and required checklist items)
and a playbook. An ``Opportunity`` belongs to a customer and a BU, has an owner, product lines, the
customer's contacts with their roles, and a deal team across departments whose revenue-credit
splits sum to 100. Every stage move is a ``StageMove``, so time in stage, conversion and velocity
come from history. Forecast adjustments and weekly snapshots live here too.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xietong.core.visibility import VisibleQuerySet
from xietong.customers.choices import DecisionRole, Source

from . import visibility
from .choices import ForecastCategory, LostReason, MemberAccess, OpportunityStatus, StageKind, TeamRole

USER = settings.AUTH_USER_MODEL
CENT = Decimal("0.01")
HUNDRED = Decimal("100")


class SalesProcessQuerySet(VisibleQuerySet["SalesProcess"]):
    pass


class SalesProcess(models.Model):
    visibility_policy = visibility.PROCESSES

    business_unit = models.ForeignKey(
        "org.BusinessUnit", verbose_name=_("business unit"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=60)
    description = models.TextField(_("description"), blank=True)
    is_default = models.BooleanField(_("default process of the business unit"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SalesProcessQuerySet.as_manager()

    audit_fields = ("name", "description", "is_default", "is_active")

    class Meta:
        verbose_name = _("sales process")
        verbose_name_plural = _("sales processes")
        constraints = [
            models.UniqueConstraint(fields=["business_unit", "name"], name="pipeline_process_unique_name"),
            models.UniqueConstraint(
                fields=["business_unit"], condition=Q(is_default=True), name="pipeline_one_default_process"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    not_business_data = True  # configuration of a process (read with the process)

    process = models.ForeignKey(SalesProcess, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=40)
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=4, choices=StageKind.choices, default=StageKind.OPEN)
    probability = models.PositiveSmallIntegerField(
        _("win probability (%)"), validators=[MaxValueValidator(100)], default=10
    )
    forecast_category = models.CharField(
        _("forecast category"), max_length=10, choices=ForecastCategory.choices, default=ForecastCategory.PIPELINE
    )
    expected_days = models.PositiveSmallIntegerField(_("expected days in stage"), null=True, blank=True)
    requirements = models.JSONField(_("required before entering"), default=list, blank=True)  # gates.py codes
    playbook = models.TextField(_("playbook"), blank=True)

    audit_fields = ("name", "position", "kind", "probability", "forecast_category", "expected_days", "requirements")

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ("process", "position")
        constraints = [
            models.UniqueConstraint(fields=["process", "position"], name="pipeline_stage_unique_position"),
            models.UniqueConstraint(fields=["process", "name"], name="pipeline_stage_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.kind != StageKind.OPEN


class ChecklistItem(models.Model):
    """A step of a stage's playbook; a required one must be ticked before the deal leaves the stage
    for a later one."""

    not_business_data = True  # configuration of a stage

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="checklist")
    text = models.CharField(_("item"), max_length=200)
    required = models.BooleanField(_("required to move on"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("stage", "position", "pk")

    def __str__(self) -> str:
        return self.text


class OpportunityQuerySet(VisibleQuerySet["Opportunity"]):
    def open(self) -> OpportunityQuerySet:
        return self.filter(status=OpportunityStatus.OPEN)


class Opportunity(models.Model):
    visibility_policy = visibility.OPPORTUNITIES

    name = models.CharField(_("name"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="opportunities"
    )
    business_unit = models.ForeignKey(
        "org.BusinessUnit", verbose_name=_("business unit"), on_delete=models.PROTECT, related_name="+"
    )
    process = models.ForeignKey(
        SalesProcess, verbose_name=_("sales process"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(USER, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=4, choices=OpportunityStatus.choices, default=OpportunityStatus.OPEN
    )
    amount = models.DecimalField(
        _("amount"), max_digits=16, decimal_places=2, default=Decimal("0.00"), validators=[MinValueValidator(0)]
    )
    expected_close = models.DateField(_("expected close date"), null=True, blank=True)
    probability = models.PositiveSmallIntegerField(_("probability (%)"), validators=[MaxValueValidator(100)])
    probability_overridden = models.BooleanField(default=False, editable=False)
    forecast_category = models.CharField(_("forecast category"), max_length=10, choices=ForecastCategory.choices)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    lead = models.ForeignKey(
        "leads.Lead", verbose_name=_("lead"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    competitors = models.CharField(_("competitors"), max_length=200, blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_step_date = models.DateField(_("next step date"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    stage_entered_at = models.DateTimeField(_("in this stage since"))
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    lost_reason = models.CharField(_("reason lost"), max_length=12, choices=LostReason.choices, blank=True)
    lost_to = models.CharField(_("competitor who won"), max_length=100, blank=True)
    close_note = models.CharField(_("closing note"), max_length=500, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = OpportunityQuerySet.as_manager()

    audit_fields = (
        "name",
        "owner",
        "stage",
        "status",
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
        "lost_reason",
        "lost_to",
        "close_note",
    )

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            models.Index(fields=["owner", "status", "-id"], name="pipeline_opp_owner_idx"),
            models.Index(fields=["business_unit", "-id"], name="pipeline_opp_bu_idx"),
            # the board (docs/subsystems/pipeline.md), index-only on PostgreSQL (SQLite keeps the key
            # columns): each column's top cards in amount order, and a team's sums per stage; both carry
            # what the visibility rules and the board filter read
            models.Index(
                fields=["stage", "-amount", "-id"],
                include=["owner", "process", "business_unit", "status", "closed_at"],
                name="pipeline_opp_board_idx",
            ),
            models.Index(
                fields=["owner", "process", "stage"],
                include=["amount", "probability", "status", "closed_at", "business_unit", "id"],
                name="pipeline_opp_team_board_idx",
            ),
            models.Index(
                fields=["stage", "closed_at"],
                include=["amount", "owner", "process", "business_unit", "status"],
                condition=Q(closed_at__isnull=False),
                name="pipeline_opp_closed_idx",
            ),
            models.Index(fields=["customer", "-id"], name="pipeline_opp_customer_idx"),
            models.Index(fields=["status", "expected_close"], name="pipeline_opp_close_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    # a follow-up on the deal is a follow-up of its customer for the BU's relationship (which the
    # public pool's "no follow-up" recycle rule reads): ``customers.followups`` moves that date
    follow_ups_count_for_customer = True

    def followed_up(self, *, occurred_at: datetime, next_at: datetime | None) -> list[str]:
        """A follow-up was logged on the opportunity (``customers.followups`` calls this in its
        transaction): it counts as activity on the deal. Returns the fields changed."""
        if self.last_activity_at is None or occurred_at > self.last_activity_at:
            self.last_activity_at = occurred_at
            return ["last_activity_at"]
        return []

    @property
    def weighted_amount(self) -> Decimal:
        return weighted_amount(self.amount, self.probability)


class OpportunityContact(models.Model):
    not_business_data = True  # part of an opportunity: read through it

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="contact_roles")
    contact = models.ForeignKey(
        "customers.Contact", verbose_name=_("contact"), on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(_("role in the decision"), max_length=16, choices=DecisionRole.choices, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["opportunity", "contact"], name="pipeline_opp_contact_unique")]

    def __str__(self) -> str:
        return f"{self.contact_id} · {self.role}"


class OpportunityLine(models.Model):
    """A product line of an opportunity: exact Decimal money, so demand planning can trust it."""

    not_business_data = True  # part of an opportunity: read through it

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), max_digits=16, decimal_places=2)
    discount = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0.00"))
    delivery_month = models.DateField(_("expected delivery month"), null=True, blank=True)  # the 1st of the month
    position = models.PositiveSmallIntegerField(default=0)
    # the line's amount handed over exact (an accepted quote's net, which a percentage to two places
    # cannot always give); none: computed from quantity, unit price and discount
    net_amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ("opportunity", "position", "pk")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="pipeline_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="pipeline_line_price_not_negative"),
            models.CheckConstraint(
                condition=Q(discount__gte=0) & Q(discount__lte=100), name="pipeline_line_discount_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} × {self.quantity}"

    @property
    def amount(self) -> Decimal:
        if self.net_amount is not None:
            return self.net_amount
        return line_amount(self.quantity, self.unit_price, self.discount)


def weighted_amount(amount: Decimal, probability: int) -> Decimal:
    """amount × probability %, to the cent (half up)."""
    return (amount * probability / HUNDRED).quantize(CENT, ROUND_HALF_UP)


def line_amount(quantity: Decimal, unit_price: Decimal, discount: Decimal) -> Decimal:
    """quantity × unit price × (1 − discount %), to the cent (half up)."""
    return (quantity * unit_price * (HUNDRED - discount) / HUNDRED).quantize(CENT, ROUND_HALF_UP)


class StageMove(models.Model):
    """One step of an opportunity's history: from a stage (none when created) to a stage, when, by
    whom, and how long it had been in the stage it left."""

    not_business_data = True  # part of an opportunity: read through it

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="moves")
    from_stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    moved_at = models.DateTimeField()
    seconds_in_from = models.PositiveBigIntegerField(null=True, blank=True)
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    actor = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ("opportunity", "moved_at", "pk")
        indexes = [models.Index(fields=["to_stage", "moved_at"], name="pipeline_move_stage_idx")]

    def __str__(self) -> str:
        return f"{self.from_stage_id} → {self.to_stage_id}"


class ChecklistCheck(models.Model):
    not_business_data = True  # part of an opportunity: read through it

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="checks")
    item = models.ForeignKey(ChecklistItem, on_delete=models.CASCADE, related_name="+")
    done_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    done_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["opportunity", "item"], name="pipeline_check_unique")]

    def __str__(self) -> str:
        return f"{self.item_id} ✓"


class DealTeamMember(models.Model):
    """A member of the deal team (商机团队): sees (and, with edit, works) the opportunity and follows it.
    ``split`` is the member's share of the revenue credit in percent; the team's splits sum to 100."""

    not_business_data = True  # part of an opportunity: read through it

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(USER, verbose_name=_("member"), on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("role"), max_length=12, choices=TeamRole.choices, default=TeamRole.SALES)
    access = models.CharField(_("access"), max_length=4, choices=MemberAccess.choices, default=MemberAccess.READ)
    split = models.DecimalField(
        _("revenue credit (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(HUNDRED)],
    )
    added_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("opportunity", "-split", "pk")
        constraints = [models.UniqueConstraint(fields=["opportunity", "user"], name="pipeline_team_unique_member")]
        indexes = [models.Index(fields=["user", "opportunity"], name="pipeline_team_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.split}%"


class ForecastAdjustment(models.Model):
    """A manager's number for their team's forecast of one month and category, kept apart from the
    reps' numbers (as Salesforce's ForecastingAdjustment): the latest per (team, month, category)."""

    not_business_data = True  # read through forecast.py, which keeps to the viewer's teams

    team = models.ForeignKey("org.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))  # the 1st of the month
    category = models.CharField(_("forecast category"), max_length=10, choices=ForecastCategory.choices)
    amount = models.DecimalField(
        _("adjusted amount"), max_digits=16, decimal_places=2, validators=[MinValueValidator(0)]
    )
    comment = models.CharField(_("comment"), max_length=500)
    adjusted_by = models.ForeignKey(USER, verbose_name=_("adjusted by"), on_delete=models.PROTECT, related_name="+")
    adjusted_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "month", "category"], name="pipeline_adjustment_unique")]

    def __str__(self) -> str:
        return f"{self.team_id} {self.month:%Y-%m} {self.category}"


class ForecastSnapshot(models.Model):
    """The forecast of one team, month and category as it stood in one week (taken every Monday), so
    managers see how it moved."""

    not_business_data = True  # read through forecast.py, which keeps to the viewer's teams

    week = models.DateField()  # the Monday it was taken
    team = models.ForeignKey("org.Team", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    category = models.CharField(max_length=10, choices=ForecastCategory.choices)
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    weighted = models.DecimalField(max_digits=16, decimal_places=2)
    adjusted = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["week", "team", "month", "category"], name="pipeline_snapshot_unique")
        ]

    def __str__(self) -> str:
        return f"{self.week} {self.team_id} {self.month:%Y-%m} {self.category}"


visibility.OPPORTUNITIES.model = Opportunity  # the share rule
