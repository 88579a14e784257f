"""Reads of contracts, visibility applied: the list with its filters, a contract with its lines and
versions, the BUs whose number patterns a user administers, and "contracts to renew".

Every read starts from ``Contract.objects.visible_to(user, action)``: the list, the export, the
API, the customer tab and My day agree about which contracts a user sees.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from xietong.core.errors import NotFound

from .choices import ContractStatus
from .models import Contract, ContractLine, ContractVersion

RUNNING = (ContractStatus.SIGNED, ContractStatus.ACTIVE)


def contract_list(
    *,
    user: Any,
    action: str = "view",
    q: str = "",
    status: str = "",
    owner: Any = None,
    customer: Any = None,
    business_unit: Any = None,
    opportunity: Any = None,
    ending_before: date | None = None,
) -> QuerySet[Contract]:
    qs = Contract.objects.visible_to(user, action).select_related("customer", "business_unit", "owner")
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(title__icontains=q) | Q(customer__name__icontains=q))
    if status:
        qs = qs.filter(status=status)
    for name, value in (
        ("owner_id", owner),
        ("customer_id", customer),
        ("business_unit_id", business_unit),
        ("opportunity_id", opportunity),
    ):
        if value not in (None, ""):
            qs = qs.filter(**{name: getattr(value, "pk", value)})
    if ending_before is not None:
        qs = qs.filter(end_date__lt=ending_before)
    return qs


def contract_made_from_quote(*, user: Any, quote: Any) -> tuple[Contract | None, bool]:
    """The contract that a quote — any of its versions, which share the number — already became
    (not terminated), and whether ``user`` sees it. A quote makes one contract, so this existence is
    checked across every scope; a caller shows the contract's number only when it is seen."""
    existing = (
        Contract.objects.filter(quote__number=quote.number)
        .exclude(status=ContractStatus.TERMINATED)
        .order_by("pk")
        .first()
    )
    if existing is None:
        return None, False
    return existing, Contract.objects.visible_to(user).filter(pk=existing.pk).exists()


def contract_get(*, user: Any, pk: Any, action: str = "view") -> Contract:
    """The contract with what its page shows (lines with products), or ``NotFound``."""
    found = (
        Contract.objects.visible_to(user, action)
        .select_related("customer", "business_unit", "owner", "opportunity", "quote", "created_by")
        .prefetch_related(Prefetch("lines", queryset=ContractLine.objects.select_related("product")))
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def versions_of(contract: Contract) -> QuerySet[ContractVersion]:
    return ContractVersion.objects.filter(contract=contract).select_related("created_by").order_by("-version")


def to_renew(*, user: Any, today: date | None = None, days: int = 60) -> QuerySet[Contract]:
    """The user's own signed or active contracts ending within ``days`` (soonest first)."""
    today = today or timezone.localdate()
    return (
        Contract.objects.visible_to(user)
        .filter(owner_id=user.pk, status__in=RUNNING, end_date__gte=today, end_date__lte=today + timedelta(days=days))
        .select_related("customer")
        .order_by("end_date", "pk")
    )


def administered_business_units(user: Any) -> list[Any]:
    """The active BUs whose contract number pattern ``user`` may change."""
    from xietong.org.models import BusinessUnit

    from .services import can_administer

    if not user.access.can("contracts", "administer"):
        return []
    return [bu for bu in BusinessUnit.objects.filter(is_active=True).order_by("code") if can_administer(user, bu)]
