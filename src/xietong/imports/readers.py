"""Reading an uploaded table: CSV in any of the encodings Chinese spreadsheets write, XLSX, XLS
and ODS (python-calamine), row by row.

- The kind of file is told by its content (a zip is XLSX/ODS, an OLE2 compound file is XLS, the
  rest is text), not by its name.
- Text files: UTF-8 with or without BOM is tried first, strictly over the whole file (a stream of
  blocks, so memory stays flat), then GB18030 (which covers GBK and GB2312), then
  charset-normalizer's guess; the delimiter (comma, tab, semicolon) is read from the header line.
- The header is the first non-blank row; blank headers become "Column N" and repeated ones get
  " (2)", " (3)" so every header names one column.
- Each data row comes with its line in the file as a spreadsheet shows it (the header on line 1
  when it is the first line), so an error report points at the right place.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .fields import cell_text

BLOCK = 1 << 20
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")
DELIMITERS = (",", "\t", ";", "|")

csv.field_size_limit(10 * 1024 * 1024)


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as stream:
            while block := stream.read(BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` (UTF-8, with or without BOM), ``gb18030`` (GBK/GB2312 too), or what
    charset-normalizer finds; a ``ValidationError`` on ``file`` when nothing reads it."""
    for encoding in TEXT_ENCODINGS:
        if _decodes(path, encoding):
            return encoding
    from charset_normalizer import from_bytes

    with path.open("rb") as stream:
        best = from_bytes(stream.read(BLOCK)).best()
    if best is not None and _decodes(path, best.encoding):
        return str(best.encoding)
    raise ValidationError({"file": _("The file's text encoding could not be recognised; save it as UTF-8 CSV.")})


def encoding_label(path: Path, encoding: str) -> str:
    """How the encoding is shown: ``UTF-8``, ``UTF-8 (BOM)``, ``GB18030`` …"""
    if encoding == "utf-8-sig":
        with path.open("rb") as stream:
            return "UTF-8 (BOM)" if stream.read(3) == codecs.BOM_UTF8 else "UTF-8"
    return encoding.upper()


def file_kind(path: Path) -> str:
    with path.open("rb") as stream:
        head = stream.read(8)
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if head == XLS_MAGIC:
        return "xls"
    return "csv"


def unique_headers(cells: list[str]) -> list[str]:
    headers: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(cells, start=1):
        name = cell.strip() or _("Column %(number)d") % {"number": index}
        seen[name] = seen.get(name, 0) + 1
        headers.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return headers


def _blank(cells: list[str]) -> bool:
    return not any(cells)


class Table:
    """An uploaded file opened for reading: ``headers``, ``encoding``, ``estimated_rows`` and ``rows()``."""

    def __init__(self, path: Path | str, *, encoding: str = "") -> None:
        self.path = Path(path)
        self.kind = file_kind(self.path)
        self.encoding = ""
        if self.kind == "csv":
            self.encoding = encoding or detect_encoding(self.path)
        self.headers: list[str] = []
        self.header_line = 0
        for line, cells in self._lines():
            if not _blank(cells):
                self.headers = unique_headers(cells)
                self.header_line = line
                break
        if not self.headers:
            raise ValidationError({"file": _("The file is empty: it has no header row.")})

    # -- what the reader gives ------------------------------------------------------------------
    @property
    def encoding_label(self) -> str:
        return encoding_label(self.path, self.encoding) if self.encoding else self.kind.upper()

    @property
    def estimated_rows(self) -> int:
        """The data rows, for the progress bar: exact for spreadsheets, lines of a text file."""
        if self.kind != "csv":
            return max(self._sheet().height - self.header_line, 0)
        count, last = 0, b""
        with self.path.open("rb") as stream:
            while block := stream.read(BLOCK):
                count += block.count(b"\n")
                last = block
        if count == 0 or not last.endswith(b"\n"):  # the last line has no line end
            count += 1
        return max(count - self.header_line, 0)

    def rows(self) -> Iterator[Row]:
        """The data rows after the header, blank rows left out, as header → cell text."""
        headers = self.headers
        width = len(headers)
        for line, cells in self._lines():
            if line <= self.header_line or _blank(cells):
                continue
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            yield Row(line, dict(zip(headers, cells, strict=False)))

    def preview(self, count: int = 10) -> list[Row]:
        found = []
        for row in self.rows():
            found.append(row)
            if len(found) >= count:
                break
        return found

    # -- the formats -----------------------------------------------------------------------------
    def _lines(self) -> Iterator[tuple[int, list[str]]]:
        if self.kind == "csv":
            yield from self._csv_lines()
        else:
            for index, values in enumerate(self._sheet().iter_rows(), start=1):
                yield index, [cell_text(v) for v in values]

    def _sheet(self) -> Any:
        from python_calamine import CalamineError, CalamineWorkbook

        try:
            workbook = CalamineWorkbook.from_path(str(self.path))
            return workbook.get_sheet_by_index(0)
        except (CalamineError, ValueError, OSError) as exc:
            raise ValidationError(
                {"file": _("The spreadsheet could not be read: %(error)s") % {"error": exc}}
            ) from None

    def _delimiter(self, stream: IO[str]) -> str:
        first = stream.readline()
        stream.seek(0)
        counts = {d: first.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","

    def _csv_lines(self) -> Iterator[tuple[int, list[str]]]:
        with self.path.open(encoding=self.encoding, newline="") as stream:
            reader = csv.reader(stream, delimiter=self._delimiter(stream))
            start = 1
            try:
                for cells in reader:
                    yield start, [c.strip() for c in cells]
                    start = reader.line_num + 1
            except csv.Error as exc:
                raise ValidationError(
                    {"file": _("Line %(line)d: the CSV is malformed (%(error)s).") % {"line": start, "error": exc}}
                ) from None
