"""Document numbers of a running sequence after a fixed prefix (DD202611-0001, HK-202611-00001,
BJ202611-0001): the next one after the highest already used. Contract numbers, whose pattern each
business unit sets, keep a sequence row instead (``contracts.numbering``)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Length


def highest(rows: QuerySet[Any], *, prefix: str, field: str = "number") -> int:
    """The highest sequence after ``prefix`` in ``rows`` (0: none yet).

    Sequences compare as numbers, not text: past the width, ``…-10000`` is longer than ``…-9999``
    and sorts before it as text, so the longest numbers are read first. Numbers whose rest after the
    prefix is not all digits (typed by hand, imported) are skipped. One query."""
    candidates = (
        rows.filter(**{f"{field}__startswith": prefix})
        .annotate(number_length=Length(field))
        .order_by("-number_length", f"-{field}")
        .values_list(field, flat=True)
    )
    for number in candidates.iterator(chunk_size=100):
        rest = number[len(prefix) :]
        if rest.isdigit() and rest.isascii():
            return int(rest)
    return 0


def next_number(rows: QuerySet[Any], *, prefix: str, width: int, field: str = "number") -> str:
    """``{prefix}{n:0{width}d}``, n one more than the ``highest`` sequence after ``prefix`` in ``rows``.
    Callers serialise (a lock) or retry on the unique number."""
    return f"{prefix}{highest(rows, prefix=prefix, field=field) + 1:0{width}d}"
