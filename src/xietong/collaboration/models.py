"""Collaboration records that attach to any record. This first part: notifications."""

from __future__ import annotations

import uuid
from typing import cast

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xietong.core.visibility import Access, Grant, Policy, Rule, VisibleQuerySet


class RecipientPolicy(Policy):
    """A notification is its recipient's alone, whatever their roles."""

    def __init__(self) -> None:
        super().__init__("notifications")

    def scope_rule(self, access: Access, grant: Grant) -> Rule:  # roles do not widen personal records
        return Rule("", Q(pk__in=[]))

    def rules(self, access: Access, action: str) -> list[Rule]:
        return [Rule(gettext("It was sent to you"), Q(recipient_id=access.user_id))]


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
    # when it went out by e-mail (alone or in a digest): an e-mail task that runs twice sends once
    emailed_at = models.DateTimeField(null=True, blank=True)

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


class _Viewer:
    """Stands for the user whose ``Access`` a policy receives (``visible_to`` reads ``.access``)."""

    def __init__(self, access: Access) -> None:
        self.access = access


class AttachedPolicy(Policy):
    """Comments, follows and the like: seen by whoever sees the record they are attached to."""

    def __init__(self) -> None:
        super().__init__("collaboration")

    def scope_rule(self, access: Access, grant: Grant) -> Rule:
        return Rule("", Q(pk__in=[]))

    def rules(self, access: Access, action: str) -> list[Rule]:
        from .registry import visible_records_q

        return [Rule(gettext("You can see the record it belongs to"), visible_records_q(_Viewer(access)))]


class AttachedQuerySet(VisibleQuerySet[models.Model]):
    visibility_policy = AttachedPolicy()

    def on(self, obj: models.Model) -> AttachedQuerySet:
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk))


class Follow(models.Model):
    """Someone follows a record: they hear of the changes that matter."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AttachedQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.UniqueConstraint(fields=["user", "content_type", "object_id"], name="collaboration_follow_once")
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="collab_follow_record")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.content_type_id}:{self.object_id}"


class Comment(models.Model):
    """A comment on a record (markdown subset, stored as source and as sanitised HTML), with one
    level of replies. Deleting keeps a trace: the text goes, the row stays."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments", verbose_name=_("author")
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies", verbose_name=_("reply to")
    )
    body = models.TextField(_("comment"), max_length=10_000)
    body_html = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = AttachedQuerySet.as_manager()

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-id"], name="collab_comment_record"),
            # the timeline's page of threads, newest first (PostgreSQL reads it instead of sorting)
            models.Index(
                fields=["content_type", "object_id", "-created_at", "-id"],
                condition=Q(parent__isnull=True),
                name="collab_comment_threads",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_id} on {self.content_type_id}:{self.object_id}"


class CommentMention(models.Model):
    """Who a comment mentions: a person or a team (then every active member is told)."""

    not_business_data = True  # read through its comment, which carries the visibility
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True) | Q(user__isnull=True, team__isnull=False),
                name="collaboration_mention_user_xor_team",
            )
        ]

    def __str__(self) -> str:
        return f"@{self.user_id or self.team_id}"


# --- tasks (collaboration/tasks_services.py, docs/subsystems/tasks-collab.md) ---------------------


def _collaborator_task_ids(user_id: int) -> models.QuerySet[models.Model]:
    return Task.collaborators.through.objects.filter(user_id=user_id).values("task_id")  # type: ignore[return-value]


class TaskPolicy(Policy):
    """Who sees a task: the people on it (assignee, creator, collaborators); whoever sees the record it
    is linked to; and, through roles on the module "tasks", the tasks *assigned* to people inside the
    role's scope (the assignee plays the owner; a business-unit scope covers assignees of that BU)."""

    def __init__(self) -> None:
        super().__init__("tasks")

    def scope_rule(self, access: Access, grant: Grant) -> Rule:
        from xietong.core.choices import DataScope
        from xietong.core.visibility import members_of

        reason = self.grant_reason(grant)
        scope = grant.scope
        if scope == DataScope.GROUP and grant.business_unit_id is None:
            return Rule(reason, None)
        if scope >= DataScope.BUSINESS_UNIT:
            return Rule(reason, Q(assignee__business_unit_id__in=access.scope_business_units(grant)))
        own = Q(assignee_id=access.user_id)
        if scope == DataScope.SELF:
            q = own
        elif scope == DataScope.SUBORDINATES:
            q = own | Q(assignee_id__in=members_of(paths=access.managed_paths))
        elif scope == DataScope.TEAM:
            q = own | Q(assignee_id__in=members_of(team_ids=access.team_ids))
        else:  # TEAM_TREE
            q = own | Q(assignee_id__in=members_of(paths=[t.path for t in access.teams]))
        if grant.business_unit_id is not None:
            q &= Q(assignee__business_unit_id=grant.business_unit_id)
        return Rule(reason, q)

    def rules(self, access: Access, action: str) -> list[Rule]:
        from .registry import visible_records_q

        rules = super().rules(access, action)
        if access.user_id is None:
            return rules
        uid = access.user_id
        if action == "view":
            rules.append(
                Rule(
                    gettext("You are on the task (assignee, creator or collaborator)"),
                    Q(assignee_id=uid) | Q(creator_id=uid) | Q(pk__in=_collaborator_task_ids(uid)),
                )
            )
            rules.append(
                Rule(
                    gettext("You can see the record it belongs to"),
                    Q(content_type__isnull=False) & visible_records_q(_Viewer(access)),
                )
            )
        elif action == "edit":
            mine = Q(assignee_id=uid) | Q(creator_id=uid)
            rules.append(Rule(gettext("You created the task or it is assigned to you"), mine))
        return rules


class TaskQuerySet(VisibleQuerySet["Task"]):
    visibility_policy = TaskPolicy()

    def on(self, obj: models.Model) -> TaskQuerySet:
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk))

    def active(self) -> TaskQuerySet:
        return self.filter(status__in=Task.ACTIVE)


class Task(models.Model):
    """Something someone (anyone, across departments) is to do, by a time, alone or on a record.

    At ``remind_at`` the reminder job (collaboration/reminders.py) notifies the assignee and the
    collaborators and sets ``reminded_at``."""

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE = ("open", "in_progress")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=10_000)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tasks_assigned", verbose_name=_("assignee")
    )
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tasks_created", verbose_name=_("creator")
    )
    collaborators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="tasks_shared", verbose_name=_("collaborators")
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64, blank=True)
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)  # the reminder went out
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TaskQuerySet.as_manager()

    audit_fields = ("title", "assignee", "due_at", "priority", "status", "remind_at")

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="collab_task_assignee"),
            models.Index(fields=["content_type", "object_id", "status"], name="collab_task_record"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return self.due_at is not None and self.status in self.ACTIVE and self.due_at < timezone.now()


# --- attachments (collaboration/attachments.py, docs/subsystems/attachments.md) -------------------


class _AttachmentStorage(LazyObject):
    """``storages["attachments"]`` (local directory or S3), looked up when first used, so the settings
    (and tests, which point it at a temporary directory) decide; reset it with ``reset()``."""

    def _setup(self) -> None:
        self._wrapped = storages["attachments"]

    def reset(self) -> None:
        self._wrapped = empty  # type: ignore[assignment]


attachment_storage = _AttachmentStorage()


def attachments_storage() -> Storage:
    """The storage of ``Attachment.file`` and ``.thumbnail`` (a callable: migrations do not name a backend)."""
    return cast(Storage, attachment_storage)


def _attachment_path(instance: Attachment, filename: str) -> str:
    """A random key under the month of the upload: the user's file name never reaches the storage."""
    from django.utils import timezone

    suffix = f".{instance.extension}" if instance.extension else ""
    return f"files/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


def _thumbnail_path(instance: Attachment, filename: str) -> str:
    from django.utils import timezone

    return f"thumbnails/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.webp"


class Attachment(models.Model):
    """A file on a record, or on a comment of the record (``comment`` set). Seen by whoever sees the
    record (``AttachedQuerySet``). The stored key is random; ``name`` is the sanitised original name,
    ``mime_type`` what the content was found to be (never what the client claimed).

    Deleting keeps a trace like comments do: the bytes and the thumbnail go, the row (name, size,
    uploader, ``deleted_at``, ``deleted_by``) stays. A file of a deleted comment counts as deleted."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64)
    # comments are only ever soft-deleted; if a comment row is removed (by an administrator), its files go too
    comment = models.ForeignKey(
        Comment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("comment"),
    )
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("uploaded by")
    )
    file = models.FileField(_("file"), storage=attachments_storage, upload_to=_attachment_path, max_length=255)
    name = models.CharField(_("file name"), max_length=255)
    extension = models.CharField(max_length=10, blank=True)
    mime_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    thumbnail = models.FileField(
        storage=attachments_storage, upload_to=_thumbnail_path, max_length=255, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = AttachedQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-id"], name="collab_attachment_record")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_deleted(self) -> bool:
        """Deleted itself, or through its comment (read with ``select_related("comment")``)."""
        return self.deleted_at is not None or (self.comment is not None and self.comment.deleted_at is not None)

    @property
    def is_image(self) -> bool:
        return self.mime_type in INLINE_IMAGE_TYPES

    @property
    def previewable(self) -> bool:
        """Shown in the browser (images, PDF) rather than only downloaded."""
        return self.mime_type in INLINE_IMAGE_TYPES or self.mime_type == "application/pdf"


# raster images that browsers show and that are never active content (no SVG: it is a document with scripts)
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
