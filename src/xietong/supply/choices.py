from django.db import models
from django.utils.translation import gettext_lazy as _


class MakeOrBuy(models.TextChoices):
    MAKE = "make", _("Make (production)")
    BUY = "buy", _("Buy (purchase)")


class SafetyStockMethod(models.TextChoices):
    FIXED = "fixed", _("Fixed quantity")
    DAYS = "days", _("Days of cover")
    SERVICE = "service", _("From forecast error and service level")


class ReceiptKind(models.TextChoices):
    PURCHASE = "purchase", _("Purchase order")
    PRODUCTION = "production", _("Production order")


class DataSource(models.TextChoices):
    MANUAL = "manual", _("Entered")
    IMPORT = "import", _("Imported")
    API = "api", _("ERP (API)")
    DEMO = "demo", _("Demo data")


class ForecastStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class PlanStage(models.TextChoices):
    DEMAND_REVIEW = "demand_review", _("Demand review")
    SUPPLY_REVIEW = "supply_review", _("Supply review")
    EXECUTIVE_REVIEW = "executive_review", _("Executive review (in approval)")
    APPROVED = "approved", _("Approved (consensus)")
    SUPERSEDED = "superseded", _("Superseded")


FROZEN_STAGES = (PlanStage.EXECUTIVE_REVIEW, PlanStage.APPROVED, PlanStage.SUPERSEDED)


class PlannedOrderStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    CHANGED = "changed", _("Accepted with changes")
    REJECTED = "rejected", _("Rejected")
    EXPORTED = "exported", _("Exported to ERP")


class ContingencyTrigger(models.TextChoices):
    DEMAND_UP = "demand_up", _("Demand up by more than the threshold")
    DEMAND_DOWN = "demand_down", _("Demand down by more than the threshold")
    SUPPLIER_DELAY = "supplier_delay", _("Supplier delay")
    CAPACITY_LOSS = "capacity_loss", _("Production capacity lost")
    QUALITY = "quality", _("Quality problem")
    OTHER = "other", _("Other")
