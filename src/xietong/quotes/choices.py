from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    DIRECT = "direct", _("Direct sales")
    DEALER = "dealer", _("Dealers")


class DiscountKind(models.TextChoices):
    PERCENT = "percent", _("Percent")
    AMOUNT = "amount", pgettext_lazy("discount", "Amount")


class VatRate(models.TextChoices):
    """The VAT rates of Chinese invoices (percent)."""

    R13 = "13.00", "13%"
    R9 = "9.00", "9%"
    R6 = "6.00", "6%"
    R0 = "0.00", "0%"


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_APPROVAL = "in_approval", _("In approval")
    APPROVED = "approved", _("Approved")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", pgettext_lazy("quote", "Rejected")
    SUPERSEDED = "superseded", _("Superseded")
