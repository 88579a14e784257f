"""Whole numbers read from a query string or a posted field that no form cleans: ids, offsets, counts.

``"²".isdigit()`` holds but ``int("²")`` fails, and a number past 64 bits fails in the database (an
offset, a row count), so ``value.isdigit()`` followed by ``int(value)`` is not a check. ``as_int`` is.
"""

from __future__ import annotations

from typing import Any

LARGEST = 2**63 - 1  # the databases' integers (PostgreSQL's bigint, SQLite's INTEGER)


def as_int[T](value: Any, default: T) -> int | T:
    """``value`` (text or a number) as a whole number from 0 to ``LARGEST``, else ``default``."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value if 0 <= value <= LARGEST else default
    text = str(value if value is not None else "").strip()
    if text.isascii() and text.isdigit() and len(text) <= len(str(LARGEST)) and int(text) <= LARGEST:
        return int(text)
    return default
