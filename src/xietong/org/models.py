"""The organisation: the group, business units, the team tree, users, roles and data scopes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.core.choices import DataScope
from xietong.core.validators import validate_credit_code
from xietong.core.visibility import VisibleQuerySet

from .choices import TeamType
from .visibility import BusinessUnitPolicy, TeamPolicy, UserPolicy

if TYPE_CHECKING:
    from xietong.core.visibility import Access


class Group(models.Model):
    """The installation's company group: exactly one row."""

    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=30, blank=True)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, validators=[validate_credit_code]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("group")

    def __str__(self) -> str:
        return self.name


class BusinessUnitQuerySet(VisibleQuerySet["BusinessUnit"]):
    visibility_policy = BusinessUnitPolicy()


class BusinessUnit(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    product_lines = models.CharField(_("product lines"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BusinessUnitQuerySet.as_manager()

    audit_fields = ("code", "name", "description", "product_lines", "is_active")

    class Meta:
        verbose_name = _("business unit")
        verbose_name_plural = _("business units")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class TeamQuerySet(VisibleQuerySet["Team"]):
    visibility_policy = TeamPolicy()


class Team(models.Model):
    """A node of the team tree inside one BU.

    ``path`` is the materialised path of ids ("/bu1/3/17/42/"): the sub-teams of a team are the rows
    whose path starts with its path, so scope predicates stay one indexed ``LIKE 'prefix%'``.
    """

    business_unit = models.ForeignKey(
        BusinessUnit, verbose_name=_("business unit"), on_delete=models.PROTECT, related_name="teams"
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("parent team"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(_("name"), max_length=100)
    team_type = models.CharField(_("team type"), max_length=20, choices=TeamType.choices, default=TeamType.SALES)
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TeamQuerySet.as_manager()

    audit_fields = ("business_unit", "parent", "name", "team_type", "is_active")

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["business_unit", "parent", "name"], name="org_team_unique_name_per_parent"),
            models.UniqueConstraint(
                fields=["business_unit", "name"],
                condition=models.Q(parent__isnull=True),
                name="org_team_unique_top_name",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def compute_path(self) -> None:
        """Set ``path`` and ``depth`` from the parent (the row must have its id). Top teams have depth 0."""
        parent_path = self.parent.path if self.parent is not None else f"/bu{self.business_unit_id}/"
        self.path = f"{parent_path}{self.pk}/"
        self.depth = self.depth_of(self.path)

    @staticmethod
    def depth_of(path: str) -> int:
        return path.count("/") - 3  # "/bu1/7/" is a top team: depth 0

    def ancestor_ids(self) -> list[int]:
        """Ids of the teams above this one, top first (the path's first part names the BU)."""
        return [int(part) for part in self.path.strip("/").split("/")[1:-1]]


class UserQuerySet(VisibleQuerySet["User"]):
    visibility_policy = UserPolicy()


class XietongUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class EmailNotifications(models.TextChoices):
    """How a person wants their notifications by e-mail (collaboration/emails.py)."""

    IMMEDIATE = "immediate", _("Immediately")
    DAILY = "daily", _("Daily digest")
    OFF = "off", _("Never")


class User(AbstractUser):
    """A person who logs in. ``business_unit`` follows the primary team (kept by the services)."""

    display_name = models.CharField(pgettext_lazy("person", "Name"), max_length=50)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    title = models.CharField(_("job title"), max_length=50, blank=True)
    primary_team = models.ForeignKey(
        Team, verbose_name=_("primary team"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    business_unit = models.ForeignKey(
        BusinessUnit,
        verbose_name=_("business unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        editable=False,
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    email_notifications = models.CharField(
        _("notifications by e-mail"),
        max_length=10,
        choices=EmailNotifications.choices,
        default=EmailNotifications.IMMEDIATE,
    )

    objects = XietongUserManager()  # type: ignore[misc]

    audit_fields = (
        "username",
        "display_name",
        "email",
        "mobile",
        "title",
        "primary_team",
        "is_active",
        "language",
        "email_notifications",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username

    def get_full_name(self) -> str:
        return self.display_name or self.username

    @cached_property
    def access(self) -> Access:
        """Everything this user's roles grant, computed once per request."""
        from xietong.core.visibility import Access

        return Access.for_user(self)


class TeamMembership(models.Model):
    """A user is a member of one or more teams; one of them is the primary team."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    is_manager = models.BooleanField(_("manager"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="org_membership_unique")]
        indexes = [models.Index(fields=["user", "is_manager"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.team}"


class Role(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_system = models.BooleanField(_("built-in"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    audit_fields = ("code", "name", "description")

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RolePermission(models.Model):
    """What one role may do in one module, and how far it sees there."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="permissions")
    module = models.CharField(_("module"), max_length=40)
    scope = models.PositiveSmallIntegerField(_("data scope"), choices=DataScope.choices, default=DataScope.SELF)
    can_view = models.BooleanField(_("view"), default=False)
    can_create = models.BooleanField(_("create"), default=False)
    can_edit = models.BooleanField(_("edit"), default=False)
    can_delete = models.BooleanField(_("delete"), default=False)
    can_export = models.BooleanField(_("export"), default=False)
    can_approve = models.BooleanField(_("approve"), default=False)
    can_administer = models.BooleanField(_("administer"), default=False)

    class Meta:
        verbose_name = _("role permission")
        verbose_name_plural = _("role permissions")
        constraints = [models.UniqueConstraint(fields=["role", "module"], name="org_rolepermission_unique")]

    def __str__(self) -> str:
        return f"{self.role} · {self.module}"

    def actions(self) -> set[str]:
        return {name for name in ACTION_FIELDS if getattr(self, f"can_{name}")}


ACTION_FIELDS = ("view", "create", "edit", "delete", "export", "approve", "administer")


class UserRole(models.Model):
    """A role held by a user, optionally limited to one business unit."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="user_roles")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="user_roles")
    business_unit = models.ForeignKey(
        BusinessUnit, verbose_name=_("limited to business unit"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "business_unit"],
                name="org_userrole_unique_in_bu",
                condition=models.Q(business_unit__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                name="org_userrole_unique_groupwide",
                condition=models.Q(business_unit__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.role}" + (f" · {self.business_unit}" if self.business_unit_id else "")


class AccessTokenQuerySet(models.QuerySet["AccessToken"]):
    def usable(self) -> AccessTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class AccessToken(models.Model):
    """A personal access token for integrations; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=16, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("access token")
        verbose_name_plural = _("access tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
