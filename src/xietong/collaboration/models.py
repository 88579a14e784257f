"""Collaboration records that attach to any record. This first part: notifications."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from xietong.core.visibility import Access, Grant, Policy, Rule, VisibleQuerySet


class RecipientPolicy(Policy):
    """A notification is its recipient's alone, whatever their roles."""

    def __init__(self) -> None:
        super().__init__("notifications")

    def scope_rule(self, access: Access, grant: Grant) -> Rule:  # roles do not widen personal records
        return Rule("", Q(pk__in=[]))

    def rules(self, access: Access, action: str) -> list[Rule]:
        return [Rule(_t("It was sent to you"), Q(recipient_id=access.user_id))]


class NotificationQuerySet(VisibleQuerySet["Notification"]):
    visibility_policy = RecipientPolicy()

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One message to one person about one occurrence (``event_key``), optionally about a record.

    The text is not stored: ``kind`` and ``params`` are, and the registered kind writes the text in
    the reader's language when it is shown (collaboration/kinds.py).
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=50)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64, blank=True)
    params = models.JSONField(default=dict, blank=True)
    event_key = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        constraints = [
            # the same occurrence reaches a person once, however often its delivery task runs
            models.UniqueConstraint(fields=["recipient", "event_key"], name="collaboration_notification_once"),
        ]
        indexes = [models.Index(fields=["recipient", "read_at", "-id"], name="collab_notif_inbox")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"
