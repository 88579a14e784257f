"""Contract numbers: a business unit's ``ContractSequence`` pattern, taken under a row lock.

A pattern holds literal text and the fields ``{prefix}``, ``{yyyy}``, ``{yy}``, ``{mm}`` and
``{seq}`` (with a width such as ``{seq:04d}``) and nothing else — no attribute access, no other
format specs. A BU without a sequence gets one with the default pattern and its code (upper case)
as the prefix the first time it numbers a contract.
"""

from __future__ import annotations

import re
import string
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Contract, ContractSequence

DEFAULT_PATTERN = "HT-{prefix}-{yyyy}-{seq:04d}"
FIELDS = ("prefix", "yyyy", "yy", "mm", "seq")
SEQ_SPEC = re.compile(r"^(0[1-9]d?|d)$")  # zero-padded widths only: {seq:4d} numbered "HT-2026-   1"
MAX_LENGTH = 60


def default_prefix(business_unit: Any) -> str:
    return (business_unit.code or "").upper()[:20]


def validate_pattern(pattern: str) -> str:
    """The pattern, stripped, or ``ValidationError`` on ``pattern`` naming what is wrong."""
    pattern = (pattern or "").strip()
    if not pattern:
        raise ValidationError({"pattern": _("Enter a number pattern, e.g. HT-{prefix}-{yyyy}-{seq:04d}.")})
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError:
        raise ValidationError({"pattern": _("Unbalanced braces in the pattern.")}) from None
    has_seq = False
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in FIELDS:
            raise ValidationError(
                {"pattern": _("Unknown field {%(name)s}: use {prefix}, {yyyy}, {yy}, {mm} and {seq}.") % {"name": name}}
            )
        if conversion:  # {seq!r}: the field is known, the "!r" is what is refused
            raise ValidationError(
                {
                    "pattern": _("A field takes no conversion: write {%(name)s}, not {%(name)s!%(conversion)s}.")
                    % {"name": name, "conversion": conversion}
                }
            )
        if spec and name != "seq":
            raise ValidationError({"pattern": _("Only {seq} takes a width, e.g. {seq:04d}.")})
        if spec and not SEQ_SPEC.match(spec):  # {seq:4d}, {seq:x}: {seq} does take a width, but only this kind
            raise ValidationError({"pattern": _("{seq} takes only a zero-padded width, e.g. {seq:04d}.")})
        has_seq = has_seq or name == "seq"
    if not has_seq:
        raise ValidationError({"pattern": _("The pattern needs {seq}, the running number.")})
    if len(render(pattern, prefix="X" * 20, day=date(2026, 12, 1), value=99999)) > MAX_LENGTH:
        raise ValidationError({"pattern": _("A number made from this pattern would be too long.")})
    return pattern


def render(pattern: str, *, prefix: str, day: date, value: int) -> str:
    return pattern.format(
        prefix=prefix, yyyy=f"{day.year:04d}", yy=f"{day.year % 100:02d}", mm=f"{day.month:02d}", seq=value
    )


def _value_for(sequence: ContractSequence, day: date) -> int:
    """The next value of ``sequence`` on ``day`` (a new year starts at 1 when it restarts yearly)."""
    if sequence.reset_yearly and sequence.year != day.year:
        return 1
    return sequence.next_value


def preview(sequence: ContractSequence, day: date) -> str:
    """The number the next contract would get (nothing taken)."""
    return render(sequence.pattern, prefix=sequence.prefix, day=day, value=_value_for(sequence, day))


def sequence_of(business_unit: Any) -> ContractSequence:
    """The BU's sequence, or an unsaved one with the defaults."""
    found = ContractSequence.objects.filter(business_unit=business_unit).first()
    return found or ContractSequence(
        business_unit=business_unit, pattern=DEFAULT_PATTERN, prefix=default_prefix(business_unit)
    )


def take_number(business_unit: Any, day: date) -> str:
    """The next number of the BU, taken under the sequence's row lock (call inside a transaction):
    two contracts never share a number. A number already in use (a pattern changed back) is skipped."""
    sequence, _created = ContractSequence.objects.select_for_update().get_or_create(
        business_unit=business_unit,
        defaults={"pattern": DEFAULT_PATTERN, "prefix": default_prefix(business_unit), "year": day.year},
    )
    value = _value_for(sequence, day)
    number = render(sequence.pattern, prefix=sequence.prefix, day=day, value=value)
    while Contract.objects.filter(number=number).exists():
        value += 1
        number = render(sequence.pattern, prefix=sequence.prefix, day=day, value=value)
    sequence.year = day.year
    sequence.next_value = value + 1
    sequence.save(update_fields=["year", "next_value"])
    return number
