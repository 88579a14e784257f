"""Whole numbers read from a query string or a posted field that no form cleans: ids, offsets, counts.

``"²".isdigit()`` holds but ``int("²")`` fails, so ``value.isdigit()`` followed by ``int(value)`` is not
a check. ``as_int`` is.
"""

from __future__ import annotations

from typing import Any

LARGEST = 2**63 - 1  # the databases' integers (PostgreSQL's bigint, SQLite's INTEGER)
MAX_DIGITS = 4000  # below the 4,300 digits Python reads as a number at most


def as_int[T](value: Any, default: T) -> int | T:
    """``value`` (text or a number) as a whole number from 0 up, else ``default``.

    A number past ``LARGEST`` is returned as it is, so that it means what it means in any other
    parameter: a filter by it finds nothing on PostgreSQL and is refused (400 on a page, 422 in the
    API) on SQLite. Offsets are held below it where they are used (``history_panel``).
    """
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value if value >= 0 else default
    text = str(value if value is not None else "").strip()
    if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS:
        return int(text)
    return default
