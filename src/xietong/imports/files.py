"""The files a job hands back to the person whose job it is: an import's error report, an export."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.http import FileResponse
from django.utils.translation import gettext as _

from xietong.core.errors import NotFound
from xietong.core.exports import CONTENT_TYPE, CSV_CONTENT_TYPE
from xietong.customers.choices import JobStatus

from . import services, storage
from .models import ExportFormat, ExportJob, ImportJob


def error_report_response(job: ImportJob, fmt: str) -> FileResponse:
    """The rows in error as (line, column, reason), CSV or XLSX."""
    fmt = fmt if fmt in ExportFormat.values else ExportFormat.XLSX
    output = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the response once sent)
    try:
        services.write_error_report(job, output, fmt)
        output.seek(0)
    except BaseException:
        output.close()
        raise
    name = f"{Path(job.file_name).stem}-{_('errors')}.{fmt}"
    content_type = CSV_CONTENT_TYPE if fmt == ExportFormat.CSV else CONTENT_TYPE
    return FileResponse(output, as_attachment=True, filename=name, content_type=content_type)


def export_response(job: ExportJob) -> FileResponse:
    """The finished export's file; 404 while it is not ready (or failed)."""
    if job.status != JobStatus.DONE or not job.file_path:
        raise NotFound()
    path = storage.absolute(job.file_path)
    if not path.exists():
        raise NotFound()
    content_type = CSV_CONTENT_TYPE if job.format == ExportFormat.CSV else CONTENT_TYPE
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.file_name, content_type=content_type)
