from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class StageKind(models.TextChoices):
    OPEN = "open", pgettext_lazy("stage kind", "Open")
    WON = "won", _("Won")
    LOST = "lost", pgettext_lazy("opportunity", "Lost")


class ForecastCategory(models.TextChoices):
    """Salesforce's forecast categories: how sure the owner is that the deal closes in its period."""

    PIPELINE = "pipeline", _("Pipeline")
    BEST_CASE = "best_case", _("Best case")
    COMMIT = "commit", _("Commit")
    CLOSED = "closed", pgettext_lazy("forecast category", "Closed")
    OMITTED = "omitted", _("Omitted")


class OpportunityStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("opportunity", "Open")
    WON = "won", _("Won")
    LOST = "lost", pgettext_lazy("opportunity", "Lost")


class LostReason(models.TextChoices):
    PRICE = "price", _("Price")
    COMPETITOR = "competitor", _("Chose a competitor")
    PRODUCT = "product", _("Product does not fit")
    BUDGET = "budget", _("No budget")
    TIMING = "timing", _("Project postponed or cancelled")
    RELATIONSHIP = "relationship", _("Relationship")
    OTHER = "other", pgettext_lazy("lost reason", "Other")


class TeamRole(models.TextChoices):
    """What a member brings to the deal team (商机团队): the departments a sale touches."""

    SALES = "sales", _("Sales")
    PRESALES = "presales", _("Pre-sales")
    SUPPLY = "supply", _("Supply")
    PRODUCTION = "production", _("Production")
    OPERATIONS = "operations", _("Operations")
    FINANCE = "finance", _("Finance")
    SERVICE = "service", _("Service")
    OTHER = "other", pgettext_lazy("team role", "Other")


class MemberAccess(models.TextChoices):
    READ = "read", _("Read")
    EDIT = "edit", _("Edit")
