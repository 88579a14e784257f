"""Leads (线索): captured from every channel into a business unit's lead pools, assigned by rules,
followed up, and converted into a customer and a contact (or marked invalid with a reason)."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xietong.core.validators import validate_mobile, validate_phone
from xietong.core.visibility import VisibleQuerySet
from xietong.customers.choices import CompanySize, Source
from xietong.customers.models import RegionMixin, TaggedMixin

from . import visibility
from .choices import AssignmentMethod, LeadStatus, TimeoutAction

USER = settings.AUTH_USER_MODEL


class LeadPoolQuerySet(VisibleQuerySet["LeadPool"]):
    visibility_policy = visibility.LEAD_POOLS


class LeadPool(models.Model):
    """Where a business unit's unassigned leads wait to be assigned or claimed, with the contact timeout."""

    business_unit = models.ForeignKey(
        "org.BusinessUnit", verbose_name=_("business unit"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=60)
    description = models.TextField(_("description"), blank=True)
    is_default = models.BooleanField(_("default pool of the business unit"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True, related_name="lead_pools"
    )
    member_teams = models.ManyToManyField("org.Team", verbose_name=_("member teams"), blank=True, related_name="+")
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("administrators"), blank=True, related_name="+"
    )
    contact_within_hours = models.PositiveIntegerField(
        _("contact new leads within (hours)"), null=True, blank=True, help_text=_("Empty: no timeout.")
    )
    timeout_action = models.CharField(
        _("when a lead is not contacted in time"),
        max_length=10,
        choices=TimeoutAction.choices,
        default=TimeoutAction.REMIND,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LeadPoolQuerySet.as_manager()

    audit_fields = ("name", "is_default", "is_active", "contact_within_hours", "timeout_action")

    class Meta:
        verbose_name = _("lead pool")
        verbose_name_plural = _("lead pools")
        constraints = [models.UniqueConstraint(fields=["business_unit", "name"], name="leads_pool_name_per_bu")]

    def __str__(self) -> str:
        return self.name


class LeadQuerySet(VisibleQuerySet["Lead"]):
    visibility_policy = visibility.LEADS

    def alive(self) -> LeadQuerySet:
        return self.filter(merged_into__isnull=True)


class Lead(TaggedMixin, RegionMixin):
    company = models.CharField(_("company"), max_length=200, blank=True)
    company_key = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    contact_name = models.CharField(_("contact name"), max_length=50)
    contact_title = models.CharField(_("contact title"), max_length=50, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, validators=[validate_mobile])
    mobile_key = models.CharField(max_length=20, blank=True, db_index=True, editable=False)
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[validate_phone])
    email = models.EmailField(_("email"), blank=True, db_index=True)
    wechat = models.CharField(_("WeChat"), max_length=50, blank=True)
    industry = models.CharField(_("industry"), max_length=40, blank=True)
    company_size = models.CharField(_("company size"), max_length=12, choices=CompanySize.choices, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.OTHER)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    product_interest = models.CharField(_("product interest"), max_length=100, blank=True)
    budget = models.DecimalField(_("estimated budget"), max_digits=14, decimal_places=2, null=True, blank=True)
    business_unit = models.ForeignKey(
        "org.BusinessUnit", verbose_name=_("business unit"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW)
    invalid_reason = models.CharField(_("reason it is invalid"), max_length=200, blank=True)
    owner = models.ForeignKey(
        USER, verbose_name=_("owner"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pool = models.ForeignKey(
        LeadPool, verbose_name=_("lead pool"), null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    notes = models.TextField(_("notes"), blank=True)
    web_form = models.ForeignKey(
        "leads.WebForm", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads", editable=False
    )
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    assigned_by_rule = models.ForeignKey(
        "leads.AssignmentRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    first_contacted_at = models.DateTimeField(_("first contacted"), null=True, blank=True)
    last_follow_up_at = models.DateTimeField(_("last follow-up"), null=True, blank=True)
    next_follow_up_at = models.DateTimeField(_("next follow-up"), null=True, blank=True)
    timeout_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True, editable=False)
    converted_customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    converted_contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from", editable=False
    )

    objects = LeadQuerySet.as_manager()

    audit_fields = (
        "company",
        "contact_name",
        "contact_title",
        "mobile",
        "phone",
        "email",
        "wechat",
        "province",
        "city",
        "district",
        "address",
        "industry",
        "company_size",
        "source",
        "campaign",
        "product_interest",
        "budget",
        "status",
        "invalid_reason",
        "owner",
        "pool",
        "tags",
    )

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        constraints = [
            models.CheckConstraint(condition=Q(owner__isnull=False) | Q(pool__isnull=False), name="leads_owner_or_pool")
        ]
        indexes = [
            models.Index(fields=["owner", "status", "-id"], name="leads_owner_idx"),
            models.Index(fields=["business_unit", "-id"], name="leads_bu_idx"),
            models.Index(fields=["pool", "-id"], name="leads_pool_idx"),
            models.Index(fields=["-created_at", "-id"], name="leads_created_idx"),
        ]

    def followed_up(self, *, occurred_at: datetime, next_at: datetime | None) -> list[str]:
        """A follow-up was logged on the lead (``customers.followups`` calls this in its transaction):
        the first contact, the last and next follow-up move, and a new lead is now being contacted.
        Returns the fields changed."""
        changed = []
        if self.first_contacted_at is None:
            self.first_contacted_at = occurred_at
            changed.append("first_contacted_at")
        if self.last_follow_up_at is None or occurred_at >= self.last_follow_up_at:
            self.last_follow_up_at = occurred_at
            changed.append("last_follow_up_at")
        self.next_follow_up_at = next_at
        changed.append("next_follow_up_at")
        if self.status == LeadStatus.NEW:
            self.status = LeadStatus.CONTACTING
            changed += ["status", "updated_at"]
        return changed

    def __str__(self) -> str:
        return self.company or self.contact_name


class AssignmentRule(models.Model):
    """One rule of a business unit's lead assignment, evaluated in ``priority`` order (lowest first).

    ``round_robin`` and ``least_loaded`` pick among ``team``'s active members (or ``assignees``);
    ``region``, ``industry`` and ``product_line`` match the lead against ``values`` and then pick
    among ``assignees`` round-robin. A rule that matches but finds nobody falls back to
    ``fallback_owner``, else ``fallback_pool``, else the next rule."""

    not_business_data = True  # configuration of a business unit (leads "administer")

    business_unit = models.ForeignKey(
        "org.BusinessUnit", verbose_name=_("business unit"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=60)
    priority = models.PositiveIntegerField(_("priority"), default=100)
    method = models.CharField(_("method"), max_length=15, choices=AssignmentMethod.choices)
    values = models.JSONField(
        _("matching values"), default=list, blank=True, help_text=_("Provinces, industries or product lines.")
    )
    source_pool = models.ForeignKey(
        LeadPool,
        verbose_name=_("only leads of this pool"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rules",
    )
    team = models.ForeignKey(
        "org.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("assignees"), blank=True, related_name="+"
    )
    fallback_owner = models.ForeignKey(
        USER, verbose_name=_("fallback owner"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fallback_pool = models.ForeignKey(
        LeadPool, verbose_name=_("fallback pool"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)
    last_assigned_user = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )  # round-robin's cursor
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    audit_fields = ("name", "priority", "method", "values", "team", "fallback_owner", "fallback_pool", "is_active")

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")
        ordering = ["business_unit", "priority", "id"]

    def __str__(self) -> str:
        return self.name


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


class WebForm(models.Model):
    """A public web-to-lead form of one source: its own token, rate limit and landing pool."""

    not_business_data = True  # configuration of a business unit (leads "administer")

    business_unit = models.ForeignKey(
        "org.BusinessUnit", verbose_name=_("business unit"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=60)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.WEB)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    pool = models.ForeignKey(LeadPool, verbose_name=_("lead pool"), on_delete=models.PROTECT, related_name="+")
    token = models.CharField(max_length=64, unique=True, default=new_form_token, editable=False)
    per_hour_per_ip = models.PositiveIntegerField(_("submissions per hour from one address"), default=20)
    is_active = models.BooleanField(_("active"), default=True)
    thank_you = models.CharField(_("thank-you message"), max_length=200, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")

    def __str__(self) -> str:
        return self.name
