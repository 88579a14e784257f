from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# a contract collects money and takes invoices once it is signed (and still afterwards: expired or
# terminated contracts may have money outstanding)
MONEY_STATUSES = ("signed", "active", "expired", "terminated")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_APPROVAL = "in_approval", _("In approval")
    ACTIVE = "active", pgettext_lazy("payment plan", "Active")


class PaymentKind(models.TextChoices):
    RECEIPT = "receipt", _("Payment received")
    REFUND = "refund", _("Refund")


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("Bank transfer")
    ACCEPTANCE = "acceptance", _("Bank acceptance bill")
    CHEQUE = "cheque", _("Cheque")
    CASH = "cash", _("Cash")
    OTHER = "other", _("Other")


class InvoiceKind(models.TextChoices):
    SPECIAL = "special", _("VAT special invoice")  # 增值税专用发票
    ORDINARY = "ordinary", _("VAT ordinary invoice")  # 增值税普通发票


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_APPROVAL = "in_approval", _("In approval")
    APPROVED = "approved", pgettext_lazy("invoice", "Approved")
    ISSUED = "issued", _("Issued")
    VOID = "void", _("Void")
