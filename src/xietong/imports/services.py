"""Imports and exports as jobs (every write): upload, map, start, run; export, run.

An import is a job of one person (``ImportJob.objects.of(user)``): ``import_job_create`` stores the
file, reads its header and proposes a mapping (a saved mapping with the same headers, else the
automatic one); ``import_job_configure`` sets the mapping and options; ``import_job_start`` queues
the background task, which calls ``run_import(job_id)``. ``run_import`` is retry-safe: a finished job
is left alone, and a job interrupted halfway resumes after the rows whose progress was committed.
"""

from __future__ import annotations

import logging
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.core import audit
from xietong.core.errors import Conflict
from xietong.core.exports import Column, write_csv, write_xlsx
from xietong.core.models import AuditEntry
from xietong.customers.choices import JobStatus

from . import exports, fields, policies, storage
from .models import DuplicateMode, ExportFormat, ExportJob, ImportJob, ImportTarget, SavedMapping
from .pipeline import ImportResult, RowError, import_rows
from .readers import Table

log = logging.getLogger("xietong.imports")

ALLOWED_EXTENSIONS = ("csv", "txt", "tsv", "xlsx", "xlsm", "xls", "ods")


def max_bytes() -> int:
    return int(settings.IMPORT_MAX_BYTES)


# --- imports -----------------------------------------------------------------------------------------


def _check_upload(upload: File, file_name: str) -> str:
    extension = Path(file_name).suffix.lower().lstrip(".")
    if extension not in ALLOWED_EXTENSIONS:
        raise ValidationError({"file": _("Upload a CSV, XLSX or XLS file (this is “%(name)s”).") % {"name": file_name}})
    size = upload.size or 0
    if size == 0:
        raise ValidationError({"file": _("The file is empty: it has no header row.")})
    if size > max_bytes():
        raise ValidationError(
            {"file": _("The file is larger than %(mb)d MB; split it.") % {"mb": max_bytes() // (1024 * 1024)}}
        )
    return extension


def proposed_mapping(*, actor: Any, target: str, headers: list[str]) -> tuple[dict[str, str], SavedMapping | None]:
    """A saved mapping of ``actor`` for ``target`` whose columns are all in ``headers`` (the newest),
    else the automatic one."""
    for saved in SavedMapping.objects.filter(owner=actor, target=target).order_by("-created_at", "-pk"):
        if saved.mapping and all(h in headers for h in saved.mapping):
            return dict(saved.mapping), saved
    return fields.auto_mapping(target, headers), None


def import_job_create(
    *,
    actor: Any,
    target: str,
    business_unit: Any,
    upload: File,
    file_name: str = "",
    price_book: Any = None,
) -> ImportJob:
    """Store the uploaded file and read its header: a job waiting for its mapping and options.
    Price book prices go into ``price_book`` (the job runs in its business unit; a whole-group book's:
    ``business_unit``)."""
    fields.target_spec(target)
    if target == fields.PRICE_BOOK_ENTRIES:
        price_book = policies.import_price_book(actor, price_book)
        business_unit = price_book.business_unit or business_unit
        if business_unit is None:
            raise ValidationError({"price_book": _("You belong to no business unit to run the import in.")})
    else:
        price_book = None
    policies.check_import(actor, target=target, business_unit=business_unit, price_book=price_book)
    file_name = Path(file_name or upload.name or "import.csv").name[:200]
    extension = _check_upload(upload, file_name)
    relative = storage.new_path("uploads", extension)
    path = storage.save(upload, relative)
    try:
        table = Table(path)
        mapping, _saved = proposed_mapping(actor=actor, target=target, headers=table.headers)
        with transaction.atomic():
            job = ImportJob.objects.create(
                target=target,
                business_unit=business_unit,
                price_book=price_book,
                actor=actor,
                file_name=file_name,
                file_path=relative,
                encoding=table.encoding,
                headers=table.headers,
                mapping=mapping,
                total_rows=table.estimated_rows,
            )
    except BaseException:
        storage.delete(relative)
        raise
    return job


def _editable(job: ImportJob) -> None:
    if job.status != JobStatus.QUEUED or job.processed_rows:
        raise Conflict(_("This import has already started; start a new one to change it."))


@transaction.atomic
def import_job_configure(
    *,
    actor: Any,
    job: ImportJob,
    mapping: dict[str, str],
    duplicate_mode: str,
    dry_run: bool,
    save_mapping_as: str = "",
) -> ImportJob:
    job = ImportJob.objects.of(actor).select_for_update().get(pk=job.pk)
    _editable(job)
    if duplicate_mode not in DuplicateMode.values:
        raise ValidationError({"duplicate_mode": _("Choose skip, update or create.")})
    clean = fields.check_mapping(job.target, list(job.headers), mapping)
    policies.check_import(
        actor,
        target=job.target,
        business_unit=job.business_unit,
        duplicate_mode=duplicate_mode,
        price_book=job.price_book,
    )
    job.mapping = clean
    job.duplicate_mode = duplicate_mode
    job.dry_run = dry_run
    job.save(update_fields=["mapping", "duplicate_mode", "dry_run"])
    if save_mapping_as.strip():
        saved_mapping_save(actor=actor, target=job.target, name=save_mapping_as, mapping=clean)
    return job


@transaction.atomic
def import_job_start(*, actor: Any, job: ImportJob) -> ImportJob:
    """Queue the import (after the commit). The job shows as running from now on."""
    job = ImportJob.objects.of(actor).select_for_update().get(pk=job.pk)
    _editable(job)
    fields.check_mapping(job.target, list(job.headers), dict(job.mapping))
    policies.check_import(
        actor,
        target=job.target,
        business_unit=job.business_unit,
        duplicate_mode=job.duplicate_mode,
        price_book=job.price_book,
    )
    job.status = JobStatus.RUNNING
    job.save(update_fields=["status"])
    from .tasks import run_import_job

    job_id = job.pk
    transaction.on_commit(lambda: run_import_job.enqueue(job_id=job_id))
    return job


@transaction.atomic
def import_job_repeat(*, actor: Any, job: ImportJob, dry_run: bool = False) -> ImportJob:
    """The same file, mapping and options as a new job (after a dry run: the real import), started."""
    job = ImportJob.objects.of(actor).get(pk=job.pk)
    copy = ImportJob.objects.create(
        target=job.target,
        business_unit=job.business_unit,
        price_book=job.price_book,
        actor=actor,
        file_name=job.file_name,
        file_path=job.file_path,
        encoding=job.encoding,
        headers=job.headers,
        mapping=job.mapping,
        duplicate_mode=job.duplicate_mode,
        dry_run=dry_run,
        total_rows=job.total_rows,
    )
    return import_job_start(actor=actor, job=copy)


def import_job_submit(
    *,
    actor: Any,
    target: str,
    business_unit: Any,
    upload: File,
    file_name: str = "",
    mapping: dict[str, str] | None = None,
    duplicate_mode: str = DuplicateMode.SKIP,
    dry_run: bool = False,
    price_book: Any = None,
) -> ImportJob:
    """Upload, configure and start in one step (the API): all of it or nothing (the file is removed
    again when the mapping or the options are refused). ``mapping`` None: the proposed one."""
    with transaction.atomic():
        job = import_job_create(
            actor=actor,
            target=target,
            business_unit=business_unit,
            upload=upload,
            file_name=file_name,
            price_book=price_book,
        )
        try:
            import_job_configure(
                actor=actor,
                job=job,
                mapping=mapping if mapping is not None else dict(job.mapping),
                duplicate_mode=duplicate_mode,
                dry_run=dry_run,
            )
            return import_job_start(actor=actor, job=job)
        except BaseException:
            storage.delete(job.file_path)
            raise


def _save_progress(job_id: int, result: ImportResult) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        processed_rows=result.processed,
        created_count=result.created,
        updated_count=result.updated,
        skipped_count=result.skipped,
        error_count=result.error_rows,
        errors=[e.as_dict() for e in result.errors],
    )


def run_import(job_id: int) -> None:
    """Run an import job (the task's body). Retry-safe: a finished job is left alone; an interrupted
    one goes on after the rows it had committed, with the counts it had."""
    job = ImportJob.objects.select_related("actor", "business_unit", "price_book").filter(pk=job_id).first()
    if job is None or job.status in (JobStatus.DONE, JobStatus.FAILED):
        return
    actor = job.actor
    with translation.override(getattr(actor, "language", "") or settings.LANGUAGE_CODE):
        if job.status != JobStatus.RUNNING:
            ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
        result = ImportResult(
            processed=job.processed_rows,
            created=job.created_count,
            updated=job.updated_count,
            skipped=job.skipped_count,
            error_rows=job.error_count,
            errors=[RowError(**e) for e in job.errors],
        )
        try:
            policies.check_import(
                actor,
                target=job.target,
                business_unit=job.business_unit,
                duplicate_mode=job.duplicate_mode,
                price_book=job.price_book,
            )
            table = Table(storage.absolute(job.file_path), encoding=job.encoding)
            import_rows(
                actor=actor,
                target=job.target,
                business_unit=job.business_unit,
                rows=islice(table.rows(), job.processed_rows, None),
                mapping=dict(job.mapping),
                duplicate_mode=job.duplicate_mode,
                dry_run=job.dry_run,
                result=result,
                on_chunk=lambda r: _save_progress(job.pk, r),
                audit_on=job,
                price_book=job.price_book,
            )
        except Exception as exc:  # the job reports it; the rows committed so far stay
            log.exception("import %s failed", job.pk)
            message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            ImportJob.objects.filter(pk=job.pk).update(
                status=JobStatus.FAILED, failure=message[:2000], finished_at=timezone.now()
            )
            return
        _save_progress(job.pk, result)
        ImportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.DONE, total_rows=result.processed, finished_at=timezone.now()
        )


# --- saved mappings -------------------------------------------------------------------------------------


@transaction.atomic
def saved_mapping_save(*, actor: Any, target: str, name: str, mapping: dict[str, str]) -> SavedMapping:
    """Save (or replace) ``actor``'s mapping called ``name`` for ``target``."""
    name = name.strip()
    if not name or len(name) > 60:
        raise ValidationError({"save_mapping_as": _("Give the mapping a name of at most 60 characters.")})
    fields.check_mapping(target, list(mapping), mapping)
    saved, _created = SavedMapping.objects.update_or_create(
        owner=actor, target=target, name=name, defaults={"mapping": mapping}
    )
    return saved


@transaction.atomic
def saved_mapping_delete(*, actor: Any, pk: int) -> None:
    SavedMapping.objects.filter(owner=actor, pk=pk).delete()


# --- error reports ------------------------------------------------------------------------------------

ERROR_COLUMNS = [
    Column(gettext_lazy("Line"), lambda e: e["line"], width=10),
    Column(gettext_lazy("Column"), lambda e: e["column"], width=20),
    Column(gettext_lazy("Reason"), lambda e: e["reason"], width=60),
]


def write_error_report(job: ImportJob, output: Any, fmt: str) -> None:
    if fmt == ExportFormat.CSV:
        write_csv(output, columns=ERROR_COLUMNS, rows=job.errors)
    else:
        write_xlsx(output, sheet_title=_("Errors"), columns=ERROR_COLUMNS, rows=job.errors)


# --- exports ---------------------------------------------------------------------------------------------


@transaction.atomic
def export_job_create(*, actor: Any, target: str, format: str, filters: dict[str, Any]) -> ExportJob:
    """Queue an export of ``target`` with ``filters`` (visibility applied when it runs)."""
    if target not in exports.COLUMNS:
        raise ValidationError({"target": _("Choose one of: %(allowed)s.") % {"allowed": ", ".join(exports.COLUMNS)}})
    if format not in ExportFormat.values:
        raise ValidationError(
            {"format": _("Choose one of: %(allowed)s.") % {"allowed": ", ".join(ExportFormat.values)}}
        )
    policies.check_export(actor, target=target)
    clean = exports.check_filters(target, filters)
    job = ExportJob.objects.create(actor=actor, target=target, format=format, filters=clean)
    audit.record(actor=actor, obj=job, kind=AuditEntry.Kind.ACTION, verb="export", changes={"filters": [None, clean]})
    from .tasks import run_export_job

    job_id = job.pk
    transaction.on_commit(lambda: run_export_job.enqueue(job_id=job_id))
    return job


def run_export(job_id: int) -> None:
    """Write the export's file (the task's body). Retry-safe: a finished job is left alone."""
    job = ExportJob.objects.select_related("actor").filter(pk=job_id).first()
    if job is None or job.status in (JobStatus.DONE, JobStatus.FAILED):
        return
    actor = job.actor
    with translation.override(getattr(actor, "language", "") or settings.LANGUAGE_CODE):
        ExportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
        relative = storage.new_path("exports", job.format)
        try:
            policies.check_export(actor, target=job.target)
            rows = exports.export_rows(actor, job.target, dict(job.filters))
            columns = exports.COLUMNS[job.target]
            with storage.prepare(relative).open("wb") as output:
                if job.format == ExportFormat.CSV:
                    count = write_csv(output, columns=columns, rows=rows)
                else:
                    count = write_xlsx(output, sheet_title=export_title(job.target), columns=columns, rows=rows)
        except Exception as exc:
            log.exception("export %s failed", job.pk)
            storage.delete(relative)
            ExportJob.objects.filter(pk=job.pk).update(
                status=JobStatus.FAILED, failure=str(exc)[:2000], finished_at=timezone.now()
            )
            return
        log.info("export %s by %s: %d rows, filters %s", job.target, actor.username, count, job.filters)
        ExportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.DONE,
            rows=count,
            file_path=relative,
            file_name=f"{export_title(job.target)}-{timezone.localdate():%Y%m%d}.{job.format}",
            finished_at=timezone.now(),
        )


def export_title(target: str) -> str:
    return str(dict(ImportTarget.choices).get(target, target))
