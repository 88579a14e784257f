from django.db import models
from django.utils.translation import gettext_lazy as _


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTING = "contacting", _("Contacting")
    QUALIFIED = "qualified", _("Qualified")
    CONVERTED = "converted", _("Converted")
    INVALID = "invalid", _("Invalid")


OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTING, LeadStatus.QUALIFIED)


class AssignmentMethod(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round-robin within a team")
    REGION = "region", _("By region")
    INDUSTRY = "industry", _("By industry")
    PRODUCT_LINE = "product_line", _("By product line")
    LEAST_LOADED = "least_loaded", _("Least loaded (fewest open leads)")


class TimeoutAction(models.TextChoices):
    REMIND = "remind", _("Remind the owner only")
    REASSIGN = "reassign", _("Remind, then reassign by the rules")
    RETURN = "return", _("Remind, then return to the pool")
