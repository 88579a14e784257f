"""The approval engine's records (docs/subsystems/approvals.md).

A *flow* (per document type, per BU or group-wide) is a list of ordered *steps*. Submitting a
document picks a flow, snapshots its applicable steps with their resolved approvers into an
*approval request*, and creates one *task* per approver of the current step. Every decision is a
task changing state plus an *event* in the request's history. A *delegation* hands a user's new
approvals to someone else while they are away.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.core.visibility import Access, OwnedRecordPolicy, Rule, VisibleQuerySet

MODULE = "approvals"


class StepKind(models.TextChoices):
    USER = "user", _("A named user")
    ROLE = "role", _("Holders of a role")
    MANAGER = "manager", _("The submitter's manager")
    MANAGER_CHAIN = "manager_chain", _("Managers up the team tree (N levels)")
    TEAM = "team", _("Any member of a team")


class StepMode(models.TextChoices):
    ALL = "all", _("All must approve (会签)")
    ANY = "any", _("Any one may approve (或签)")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RECALLED = "recalled", _("Recalled")


class TaskStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RETURNED = "returned", _("Returned")
    DELEGATED = "delegated", _("Delegated")
    SKIPPED = "skipped", _("Skipped")


class EventKind(models.TextChoices):
    SUBMIT = "submit", _("Submitted")
    APPROVE = "approve", _("Approved")
    REJECT = "reject", _("Rejected")
    RETURN = "return", _("Returned")
    RECALL = "recall", _("Recalled")
    DELEGATE = "delegate", _("Delegated")
    REMIND = "remind", _("Reminded")
    ESCALATE = "escalate", _("Escalated")
    STEP_DONE = "step_done", _("Step completed")
    FINISH = "finish", _("Approved in full")


class ApprovalFlow(models.Model):
    not_business_data = True  # configuration (read by administrators, modules approvals administer)

    document_type = models.CharField(_("document type"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    business_unit = models.ForeignKey(
        "org.BusinessUnit",
        verbose_name=_("business unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the whole group."),
    )
    priority = models.PositiveIntegerField(_("priority"), default=100, help_text=_("Lower numbers are tried first."))
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    remind_after_hours = models.PositiveIntegerField(_("remind after (hours)"), null=True, blank=True)
    escalate_after_hours = models.PositiveIntegerField(_("escalate after (hours)"), null=True, blank=True)
    escalate_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("escalate to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    audit_fields = (
        "document_type",
        "name",
        "business_unit",
        "priority",
        "conditions",
        "is_active",
        "remind_after_hours",
        "escalate_after_hours",
        "escalate_to",
    )

    class Meta:
        verbose_name = _("approval flow")
        verbose_name_plural = _("approval flows")
        ordering = ["document_type", "priority", "pk"]
        indexes = [models.Index(fields=["document_type", "is_active", "priority"])]

    def __str__(self) -> str:
        return self.name


class ApprovalStep(models.Model):
    not_business_data = True  # part of a flow

    flow = models.ForeignKey(ApprovalFlow, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("approver"), max_length=20, choices=StepKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    role = models.ForeignKey(
        "org.Role", verbose_name=_("role"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        "org.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    levels = models.PositiveSmallIntegerField(_("levels"), default=1)
    mode = models.CharField(_("mode"), max_length=5, choices=StepMode.choices, default=StepMode.ALL)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)

    class Meta:
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        ordering = ["flow", "position"]
        constraints = [models.UniqueConstraint(fields=["flow", "position"], name="approvals_step_unique_position")]

    def __str__(self) -> str:
        return self.name


class ApprovalRequestPolicy(OwnedRecordPolicy):
    """The module's scope by the request's BU / submitter, plus: the submitter, and every approver
    (current and past, delegates included) sees the request."""

    def rules(self, access: Access, action: str) -> list[Rule]:
        rules = super().rules(access, action)
        if action == "view" and access.user_id:
            rules.append(Rule(str(_("You submitted it")), Q(submitter_id=access.user_id)))
            tasks = ApprovalTask.objects.filter(approver_id=access.user_id).values("request_id")
            rules.append(Rule(str(_("You are asked to decide on it")), Q(pk__in=tasks)))
        return rules


class ApprovalRequestQuerySet(VisibleQuerySet["ApprovalRequest"]):
    visibility_policy = ApprovalRequestPolicy(MODULE, owner_field="submitter", shareable=False)


class ApprovalRequest(models.Model):
    document_type = models.CharField(_("document type"), max_length=40)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    # the document's id as a number (documents with integer keys): the approvers' visibility rule
    document_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    flow = models.ForeignKey(
        ApprovalFlow, verbose_name=_("flow"), null=True, on_delete=models.SET_NULL, related_name="requests"
    )
    flow_name = models.CharField(_("flow"), max_length=100, blank=True)
    # the applicable steps with their resolved approvers, frozen at submission:
    # [{"name", "kind", "mode", "approver_ids": [..], "skipped": bool, "note": str}]
    steps = models.JSONField(default=list)
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitter"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    current_step = models.PositiveSmallIntegerField(_("current step"), null=True, blank=True)
    step_started_at = models.DateTimeField(null=True, blank=True)
    title = models.CharField(_("title"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    url = models.CharField(max_length=300, blank=True)
    business_unit = models.ForeignKey(
        "org.BusinessUnit", verbose_name=_("business unit"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(_("comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ApprovalRequestQuerySet.as_manager()

    audit_fields = ("status", "current_step", "title")

    class Meta:
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-id"], name="approvals_req_document"),
            models.Index(fields=["content_type", "document_id"], name="approvals_req_document_id"),
            models.Index(fields=["submitter", "status", "-id"], name="approvals_req_submitter"),
            models.Index(fields=["business_unit", "status", "-id"], name="approvals_req_bu"),
        ]
        constraints = [
            # one pending request per document, whatever the race
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=Q(status="pending"),
                name="approvals_one_pending_per_document",
            )
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        """The document type in the reader's language, then the stored title (numbers and names)."""
        from .registry import display_title

        return display_title(self.document_type, self.title)

    @property
    def is_pending(self) -> bool:
        return self.status == RequestStatus.PENDING

    def current_step_data(self) -> dict[str, Any] | None:
        if self.current_step is None or self.current_step >= len(self.steps):
            return None
        return self.steps[self.current_step]

    def document(self) -> models.Model | None:
        model = self.content_type.model_class()
        if model is None:
            return None
        return model._default_manager.filter(pk=self.object_id).first()


class ApprovalTask(models.Model):
    not_business_data = True  # part of a request: read through it

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="tasks")
    step = models.PositiveSmallIntegerField(_("step"))
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approver"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    delegated_from = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("on behalf of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("approval task")
        verbose_name_plural = _("approval tasks")
        ordering = ["request", "step", "pk"]
        indexes = [
            models.Index(fields=["approver", "status", "-id"], name="approvals_task_inbox"),
            models.Index(fields=["status", "created_at"], name="approvals_task_due"),
        ]

    def __str__(self) -> str:
        return f"{self.request} · {self.approver}"


class ApprovalEvent(models.Model):
    not_business_data = True  # part of a request: read through it

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what"), max_length=12, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    step = models.PositiveSmallIntegerField(_("step"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("approval event")
        verbose_name_plural = _("approval events")
        ordering = ["request", "pk"]

    def __str__(self) -> str:
        return f"{self.request} · {self.kind}"


class Delegation(models.Model):
    """While ``user`` is away (``starts_on`` … ``ends_on``), their new approvals go to ``delegate``."""

    not_business_data = True  # a user's own setting: read with user=actor

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("delegate"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["-starts_on", "-pk"]
        indexes = [models.Index(fields=["user", "is_active", "starts_on"])]

    def __str__(self) -> str:
        return f"{self.user} → {self.delegate}"
