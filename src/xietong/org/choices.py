from django.db import models
from django.utils.translation import gettext_lazy as _


class TeamType(models.TextChoices):
    SALES = "sales", _("Sales")
    PRESALES = "presales", _("Pre-sales")
    SUPPLY = "supply", _("Supply")
    PRODUCTION = "production", _("Production")
    OPERATIONS = "operations", _("Operations")
    FINANCE = "finance", _("Finance")
    SERVICE = "service", _("Service")
    CHANNEL = "channel", _("Channel")
    MANAGEMENT = "management", _("Management")
