from django.db import models
from django.utils.translation import gettext_lazy as _


class DataScope(models.IntegerChoices):
    """How far a role sees, narrow to wide. The number orders scopes for "no wider than your own"."""

    SELF = 10, _("Self")
    SUBORDINATES = 20, _("Self and subordinates")
    TEAM = 30, _("Team")
    TEAM_TREE = 40, _("Team and sub-teams")
    BUSINESS_UNIT = 50, _("Business unit")
    GROUP = 60, _("Whole group")


class Action(models.TextChoices):
    VIEW = "view", _("View")
    CREATE = "create", _("Create")
    EDIT = "edit", _("Edit")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")
    APPROVE = "approve", _("Approve")
    ADMINISTER = "administer", _("Administer")


class ShareAccess(models.TextChoices):
    READ = "read", _("Read")
    EDIT = "edit", _("Edit")
