"""Customers (客户), each business unit's relationship with them, contacts, follow-ups, public pools,
ownership conflicts and the duplicate review queue.

A customer is one record for the whole group (the common card: name, credit code, region …). Each
business unit keeps its own ``Relationship`` with it: owner, status, level, protection period,
last follow-up. A relationship without an owner sits in one of the BU's public pools (公海).
Who sees what is in ``visibility.py`` (design/data-visibility.md, "Across business units").
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.core.validators import validate_credit_code, validate_mobile, validate_phone
from xietong.core.visibility import VisibleQuerySet

from . import visibility
from .choices import (
    ClusterStatus,
    CompanySize,
    ConflictDecision,
    ConflictStatus,
    CustomerKind,
    DecisionRole,
    DuplicateAction,
    FollowUpKind,
    JobStatus,
    Level,
    RecycleKind,
    RelationshipStatus,
    Source,
)

USER = settings.AUTH_USER_MODEL


class TaggedMixin(models.Model):
    """Tags stored as ``|tag1|tag2|`` so that one tag filters with ``tags__contains="|tag|"`` on every
    database without a join; ``tag_list`` reads and writes them as a list."""

    tags = models.CharField(_("tags"), max_length=500, blank=True, default="")

    class Meta:
        abstract = True

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split("|") if t]

    @tag_list.setter
    def tag_list(self, values: list[str]) -> None:
        clean = list(dict.fromkeys(v.strip().replace("|", "/") for v in values if v and v.strip()))
        self.tags = f"|{'|'.join(clean)}|" if clean else ""


class RegionMixin(models.Model):
    province = models.CharField(_("province"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    district = models.CharField(_("district"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta:
        abstract = True

    @property
    def region(self) -> str:
        return " ".join(p for p in (self.province, self.city, self.district) if p)


class CustomerQuerySet(VisibleQuerySet["Customer"]):
    visibility_policy = visibility.CUSTOMERS  # through the relationships, and shares

    def alive(self) -> CustomerQuerySet:
        """Customers not merged into another one."""
        return self.filter(merged_into__isnull=True)


class Customer(TaggedMixin, RegionMixin):
    kind = models.CharField(_("kind"), max_length=12, choices=CustomerKind.choices, default=CustomerKind.COMPANY)
    name = models.CharField(pgettext_lazy("customer", "Name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    # the normalised name (matching.normalise_name): exact duplicate key and the fuzzy index's input
    name_key = models.CharField(max_length=200, db_index=True, editable=False, default="")
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, validators=[validate_credit_code]
    )
    industry = models.CharField(_("industry"), max_length=40, blank=True)
    size = models.CharField(_("company size"), max_length=12, choices=CompanySize.choices, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    website = models.URLField(_("website"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # a merged customer stays as a tombstone pointing at the one it was merged into
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from", editable=False
    )
    merged_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CustomerQuerySet.as_manager()

    audit_fields = (
        "kind",
        "name",
        "short_name",
        "credit_code",
        "industry",
        "size",
        "source",
        "province",
        "city",
        "district",
        "address",
        "website",
        "tags",
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code="") & Q(merged_into__isnull=True),
                name="customers_unique_credit_code",
            )
        ]
        indexes = [models.Index(fields=["-created_at", "-id"], name="customers_created_idx")]

    def __str__(self) -> str:
        return self.name


class RelationshipQuerySet(VisibleQuerySet["Relationship"]):
    visibility_policy = visibility.RELATIONSHIPS  # owner + BU scopes, pool membership

    def owned(self) -> RelationshipQuerySet:
        return self.filter(owner__isnull=False)

    def in_pool(self) -> RelationshipQuerySet:
        return self.filter(owner__isnull=True)


class Relationship(models.Model):
    """One business unit's relationship with one customer (owner, status, level, protection)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="relationships"
    )
    business_unit = models.ForeignKey(
        "org.BusinessUnit", verbose_name=_("business unit"), on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        USER, verbose_name=_("owner"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pool = models.ForeignKey(
        "customers.CustomerPool",
        verbose_name=_("public pool"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="relationships",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RelationshipStatus.choices, default=RelationshipStatus.PROSPECT
    )
    level = models.CharField(_("level"), max_length=1, choices=Level.choices, default=Level.C)
    protected_until = models.DateField(_("protected until"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    released_at = models.DateTimeField(_("returned to the pool"), null=True, blank=True)
    release_reason = models.CharField(_("reason for returning"), max_length=200, blank=True)
    previous_owner = models.ForeignKey(
        USER, verbose_name=_("previous owner"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # the previous owner may not claim the customer back before this time
    previous_owner_blocked_until = models.DateTimeField(null=True, blank=True)
    last_follow_up_at = models.DateTimeField(_("last follow-up"), null=True, blank=True)
    next_follow_up_at = models.DateTimeField(_("next follow-up"), null=True, blank=True)
    # set by the pipeline and quote-to-cash apps once they exist (recycle rules read them)
    last_opportunity_at = models.DateTimeField(_("last opportunity"), null=True, blank=True)
    last_won_at = models.DateTimeField(_("last won deal"), null=True, blank=True)
    has_open_business = models.BooleanField(
        _("open opportunities or active contracts"), default=False, help_text=_("Excluded from recycling.")
    )
    recycle_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = RelationshipQuerySet.as_manager()

    audit_fields = ("owner", "pool", "status", "level", "protected_until", "release_reason")

    class Meta:
        verbose_name = _("business unit relationship")
        verbose_name_plural = _("business unit relationships")
        constraints = [
            models.UniqueConstraint(fields=["customer", "business_unit"], name="customers_one_relationship_per_bu"),
            models.CheckConstraint(
                condition=Q(owner__isnull=False) | Q(pool__isnull=False), name="customers_owner_or_pool"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "-id"], name="customers_rel_owner_idx"),
            models.Index(fields=["business_unit", "-id"], name="customers_rel_bu_idx"),
            models.Index(fields=["pool", "-id"], name="customers_rel_pool_idx"),
            models.Index(fields=["owner", "last_follow_up_at"], name="customers_rel_followup_idx"),
            # a pool's page (newest arrivals first, released_at DESC NULLS LAST): migration 0003 makes
            # the index per database, as SQLite cannot say NULLS LAST in an index
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.business_unit}"

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None


class ContactQuerySet(VisibleQuerySet["Contact"]):
    visibility_policy = visibility.CONTACTS  # through the customer's relationships, pools excluded


class Contact(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(pgettext_lazy("person", "Name"), max_length=50)
    title = models.CharField(_("job title"), max_length=50, blank=True)
    department = models.CharField(_("department"), max_length=50, blank=True)
    decision_role = models.CharField(_("role in the decision"), max_length=20, choices=DecisionRole.choices, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, validators=[validate_mobile])
    mobile_key = models.CharField(max_length=20, blank=True, db_index=True, editable=False)
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[validate_phone])
    email = models.EmailField(_("email"), blank=True, db_index=True)
    wechat = models.CharField(_("WeChat"), max_length=50, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from", editable=False
    )

    objects = ContactQuerySet.as_manager()

    audit_fields = ("name", "title", "department", "decision_role", "is_primary", "mobile", "phone", "email", "wechat")

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(fields=["customer", "-is_primary", "name"], name="customers_contact_idx")]

    def __str__(self) -> str:
        return self.name


class FollowUpQuerySet(VisibleQuerySet["FollowUp"]):
    visibility_policy = visibility.FOLLOW_UPS  # the record it is on, per business unit


class FollowUp(models.Model):
    """A logged call, visit, meeting, WeChat or email (跟进记录) on a lead, a customer or a contact.

    ``content_type``/``object_id`` name the record it is on; ``customer`` is set for follow-ups on a
    customer or on one of its contacts, so the customer's page lists both."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="follow_ups", editable=False
    )
    business_unit = models.ForeignKey(
        "org.BusinessUnit", verbose_name=_("business unit"), on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(USER, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("type"), max_length=10, choices=FollowUpKind.choices, default=FollowUpKind.CALL)
    content = models.TextField(_("content"))
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    occurred_at = models.DateTimeField(_("when"), db_index=True)
    next_at = models.DateTimeField(_("next follow-up"), null=True, blank=True, db_index=True)
    next_done = models.BooleanField(_("next follow-up done"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = FollowUpQuerySet.as_manager()

    audit_fields = ("kind", "content", "outcome", "occurred_at", "next_at")

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [
            models.Index(fields=["content_type", "object_id", "-occurred_at"], name="customers_fu_record_idx"),
            models.Index(fields=["customer", "-occurred_at"], name="customers_fu_customer_idx"),
            models.Index(fields=["owner", "next_at"], name="customers_fu_next_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"


class VisitCheckIn(models.Model):
    """A field visit checked in from a phone (外勤签到): where and when, as the browser reported it."""

    not_business_data = True  # configuration or a part of a record that is checked through it

    follow_up = models.OneToOneField(FollowUp, on_delete=models.CASCADE, related_name="check_in")
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    accuracy_m = models.PositiveIntegerField(_("accuracy (m)"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"))
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("visit check-in")
        verbose_name_plural = _("visit check-ins")

    def __str__(self) -> str:
        return f"{self.latitude},{self.longitude} @ {self.checked_in_at:%Y-%m-%d %H:%M}"


class CustomerPoolQuerySet(VisibleQuerySet["CustomerPool"]):
    visibility_policy = visibility.POOLS  # members and BU-wide customer scopes


class CustomerPool(models.Model):
    """A public pool (公海) of one business unit, with its members, administrators, limits and rules."""

    business_unit = models.ForeignKey(
        "org.BusinessUnit", verbose_name=_("business unit"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=60)
    description = models.TextField(_("description"), blank=True)
    is_default = models.BooleanField(_("default pool of the business unit"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    member_teams = models.ManyToManyField(
        "org.Team", verbose_name=_("member teams"), blank=True, related_name="customer_pools"
    )
    # limits
    max_owned = models.PositiveIntegerField(
        _("customers a rep may own"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    count_won_customers = models.BooleanField(_("customers who have bought count towards the limit"), default=False)
    claims_per_day = models.PositiveIntegerField(_("claims per rep per day"), null=True, blank=True)
    reclaim_block_days = models.PositiveIntegerField(_("days before a previous owner may claim back"), default=30)
    protection_days = models.PositiveIntegerField(_("protection period after a claim (days)"), default=30)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CustomerPoolQuerySet.as_manager()

    audit_fields = (
        "name",
        "is_default",
        "is_active",
        "max_owned",
        "count_won_customers",
        "claims_per_day",
        "reclaim_block_days",
        "protection_days",
    )

    class Meta:
        verbose_name = _("public pool")
        verbose_name_plural = _("public pools")
        constraints = [models.UniqueConstraint(fields=["business_unit", "name"], name="customers_pool_name_per_bu")]

    def __str__(self) -> str:
        return self.name


class PoolMember(models.Model):
    not_business_data = True  # configuration or a part of a record that is checked through it
    pool = models.ForeignKey(CustomerPool, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="customer_pool_memberships")
    is_admin = models.BooleanField(_("administrator"), default=False)

    class Meta:
        verbose_name = _("pool member")
        verbose_name_plural = _("pool members")
        constraints = [models.UniqueConstraint(fields=["pool", "user"], name="customers_pool_member_once")]

    def __str__(self) -> str:
        return f"{self.pool_id}:{self.user_id}"


class OwnershipLimit(models.Model):
    """A per-role or per-user override of the pool's "customers a rep may own"."""

    not_business_data = True  # configuration or a part of a record that is checked through it

    pool = models.ForeignKey(CustomerPool, on_delete=models.CASCADE, related_name="limits")
    role = models.ForeignKey("org.Role", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    max_owned = models.PositiveIntegerField(_("customers a rep may own"))

    class Meta:
        verbose_name = _("ownership limit")
        verbose_name_plural = _("ownership limits")
        constraints = [
            models.CheckConstraint(
                condition=Q(role__isnull=False, user__isnull=True) | Q(role__isnull=True, user__isnull=False),
                name="customers_limit_role_xor_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pool_id}: {self.max_owned}"


class RecycleRule(models.Model):
    """Return an owned customer to the pool when a condition has held for N days (per pool and level)."""

    not_business_data = True  # configuration or a part of a record that is checked through it

    pool = models.ForeignKey(CustomerPool, on_delete=models.CASCADE, related_name="recycle_rules")
    kind = models.CharField(_("rule"), max_length=20, choices=RecycleKind.choices)
    level = models.CharField(
        _("level"), max_length=1, choices=Level.choices, blank=True, help_text=_("Empty: every level.")
    )
    days = models.PositiveIntegerField(_("days"))
    remind_days_before = models.PositiveIntegerField(_("remind the owner N days before"), default=3)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("recycle rule")
        verbose_name_plural = _("recycle rules")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.days})"

    def summary(self) -> str:
        """The rule in words: "30 天未跟进 · A 级"."""
        from django.utils.translation import gettext

        texts = {
            RecycleKind.NO_FOLLOW_UP: gettext("No follow-up for %(days)s days"),
            RecycleKind.NO_OPPORTUNITY: gettext("No opportunity for %(days)s days"),
            RecycleKind.NO_WON_DEAL: gettext("No won deal for %(days)s days"),
        }
        text = texts[RecycleKind(self.kind)] % {"days": self.days}
        if self.level:
            text += " · " + gettext("level %(level)s") % {"level": self.level}
        return text


class ClaimLog(models.Model):
    """Every claim, release, assignment and recycle of a relationship: the daily claim limit counts
    claims here, and the pool page shows the latest moves."""

    not_business_data = True  # configuration or a part of a record that is checked through it

    class Action(models.TextChoices):
        CLAIM = "claim", _("Claimed")
        RELEASE = "release", _("Returned to the pool")
        ASSIGN = "assign", _("Assigned")
        RECYCLE = "recycle", _("Recycled")
        TRANSFER = "transfer", _("Transferred")

    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="claim_log")
    pool = models.ForeignKey(CustomerPool, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")  # new owner
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "action", "created_at"], name="customers_claimlog_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.relationship_id}"


class DuplicateRule(models.Model):
    """What happens when a new or changed record matches an existing one, per kind of record and key."""

    not_business_data = True  # configuration or a part of a record that is checked through it

    class Key(models.TextChoices):
        CREDIT_CODE = "credit_code", _("Same credit code")
        NAME = "name", _("Same name")
        MOBILE = "mobile", _("Same mobile")
        EMAIL = "email", _("Same email")
        FUZZY_NAME = "fuzzy_name", _("Similar name")

    class Target(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        LEAD = "lead", _("Lead")
        CONTACT = "contact", _("Contact")

    target = models.CharField(max_length=10, choices=Target.choices)
    key = models.CharField(max_length=12, choices=Key.choices)
    action = models.CharField(max_length=6, choices=DuplicateAction.choices)

    class Meta:
        verbose_name = _("duplicate rule")
        verbose_name_plural = _("duplicate rules")
        constraints = [models.UniqueConstraint(fields=["target", "key"], name="customers_duplicate_rule_once")]

    def __str__(self) -> str:
        return f"{self.target}.{self.key}: {self.action}"


class DuplicateOverride(models.Model):
    """A warning the user saw and went past, with their reason (the record and what it matched)."""

    not_business_data = True  # configuration or a part of a record that is checked through it

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    matched_ids = models.JSONField(default=list)
    reason = models.CharField(_("reason"), max_length=200)
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id}"


class DuplicateScan(models.Model):
    """A background scan of existing records for duplicate clusters, with its progress."""

    not_business_data = True  # configuration or a part of a record that is checked through it

    target = models.CharField(max_length=10, choices=DuplicateRule.Target.choices)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    clusters_found = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"scan {self.pk} {self.status}"


class DuplicateCluster(models.Model):
    """Records a scan found to be the same company or person: the review queue."""

    not_business_data = True  # configuration or a part of a record that is checked through it

    scan = models.ForeignKey(DuplicateScan, null=True, blank=True, on_delete=models.SET_NULL, related_name="clusters")
    target = models.CharField(max_length=10, choices=DuplicateRule.Target.choices)
    status = models.CharField(max_length=10, choices=ClusterStatus.choices, default=ClusterStatus.OPEN)
    score = models.PositiveSmallIntegerField(default=0)
    reason = models.CharField(max_length=200, blank=True)
    member_ids = models.JSONField(default=list)
    business_unit = models.ForeignKey(
        "org.BusinessUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["target", "status", "-score"], name="customers_cluster_queue_idx")]

    def __str__(self) -> str:
        return f"cluster {self.pk} ({self.target})"


class NameToken(models.Model):
    """The fuzzy-name blocking index of the duplicate check (docs/subsystems/duplicates.md): the
    bigrams and skip-bigrams of each customer's or lead's name key (``matching.index_names``)."""

    not_business_data = True  # an index of names, read only by the matching code

    target = models.CharField(max_length=10, choices=DuplicateRule.Target.choices)
    token = models.CharField(max_length=12)
    object_id = models.PositiveBigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["target", "token", "object_id"], name="customers_nametoken_idx"),
            models.Index(fields=["target", "object_id"], name="customers_nametoken_obj_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.target}:{self.token}:{self.object_id}"


class OwnershipConflictQuerySet(VisibleQuerySet["OwnershipConflict"]):
    visibility_policy = visibility.CONFLICTS


class OwnershipConflict(models.Model):
    """撞单: a rep wanted a customer another rep holds. Opened by either side, arbitrated by a BU head
    (same BU) or the group (across BUs); the decision is recorded on the customer."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="conflicts"
    )
    business_unit = models.ForeignKey(
        "org.BusinessUnit", verbose_name=_("business unit"), on_delete=models.PROTECT, related_name="+"
    )
    claimant = models.ForeignKey(USER, verbose_name=_("claimant"), on_delete=models.PROTECT, related_name="+")
    holder = models.ForeignKey(
        USER, verbose_name=_("current owner"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    statement = models.TextField(_("statement"))
    status = models.CharField(_("status"), max_length=10, choices=ConflictStatus.choices, default=ConflictStatus.OPEN)
    decision = models.CharField(_("decision"), max_length=10, choices=ConflictDecision.choices, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OwnershipConflictQuerySet.as_manager()

    audit_fields = ("status", "decision", "decision_note")

    class Meta:
        verbose_name = _("ownership conflict")
        verbose_name_plural = _("ownership conflicts")

    def __str__(self) -> str:
        return f"{self.customer} ({self.get_status_display()})"


def tag_filter(value: str) -> dict[str, Any]:
    """The filter for one tag on a ``TaggedMixin`` model."""
    return {"tags__contains": f"|{value.strip()}|"}


visibility.CUSTOMERS.model = Customer  # the share rule of customers (contacts read it too)
