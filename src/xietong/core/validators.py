"""Validators that more than one app uses: Chinese identifiers, quantities, the size of a document.

The unified social credit code (统一社会信用代码, GB 32100-2015) identifies every company in the
group's data: the group itself, customers, suppliers, dealers. It is 18 characters from a
31-character alphabet (digits and capitals without I, O, Z, S, V, which are easily misread),
laid out as:

- 1: the registering authority (9 for the market regulator, 5 for civil affairs, 1 for state bodies …)
- 2: the kind of organisation within that authority
- 3–8: the administrative division code of the place of registration (six digits)
- 9–17: the organisation code (GB 11714)
- 18: a check character over the first 17, weighted ``3**i mod 31``

Only the check character and the shape are verified: that catches typos and swapped
characters, which is what a form needs, without rejecting real codes whose older organisation
code part does not follow today's rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sized
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_LENGTH = 18
# Weight of position i is 3**i mod 31 (GB 32100-2015, 5.1).
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_CODE_VALUE = {ch: i for i, ch in enumerate(CREDIT_CODE_ALPHABET)}


def credit_code_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code whose first 17 characters are given.

    Raises ``ValueError`` when ``first17`` is not 17 characters of the code's alphabet.
    """
    body = first17.upper()
    if len(body) != CREDIT_CODE_LENGTH - 1 or any(ch not in CREDIT_CODE_ALPHABET for ch in body):
        raise ValueError(f"not the first 17 characters of a credit code: {first17!r}")
    total = sum(_CREDIT_CODE_VALUE[ch] * weight for ch, weight in zip(body, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    """What people type (spaces, lower case, full-width characters) to the canonical 18 capitals."""
    halfwidth = "".join(chr(ord(ch) - 0xFEE0) if "！" <= ch <= "～" else ch for ch in value)
    return "".join(halfwidth.split()).upper()


def is_valid_credit_code(value: str) -> bool:
    code = normalize_credit_code(value)
    if len(code) != CREDIT_CODE_LENGTH or not code[2:8].isdigit():
        return False
    try:
        return credit_code_check_char(code[:17]) == code[17]
    except ValueError:
        return False


def validate_credit_code(value: str) -> None:
    """Model and form validator: a well-formed unified social credit code with a correct check character.

    Blank values pass (make the field required where a code is mandatory); the value is checked
    in its normalised form, so callers should store ``normalize_credit_code(value)``.
    """
    if not value:
        return
    if not is_valid_credit_code(value):
        raise ValidationError(
            _("Enter a valid 18-character unified social credit code."),
            code="invalid_credit_code",
        )


# -- phone numbers ------------------------------------------------------------------------------
# A mainland mobile number is 11 digits starting with 1 and a network digit 3–9. People type it with
# spaces, dashes, full-width digits or a +86 / 0086 prefix; the normalised form is the 11 digits.
_MOBILE_DIGITS = 11


def normalize_mobile(value: str) -> str:
    """What people type to the bare 11 digits of a mainland mobile (other input: its digits only)."""
    halfwidth = "".join(chr(ord(ch) - 0xFEE0) if "０" <= ch <= "９" else ch for ch in value or "")
    digits = "".join(ch for ch in halfwidth if ch.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + _MOBILE_DIGITS:
            digits = digits[len(prefix) :]
    return digits


def is_valid_mobile(value: str) -> bool:
    digits = normalize_mobile(value)
    return len(digits) == _MOBILE_DIGITS and digits[0] == "1" and digits[1] in "3456789"


def validate_mobile(value: str) -> None:
    """Model and form validator for a mainland mobile number (blank passes)."""
    if value and not is_valid_mobile(value):
        raise ValidationError(_("Enter an 11-digit mobile number, e.g. 138 0013 8000."), code="invalid_mobile")


def normalize_phone(value: str) -> str:
    """A landline or any phone: digits, with ``-`` between area code and number kept if typed."""
    halfwidth = "".join(chr(ord(ch) - 0xFEE0) if "！" <= ch <= "～" else ch for ch in value or "")
    return "".join(ch for ch in halfwidth if ch.isdigit() or ch in "-+").strip("-")


def validate_phone(value: str) -> None:
    """Landlines and extensions: 7–20 digits (blank passes)."""
    digits = [ch for ch in normalize_phone(value) if ch.isdigit()]
    if value and not 7 <= len(digits) <= 20:
        raise ValidationError(_("Enter a phone number of 7 to 20 digits."), code="invalid_phone")


def has_places(value: Decimal, places: int) -> bool:
    """Whether a finite ``value`` has at most ``places`` decimal places (``1.500`` has one). Never
    raises: ``value.quantize(…)`` does beyond the context's 28 digits (``1e30`` typed as a price),
    so input checks use this and check the size before anything quantizes."""
    _sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        return False  # NaN or infinity
    extra = -places - exponent  # decimal places beyond ``places``: each must be a trailing zero
    if extra <= 0:
        return True
    return not any(digits[-extra:])


QUANTITY_LIMIT = Decimal("1e11")  # quantity columns: max_digits=14, decimal_places=3
# The largest money figure a document's line or total may reach. The money columns (max_digits=16,
# decimal_places=2) hold 14 digits before the point; one short of that, VAT and sums on top still fit.
# A line over it is refused: stored, it could not be read back (every page showing it would fail).
MONEY_LIMIT = Decimal("1e13")


def positive_quantity(value: Any, field: str, *, zero_message: str = "") -> Decimal:
    """A quantity above zero with at most three decimal places, typed as text (``1,000`` too) or a
    number; otherwise a ``ValidationError`` on ``field`` that says what is wrong (never an exception
    from rounding a huge number)."""
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter a quantity, e.g. 10 or 2.5.")}) from None
    if not number.is_finite():
        raise ValidationError({field: _("Enter a quantity, e.g. 10 or 2.5.")})
    if number <= 0:
        raise ValidationError({field: zero_message or _("The quantity must be more than zero.")})
    if number >= QUANTITY_LIMIT:
        raise ValidationError({field: _("The number is too large.")})
    if not has_places(number, 3):
        raise ValidationError({field: _("A quantity has at most three decimal places.")})
    return number


MAX_LINES = 500
"""The most product lines an opportunity, a quote or a contract holds. Each copies the lines of the one
before it (an accepted quote's lines become the opportunity's, a contract takes its quote's), so the three
share one limit. It keeps a document something one page, one approval and one PDF can show (a PDF of 40,000
lines took ten minutes of a server worker)."""


def check_line_count(lines: Sized) -> None:
    """Refuse more than ``MAX_LINES`` lines, naming the field ``lines`` and both numbers."""
    if len(lines) > MAX_LINES:
        raise ValidationError(
            {"lines": _("At most %(limit)s lines: %(count)s were given.") % {"limit": MAX_LINES, "count": len(lines)}}
        )


class Errors:
    """Field → messages gathered over a whole input (every row of a document, every cell of an upload),
    raised as one ``ValidationError`` so that one answer names every bad field, not only the first."""

    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.found.setdefault(field, []).append(str(message))

    def clean(self, field: str, func: Callable[[Any], Any], value: Any) -> Any:
        """``func(value)``, or None with its refusal kept under ``field``."""
        try:
            return func(value)
        except ValidationError as exc:
            for message in exc.messages:
                self.add(field, message)
            return None

    def attempt(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``func(*args, **kwargs)``, or None with its refusal kept under the fields it names (a refusal
        naming none goes under ``__all__``)."""
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            named = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            for field, messages in named.items():
                for message in messages:
                    self.add(field, message)
            return None

    def raise_if_any(self) -> None:
        if self.found:
            raise ValidationError(self.found)


def clean_text(value: Any, field: str, limit: int, label: str = "", *, message: str = "") -> str:
    """``value`` stripped, refused (never cut) when longer than ``limit`` characters: ``message``, by
    default "At most … characters." (after ``label``, e.g. the line)."""
    text = str(value or "").strip()
    if len(text) > limit:
        prefix = f"{label}: " if label else ""
        raise ValidationError({field: prefix + (message or _("At most %(n)d characters.") % {"n": limit})})
    return text
