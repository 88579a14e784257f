"""Excel exports of list pages (docs/subsystems/exports.md).

An app declares its columns once and answers a request with ``xlsx_response``::

    USER_COLUMNS = [
        Column(pgettext_lazy("person", "Name"), lambda u: str(u), width=16),
        Column(_("Last login"), lambda u: u.last_login, width=18),
    ]

    policies.require(user, "org", "export")
    rows = selectors.user_list(user=user, action="export", **filters)
    return xlsx_response(filename=..., sheet_title=..., columns=USER_COLUMNS, rows=rows, actor=user)

The workbook is written in openpyxl's write-only mode, row by row, into a temporary file that the
response then streams: memory stays flat however many rows there are. A queryset is read with
``.iterator(chunk_size=CHUNK_SIZE)``; the chunk size is what lets ``prefetch_related`` work while
iterating (one prefetch query per chunk), so selectors may prefetch as they do for pages.

Values become real Excel values: numbers, dates and datetimes (in the local time zone, naive, as
Excel has no zones), ``Decimal`` as money with two decimals and thousands separators, booleans as
a translated yes/no. Text that a spreadsheet would run as a formula (starting with ``=``, ``+``,
``-``, ``@``, tab or carriage return) is prefixed with ``'`` (OWASP, "CSV injection").

The same columns give CSV: ``csv_response`` (or ``write_csv`` into a file), UTF-8 with a BOM so that
Excel opens Chinese text, with the same formula safety; ``write_xlsx`` writes a workbook into a file
(background exports).
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

logger = logging.getLogger("xietong.exports")

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_SIZE = 2000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DEFAULT_WIDTH = 14
_SHEET_TITLE_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


@dataclass(frozen=True)
class Column:
    """One column: its header (translatable), how to get the value from a row, its width in characters."""

    header: str | Promise
    value: Callable[[Any], Any]
    width: int | None = None


def safe_text(text: str) -> str:
    """Text as a spreadsheet shows it, never runs it: characters XML cannot hold are dropped, and a
    leading formula character gets a ``'`` in front."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def cell_value(value: Any) -> tuple[Any, str | None]:
    """The value to store and its number format (``None``: the default)."""
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        return (_("yes") if value else _("no")), None
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return value, DATETIME_FORMAT
    if isinstance(value, datetime.date):
        return value, DATE_FORMAT
    if isinstance(value, Decimal):
        return value, MONEY_FORMAT
    if isinstance(value, int | float):
        return value, None
    return safe_text(str(value)), None


def _sheet_title(title: str) -> str:
    """Excel's rules for sheet names: at most 31 characters, none of ``[]:*?/\\``."""
    return str(title).translate(_SHEET_TITLE_FORBIDDEN).strip()[:31] or "Sheet1"


def _rows(rows: Iterable[Any]) -> Iterable[Any]:
    if isinstance(rows, QuerySet):
        return rows.iterator(chunk_size=CHUNK_SIZE)
    return rows


def _write(sheet: WriteOnlyWorksheet, columns: list[Column], rows: Iterable[Any]) -> int:
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=safe_text(str(column.header)))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in _rows(rows):
        cells = []
        for column in columns:
            value, number_format = cell_value(column.value(row))
            if number_format is None:
                cells.append(value)
            else:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = number_format
                cells.append(cell)
        sheet.append(cells)
        count += 1
    return count


def xlsx_response(
    *,
    filename: str,
    sheet_title: str,
    columns: list[Column],
    rows: Iterable[Any],
    actor: Any,
    filters: Mapping[str, Any] | None = None,
) -> FileResponse:
    """The rows as an .xlsx attachment named ``filename`` (UTF-8 names allowed), one log line on
    ``xietong.exports`` saying who exported how many rows with which filters.

    ``rows`` must already be what ``actor`` may export (a selector called with ``action="export"``).
    """
    if not filename.lower().endswith(".xlsx"):
        filename = f"{filename}.xlsx"
    output = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the response once sent)
    try:
        count = write_xlsx(output, sheet_title=sheet_title, columns=columns, rows=rows)
        output.seek(0)
    except BaseException:
        output.close()
        raise
    logger.info(
        "export %s by %s (id %s): %d rows, filters %s",
        filename,
        getattr(actor, "username", actor),
        getattr(actor, "pk", None),
        count,
        dict(filters or {}),
    )
    return FileResponse(output, as_attachment=True, filename=filename, content_type=CONTENT_TYPE)


def write_xlsx(output: IO[bytes], *, sheet_title: str, columns: list[Column], rows: Iterable[Any]) -> int:
    """Write the rows as one worksheet into ``output`` (a binary file); the number of rows written.
    What ``xlsx_response`` sends, for files kept on disk (background exports, import error reports)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(sheet_title))
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width or DEFAULT_WIDTH
    count = _write(sheet, columns, rows)
    workbook.save(output)
    return count


# --- CSV: the same columns and the same formula safety ---------------------------------------

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def csv_text(value: Any) -> str:
    """A value as CSV text: the same rules as ``cell_value`` (local time, two-decimal money, yes/no,
    formula characters neutralised), written out as a spreadsheet would show it."""
    value, number_format = cell_value(value)
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if number_format == MONEY_FORMAT:
        return f"{value:.2f}"
    return str(value)


def write_csv(output: IO[bytes], *, columns: list[Column], rows: Iterable[Any]) -> int:
    """Write a header line and the rows as CSV into ``output`` (a binary file); the number of rows.

    UTF-8 with a byte-order mark, so that Excel opens Chinese text correctly; CRLF line ends; every
    cell through ``csv_text`` (a text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
    return gets a ``'`` in front, as in the XLSX export)."""
    text = io.TextIOWrapper(output, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow([safe_text(str(column.header)) for column in columns])
        count = 0
        for row in _rows(rows):
            writer.writerow([csv_text(column.value(row)) for column in columns])
            count += 1
        text.flush()
    finally:
        text.detach()  # leave ``output`` open for the caller
    return count


def csv_response(
    *,
    filename: str,
    columns: list[Column],
    rows: Iterable[Any],
    actor: Any,
    filters: Mapping[str, Any] | None = None,
) -> FileResponse:
    """The rows as a .csv attachment (see ``write_csv``), logged like ``xlsx_response``.

    ``rows`` must already be what ``actor`` may export (a selector called with ``action="export"``).
    """
    if not filename.lower().endswith(".csv"):
        filename = f"{filename}.csv"
    output = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the response once sent)
    try:
        count = write_csv(output, columns=columns, rows=rows)
        output.seek(0)
    except BaseException:
        output.close()
        raise
    logger.info(
        "export %s by %s (id %s): %d rows, filters %s",
        filename,
        getattr(actor, "username", actor),
        getattr(actor, "pk", None),
        count,
        dict(filters or {}),
    )
    return FileResponse(output, as_attachment=True, filename=filename, content_type=CSV_CONTENT_TYPE)
