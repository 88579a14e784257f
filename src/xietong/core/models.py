"""Core records shared by every app: the audit trail and record shares."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import ShareAccess


class AuditImmutableError(Exception):
    pass


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise AuditImmutableError("audit entries cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditImmutableError("audit entries cannot be deleted")

    def for_object(self, obj: models.Model) -> AuditEntryQuerySet:
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk))


class AuditEntry(models.Model):
    """Who changed what, when, old → new. Append-only: the app and the database refuse changes."""

    class Kind(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Deleted")
        ACTION = "action", _("Action")
        DENIED = "denied", _("Refused")

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    verb = models.CharField(_("what"), max_length=60, blank=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("record"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditImmutableError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditImmutableError("audit entries cannot be deleted")


class RecordShare(models.Model):
    """One business record shared with a user or a team, read or edit, optionally until a date."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="record_shares"
    )
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="record_shares")
    access = models.CharField(_("access"), max_length=10, choices=ShareAccess.choices, default=ShareAccess.READ)
    until = models.DateField(_("until"), null=True, blank=True)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        indexes = [models.Index(fields=["content_type", "object_id"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, team__isnull=True)
                | models.Q(user__isnull=True, team__isnull=False),
                name="core_share_user_xor_team",
            )
        ]

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id} → {self.user_id or self.team_id} ({self.access})"


class IdempotencyKey(models.Model):
    """The answer to a create that an integration may retry (``Idempotency-Key`` header): the same key
    from the same caller gets the same answer and creates nothing the second time."""

    not_business_data = True

    key = models.CharField(max_length=100)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=60)  # the endpoint, e.g. "leads.create"
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(default=0)  # 0 while the first request is running
    body = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["actor", "scope", "key"], name="core_idempotency_once")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class SavedView(models.Model):
    """A person's named filters and sort on a list page (``?<query>``), shown as tabs above the list."""

    not_business_data = True

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    list_name = models.CharField(max_length=40)  # which list, e.g. "customers", "leads"
    name = models.CharField(max_length=60)
    query = models.TextField(blank=True)  # the querystring without the cursor and page parameters
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "list_name", "name"], name="core_saved_view_name_once")]

    def __str__(self) -> str:
        return f"{self.list_name}: {self.name}"
