"""Imports of leads, customers, contacts, products, opportunities and price book prices from
CSV/XLSX/XLS, and list exports, as background jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xietong.customers.choices import JobStatus

USER = settings.AUTH_USER_MODEL


class ImportTarget(models.TextChoices):
    LEADS = "leads", _("Leads")
    CUSTOMERS = "customers", _("Customers")
    CONTACTS = "contacts", _("Contacts")
    PRODUCTS = "products", _("Products")
    OPPORTUNITIES = "opportunities", _("Opportunities")
    PRICE_BOOK_ENTRIES = "price_book_entries", _("Price book prices")


class DuplicateMode(models.TextChoices):
    SKIP = "skip", _("Skip rows that match an existing record")
    UPDATE = "update", _("Update the matching record")
    CREATE = "create", _("Create anyway")


class ImportJobQuerySet(models.QuerySet["ImportJob"]):
    def of(self, user: object) -> ImportJobQuerySet:
        """An import is seen by the person who started it (it holds their file)."""
        return self.filter(actor_id=getattr(user, "pk", None))


class ImportJob(models.Model):
    not_business_data = True  # a job of one person, seen only by them (``of(user)``)
    target = models.CharField(_("import into"), max_length=20, choices=ImportTarget.choices)
    business_unit = models.ForeignKey(
        "org.BusinessUnit", verbose_name=_("business unit"), on_delete=models.PROTECT, related_name="+"
    )
    price_book = models.ForeignKey(
        "quotes.PriceBook",
        verbose_name=_("price book"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Price book prices: the book they go into."),
    )
    actor = models.ForeignKey(USER, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("file"), max_length=200)
    file_path = models.CharField(max_length=300, editable=False)  # in the imports storage
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    headers = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)  # header → field
    duplicate_mode = models.CharField(
        _("when a row matches an existing record"),
        max_length=10,
        choices=DuplicateMode.choices,
        default=DuplicateMode.SKIP,
    )
    dry_run = models.BooleanField(_("dry run (check only, write nothing)"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    errors = models.JSONField(default=list, blank=True)  # [{"line": 3, "column": "手机", "reason": "..."}]
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def percent(self) -> int:
        return int(self.processed_rows * 100 / self.total_rows) if self.total_rows else 0


class SavedMapping(models.Model):
    """A header → field mapping saved by name, offered again for files with the same headers."""

    not_business_data = True  # a job of one person, seen only by them (``of(user)``)

    target = models.CharField(max_length=20, choices=ImportTarget.choices)
    name = models.CharField(_("name"), max_length=60)
    mapping = models.JSONField(default=dict)
    owner = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "target", "name"], name="imports_mapping_name_once")]

    def __str__(self) -> str:
        return self.name


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", "XLSX"
    CSV = "csv", "CSV"


class ExportJob(models.Model):
    """A list export run in the background (the API's ``/exports``): filters in, a file out."""

    not_business_data = True  # a job of one person, seen only by them (``of(user)``)

    target = models.CharField(max_length=20)
    format = models.CharField(max_length=4, choices=ExportFormat.choices, default=ExportFormat.XLSX)
    filters = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    rows = models.PositiveIntegerField(default=0)
    file_path = models.CharField(max_length=300, blank=True, editable=False)
    file_name = models.CharField(max_length=200, blank=True)
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.target}.{self.format}"
