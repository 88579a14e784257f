"""Who may import and export: the permissions of the module the rows go into or come from.

Customers and contacts use the ``customers`` module, leads the ``leads`` module. Importing needs
"create" (and "edit" to update matches) in the chosen business unit; price book prices need the
right to change that price book by hand (``quotes`` "administer" over its business unit).
Exporting needs "export", and the rows are what the module's ``visible_to(user, "export")`` allows.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from xietong.core.choices import DataScope
from xietong.org.policies import require
from xietong.quotes.services import price_book_for_change

from .fields import PRICE_BOOK_ENTRIES, target_spec
from .models import DuplicateMode


def module_of(target: str) -> str:
    return target_spec(target).module


def can_import(user: Any, target: str) -> bool:
    spec = target_spec(target)
    return bool(user.access.can(spec.module, spec.action))


def can_import_any(user: Any) -> bool:
    return any(user.access.can(module, "create") for module in ("customers", "leads", "catalog", "opportunities"))


def may_create_in(user: Any, module: str, business_unit_id: int) -> bool:
    """Records of ``module`` may be created in a business unit the user works in (a team of theirs)
    with any "create" scope, or in one their "create" scope covers as a whole (a role limited to
    that BU, a BU-wide or group-wide scope)."""
    access = user.access
    held = access.widest_scope(module, "create", business_unit_id)
    return bool(held) and (business_unit_id in access.business_unit_ids or held >= DataScope.BUSINESS_UNIT)


def check_import(
    actor: Any,
    *,
    target: str,
    business_unit: Any,
    duplicate_mode: str = DuplicateMode.SKIP,
    price_book: Any = None,
) -> None:
    """Price book prices: the book must be one the actor may change by hand (``NotFound`` outside
    their scope, ``PermissionDenied`` when they only read it); the other targets: "create" (and
    "edit" to update matches) in the business unit."""
    if target == PRICE_BOOK_ENTRIES:
        import_price_book(actor, price_book)
        return
    module = module_of(target)
    require(actor, module, "create")
    if duplicate_mode == DuplicateMode.UPDATE:
        require(actor, module, "edit")
    if business_unit is None or not may_create_in(actor, module, business_unit.pk):
        raise ValidationError({"business_unit": _("You may not create records in this business unit.")})


def import_price_book(actor: Any, price_book: Any) -> Any:
    """The price book (or its id) prices are imported into, if ``actor`` may change it by hand."""
    if price_book in (None, ""):
        raise ValidationError({"price_book": _("Choose the price book to import the prices into.")})
    return price_book_for_change(actor=actor, price_book=price_book)


def check_export(actor: Any, *, target: str) -> None:
    require(actor, module_of(target), "export")
