"""Demand signals for planning: history, open orders, weighted pipeline — per product × BU × month.

These are internal, group-wide computations that feed the statistical baseline and the demand plan;
they do **not** go through a user's visibility (``visible_to``): every order and opportunity of the
group counts. The pages and API endpoints that show their results check the "demand" permissions
themselves (``xietong.org.policies.require(user, "demand", …)``) and show plan lines through
``DemandPlanLine.objects.visible_to``.

Each source is aggregated in the database (one grouped query per source, ``TruncMonth``); Python
only adds the groups together and moves months that fall before the first planned month onto it.
Quantities are ``Decimal`` with three places; keys are ``(product_id, business_unit_id, month)``
with ``month`` the 1st of the month.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import DecimalField, ExpressionWrapper, F, FloatField, Sum
from django.db.models.functions import Cast, Coalesce, TruncMonth
from django.utils import timezone

from xietong.core.dates import day_start

Key = tuple[int, int, date]

MILLI = Decimal("0.001")
HUNDRED = Decimal("100")
ZERO = Decimal("0.000")
QTY = DecimalField(max_digits=20, decimal_places=3)


def month_start(d: date) -> date:
    """The 1st of ``d``'s month (a datetime counts by its date)."""
    if isinstance(d, datetime):
        d = d.date()
    return d.replace(day=1)


def add_months(d: date, n: int) -> date:
    """The 1st of the month ``n`` months after ``d``'s month (``n`` may be negative)."""
    index = d.year * 12 + (d.month - 1) + n
    return date(index // 12, index % 12 + 1, 1)


def _month(value: date | datetime | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def _quantity(value: Decimal | float | int | None) -> Decimal:
    """A summed quantity back to exactly three places (SQLite sums decimals as floats)."""
    if value is None:
        return ZERO
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(MILLI, ROUND_HALF_UP)


def _history_rows(*, start: date, end: date, as_float: bool) -> Iterator[tuple[int, int, Any, Any]]:
    """``(product, bu, month, quantity)`` groups of the demand history for months in [start, end)
    (``start`` and ``end`` month starts): imported ``SalesHistory`` plus the quantities of XieTong's
    orders that are not cancelled, by the (local) month they were created, less what was closed
    short (the customer did not take it, and a new order may take it again). A product × BU × month
    may come more than once (one row per source, history months with a stray day). ``as_float``:
    the sums as floats, cast in the database (no ``Decimal`` per row)."""
    from xietong.orders.choices import OrderStatus
    from xietong.orders.models import OrderLine

    from .models import SalesHistory

    def total(expression: Any) -> Any:
        return Cast(Sum(expression), FloatField()) if as_float else Sum(expression)

    yield from (
        SalesHistory.objects.filter(month__gte=start, month__lt=end)
        .values("product_id", "business_unit_id", "month")  # stored as the 1st (a stray day: its own group)
        .annotate(total=total("quantity"))
        .order_by()
        .values_list("product_id", "business_unit_id", "month", "total")
    )
    yield from (
        OrderLine.objects.filter(
            order__created_at__gte=day_start(start),
            order__created_at__lt=day_start(end),
        )
        .exclude(order__status=OrderStatus.CANCELLED)
        .annotate(m=TruncMonth("order__created_at"), bu=F("order__business_unit_id"))
        .values("product_id", "bu", "m")
        .annotate(total=total(F("quantity") - F("closed_quantity")))
        .order_by()
        .values_list("product_id", "bu", "m", "total")
    )


def demand_history(*, start: date, end: date) -> dict[Key, Decimal]:
    """Demand per product × BU × month for months in [start, end), exact (``_history_rows``)."""
    out: dict[Key, Decimal] = defaultdict(lambda: ZERO)
    for product, bu, month, quantity in _history_rows(start=month_start(start), end=month_start(end), as_float=False):
        out[(product, bu, _month(month))] += _quantity(quantity)  # type: ignore[index]
    return {key: value for key, value in out.items() if value}


def demand_history_floats(*, start: date, end: date) -> list[tuple[int, int, date, float]]:
    """The same groups as floats, for the statistical engine (which fits floats): ``(product, bu,
    month, quantity)``, a month possibly more than once and not always on the 1st (the reader adds
    them up by year and month, as ``forecast_services.history_frame`` does)."""
    rows = _history_rows(start=month_start(start), end=month_start(end), as_float=True)
    return [(p, b, m.date() if isinstance(m, datetime) else m, q or 0.0) for p, b, m, q in rows]


def open_orders(*, first_month: date) -> dict[Key, Decimal]:
    """Open remainder (unshipped, not closed short) of open orders (not cancelled, not shipped or
    closed short) by promised month; an order without a promised date, or promised before
    ``first_month``, counts in ``first_month``."""
    from xietong.orders.choices import OrderStatus
    from xietong.orders.models import OrderLine, open_quantity_expression

    first_month = month_start(first_month)
    rows = (
        OrderLine.objects.exclude(order__status__in=(OrderStatus.CANCELLED, OrderStatus.SHIPPED))
        .annotate(
            m=TruncMonth("order__promised_date"),
            bu=F("order__business_unit_id"),
            open=open_quantity_expression(),
        )
        .filter(open__gt=0)
        .values("product_id", "bu", "m")
        .annotate(total=Sum("open"))
        .order_by()
    )
    out: dict[Key, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        month = _month(row["m"])
        if month is None or month < first_month:
            month = first_month
        out[(row["product_id"], row["bu"], month)] += _quantity(row["total"])
    return {key: value for key, value in out.items() if value}


def weighted_pipeline(*, first_month: date, months: int) -> dict[Key, Decimal]:
    """Open opportunities' product lines weighted by the win probability: Σ quantity × probability
    / 100, rounded half up to three places once per product × BU × month. The month is the line's
    delivery month, else the opportunity's expected close month, else ``first_month``; earlier
    months count in ``first_month``; months at or after ``first_month + months`` are left out."""
    from xietong.pipeline.choices import OpportunityStatus
    from xietong.pipeline.models import OpportunityLine

    first_month = month_start(first_month)
    end = add_months(first_month, months)
    rows = (
        OpportunityLine.objects.filter(opportunity__status=OpportunityStatus.OPEN)
        .annotate(
            m=Coalesce(TruncMonth("delivery_month"), TruncMonth("opportunity__expected_close")),
            bu=F("opportunity__business_unit_id"),
            weighted=ExpressionWrapper(F("quantity") * F("opportunity__probability"), output_field=QTY),
        )
        .values("product_id", "bu", "m")
        .annotate(total=Sum("weighted"))
        .order_by()
    )
    sums: dict[Key, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        month = _month(row["m"])
        if month is None or month < first_month:
            month = first_month
        if month >= end:
            continue
        sums[(row["product_id"], row["bu"], month)] += _quantity(row["total"])
    out = {key: (value / HUNDRED).quantize(MILLI, ROUND_HALF_UP) for key, value in sums.items()}
    return {key: value for key, value in out.items() if value}
