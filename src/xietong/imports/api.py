"""REST endpoints of imports and exports: ``/api/v1/imports`` (upload and start, list, status with
progress, error report) and ``/api/v1/exports`` (queue, status, download). A job is seen only by
the person who started it; everyone else gets 404."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, FileEx, FormEx, P, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from xietong.core.api import ERROR_RESPONSES, Page, openapi_file
from xietong.org.models import BusinessUnit

from . import files, selectors, services
from .models import DuplicateMode, ExportFormat, ExportJob, ImportJob

router = Router(tags=["imports"])


class RowErrorOut(Schema):
    line: int = Field(description="The line in the file (the header is line 1 when it is the first line).")
    column: str = Field(description="The column's header in the file.")
    reason: str


class ImportOut(Schema):
    id: int
    target: str = Field(
        description="leads, customers, contacts, products, opportunities or price_book_entries (a price book's prices)."
    )
    business_unit_id: int
    price_book_id: int | None = Field(description="The price book the prices go into (price_book_entries only).")
    file_name: str
    encoding: str = Field(description='The text encoding found ("utf-8-sig", "gb18030" …); empty for spreadsheets.')
    headers: list[str]
    mapping: dict[str, str] = Field(description="Header → field.")
    duplicate_mode: str = Field(description="skip, update or create.")
    dry_run: bool
    status: str = Field(description="queued (not started), running, done or failed.")
    total_rows: int = Field(description="Rows in the file (an estimate until the import is done).")
    processed_rows: int
    percent: int
    created_count: int
    updated_count: int
    skipped_count: int
    error_count: int = Field(description="Rows with errors (each may have several errors).")
    failure: str
    created_at: datetime
    finished_at: datetime | None


class ExportIn(Schema):
    target: str = Field(description="customers, leads or contacts.")
    format: str = Field("xlsx", description="xlsx or csv.")
    filters: dict[str, Any] = Field(
        default_factory=dict,
        description="customers: q, business_unit, owner, pool, status, level, province, city, industry, tag, "
        "created_after, created_before; leads: q, business_unit, owner, pool, status, source, province, "
        "industry, tag, created_after, created_before; contacts: q, customer, decision_role, created_after, "
        "created_before.",
    )


class ExportOut(Schema):
    id: int
    target: str
    format: str
    filters: dict[str, Any]
    status: str = Field(description="queued, running, done or failed.")
    rows: int
    file_name: str
    failure: str
    created_at: datetime
    finished_at: datetime | None


def _mapping(raw: str) -> dict[str, str] | None:
    if not raw.strip():
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValidationError(
            {"mapping": _('Give the mapping as a JSON object of header → field, e.g. {"手机": "mobile"}.')}
        )
    return value


def _business_unit(request: HttpRequest, pk: int | None) -> Any:
    if pk is None:
        return getattr(request.user, "business_unit", None)
    found = BusinessUnit.objects.filter(pk=pk, is_active=True).first()
    if found is None:
        raise ValidationError({"business_unit_id": _("No such business unit.")})
    return found


@router.get("/imports", response={200: list[ImportOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",))
def list_imports(request: HttpRequest) -> Any:
    """Your imports, newest first."""
    return selectors.import_job_list(user=request.user)


@router.post("/imports", response={201: ImportOut, **ERROR_RESPONSES})
def create_import(
    request: HttpRequest,
    file: FileEx[UploadedFile, P(description="CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), XLSX or XLS.")],
    target: FormEx[str, P(description="leads, customers, contacts, products, opportunities or price_book_entries.")],
    business_unit_id: FormEx[int | None, P(description="Default: your business unit.")] = None,
    price_book_id: FormEx[
        int | None,
        P(description="price_book_entries: the book the prices go into (one you may change by hand)."),
    ] = None,
    duplicate_mode: FormEx[str, P(description="skip, update or create.")] = DuplicateMode.SKIP,
    dry_run: FormEx[bool, P(description="Check every row, write nothing.")] = False,
    mapping: FormEx[str, P(description="JSON header → field; default: your saved mapping or the automatic one.")] = "",
) -> Any:
    """Upload a file and start importing it in the background → 201 with the job; poll
    ``GET /imports/{id}`` for the progress. 422 names the field: ``file`` (unreadable, too large,
    not a table), ``mapping`` (unknown columns or fields, a required field not mapped),
    ``business_unit`` (you may not create records there), ``price_book`` (missing, or not a book you
    may change: a book you cannot see answers like a missing one). Prices run in the book's business
    unit (a whole-group book's: ``business_unit_id``)."""
    job = services.import_job_submit(
        actor=request.user,
        target=target,
        business_unit=_business_unit(request, business_unit_id),
        price_book=price_book_id,
        upload=file,
        file_name=file.name or "",
        mapping=_mapping(mapping),
        duplicate_mode=duplicate_mode,
        dry_run=dry_run,
    )
    return Status(201, selectors.import_job_get(user=request.user, pk=job.pk))


@router.get("/imports/{import_id}", response={200: ImportOut, **ERROR_RESPONSES})
def get_import(request: HttpRequest, import_id: int) -> ImportJob:
    return selectors.import_job_get(user=request.user, pk=import_id)


@router.get(
    "/imports/{import_id}/errors",
    response={200: list[RowErrorOut], **ERROR_RESPONSES},
    openapi_extra=openapi_file("The errors; with ?format=csv|xlsx a file."),
)
def get_import_errors(request: HttpRequest, import_id: int, format: str = "") -> Any:
    """Every row in error as (line, column, reason), in line order; ``?format=csv`` or ``xlsx`` for
    a file to download."""
    job = selectors.import_job_get(user=request.user, pk=import_id)
    if format in ExportFormat.values:
        return files.error_report_response(job, format)
    if format:
        raise ValidationError({"format": _("Choose csv or xlsx.")})
    return job.errors


@router.post("/exports", response={201: ExportOut, **ERROR_RESPONSES})
def create_export(request: HttpRequest, payload: ExportIn) -> Any:
    """Queue an export of a list with its filters (what you may export of it, as the list shows it)
    → 201; poll ``GET /exports/{id}`` and download when ``status`` is done. 403 without the
    module's "export"; 422 names an unknown or malformed filter (``filters.<name>``)."""
    job = services.export_job_create(
        actor=request.user, target=payload.target, format=payload.format, filters=payload.filters
    )
    return Status(201, selectors.export_job_get(user=request.user, pk=job.pk))


@router.get("/exports/{export_id}", response={200: ExportOut, **ERROR_RESPONSES})
def get_export(request: HttpRequest, export_id: int) -> ExportJob:
    return selectors.export_job_get(user=request.user, pk=export_id)


@router.get(
    "/exports/{export_id}/download",
    response={200: None, **ERROR_RESPONSES},
    openapi_extra=openapi_file("The file, as an attachment."),
)
def download_export(request: HttpRequest, export_id: int) -> Any:
    """The exported file (404 until the export is done)."""
    return files.export_response(selectors.export_job_get(user=request.user, pk=export_id))
