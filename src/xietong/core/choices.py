from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DataScope(models.IntegerChoices):
    """How far a role sees, narrow to wide. The number orders scopes for "no wider than your own"."""

    SELF = 10, pgettext_lazy("data scope", "Self")
    SUBORDINATES = 20, pgettext_lazy("data scope", "Self and subordinates")
    TEAM = 30, pgettext_lazy("data scope", "Team")
    TEAM_TREE = 40, pgettext_lazy("data scope", "Team and sub-teams")
    BUSINESS_UNIT = 50, pgettext_lazy("data scope", "Business unit")
    GROUP = 60, pgettext_lazy("data scope", "Whole group")


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
