"""The customers app's choices. Leads use the same sources, sizes and industries (leads import this)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CustomerKind(models.TextChoices):
    COMPANY = "company", _("Company")
    INDIVIDUAL = "individual", _("Individual")


class Level(models.TextChoices):
    A = "A", _("A (key account)")
    B = "B", _("B (important)")
    C = "C", _("C (ordinary)")
    D = "D", _("D (low value)")


class CompanySize(models.TextChoices):
    MICRO = "1-49", _("1–49 employees")
    SMALL = "50-199", _("50–199 employees")
    MEDIUM = "200-999", _("200–999 employees")
    LARGE = "1000-4999", _("1,000–4,999 employees")
    HUGE = "5000+", _("5,000 employees or more")


class Source(models.TextChoices):
    WEB = "web", _("Website form")
    PHONE = "phone", _("Inbound call")
    EXHIBITION = "exhibition", _("Exhibition")
    REFERRAL = "referral", _("Referral")
    ADVERTISING = "advertising", _("Advertising")
    PARTNER = "partner", _("Partner or dealer")
    COLD = "cold", _("Cold outreach")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    OTHER = "other", pgettext_lazy("source", "Other")


class RelationshipStatus(models.TextChoices):
    """Where a business unit stands with a customer."""

    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Customer")  # has bought
    DORMANT = "dormant", _("Dormant")
    LOST = "lost", _("Lost")


class DecisionRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", _("User")
    FINANCE = "finance", _("Finance")
    OTHER = "other", pgettext_lazy("decision role", "Other")


class FollowUpKind(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    MEETING = "meeting", _("Meeting")
    WECHAT = "wechat", _("WeChat")
    EMAIL = "email", _("Email")
    OTHER = "other", pgettext_lazy("follow-up", "Other")


class RecycleKind(models.TextChoices):
    NO_FOLLOW_UP = "no_follow_up", _("No follow-up for N days")
    NO_OPPORTUNITY = "no_opportunity", _("No opportunity for N days")
    NO_WON_DEAL = "no_won_deal", _("No won deal for N days")


class DuplicateAction(models.TextChoices):
    BLOCK = "block", _("Block")
    WARN = "warn", _("Warn and ask for a reason")
    ALLOW = "allow", _("Allow")


class ConflictStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class ConflictDecision(models.TextChoices):
    KEEP = "keep", _("Keep with the current owner")
    TRANSFER = "transfer", _("Transfer to the claimant")
    SHARE = "share", _("Share between both")


class ClusterStatus(models.TextChoices):
    OPEN = "open", _("To review")
    MERGED = "merged", _("Merged")
    DISMISSED = "dismissed", _("Not duplicates")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
