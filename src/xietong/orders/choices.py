from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrderStatus(models.TextChoices):
    CREDIT_REVIEW = "credit_review", _("Credit review")
    NEW = "new", pgettext_lazy("order", "New")
    CONFIRMED = "confirmed", pgettext_lazy("order", "Confirmed")
    SCHEDULED = "scheduled", _("Scheduled")
    PARTLY_SHIPPED = "partly_shipped", _("Partly shipped")
    SHIPPED = "shipped", _("Shipped")
    CANCELLED = "cancelled", pgettext_lazy("order", "Cancelled")
