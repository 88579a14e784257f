"""Quote-to-cash: a quote with 200 lines recalculates and renders within 1.5× the raw computation plus
one query per table.

Data: one quote of 200 lines (200 products, percent and amount discounts, the four VAT rates) on an
opportunity of the industrial BU, made once through ``quotes.services.quote_create`` by the BU head
and reused (its title marks it: ``bench: 200 lines``).

Ours: ``quotes.services.quote_recalculate`` (lock the quote, read the lines, compute every line's
figures and the totals with ``quotes/money.py``, write them back) and the quote's page
(``GET /quotes/<id>/``, the BU head's session, the whole HTML page with its 200 lines) through
Django's test client.

Reference: the raw computation — one ``SELECT`` of the quote, one of its lines joined to their
products (one query per table read), the rule in plain Decimal arithmetic in a loop, no ORM —
the floor of "recalculate and show".

The answers compared: the quote's total as each side computed it. Goal: ≤ 1.5× (see the report: the
page render is most of ours).

For information, the report splits ours: the recalculation alone; the page of a one-line quote on the
same opportunity (``bench: 1 line``: the record's shell, panels and menu without the 200 rows); and
the floor of any page, a bare view under the same client, session and middleware running the
reference's two ``SELECT`` statements (``/bench/bare/sql/q2c_quote_200_lines``). Each as a multiple
of the raw computation.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bench import viewers
from bench.core import Check, Context, Measured, Skip, VerificationError, Workload
from bench.workloads import crm_support

LINES = 200
MARK = "bench: 200 lines"
ONE_LINE_MARK = "bench: 1 line"
NAME = "q2c_quote_200_lines"
REQUESTS = 10
CENT = Decimal("0.01")
HUNDRED = Decimal("100")
RATES = ("13", "9", "6", "0")

QUOTE_SQL = "SELECT id, number, version, status, total FROM quotes_quote WHERE id = %s"
LINES_SQL = (
    "SELECT l.quantity, l.unit_price, l.discount_kind, l.discount_value, l.tax_rate, p.code, p.name "
    "FROM quotes_quoteline l JOIN catalog_product p ON p.id = l.product_id "
    "WHERE l.quote_id = %s ORDER BY l.position, l.id"
)


def _products(count: int) -> list[Any]:
    from xietong.catalog.models import Product

    found = list(Product.objects.filter(status="active", code__startswith="BENCH-Q-").order_by("code")[:count])
    if len(found) < count:
        Product.objects.bulk_create(
            [
                Product(
                    code=f"BENCH-Q-{n:04d}",
                    name=f"基准产品{n}",
                    unit="台",
                    list_price=Decimal(1000 + n * 37) / Decimal(3),
                    product_line="基准",
                )
                for n in range(len(found), count)
            ]
        )
        found = list(Product.objects.filter(code__startswith="BENCH-Q-").order_by("code")[:count])
    for p in found:
        p.list_price = p.list_price.quantize(CENT)
    return found


def _ensure_quote(head: Any) -> Any:
    from xietong.pipeline.models import Opportunity
    from xietong.quotes import services
    from xietong.quotes.models import Quote

    found = Quote.objects.filter(title=MARK, owner=head).order_by("-pk").first()
    if found is not None and found.lines.count() == LINES:
        return found
    opp = Opportunity.objects.visible_to(head).filter(business_unit_id=head.business_unit_id).order_by("pk").first()
    if opp is None:
        raise Skip("no opportunity of the BU head's business unit in this database")
    lines = [_line(n, product) for n, product in enumerate(_products(LINES))]
    return services.quote_create(actor=head, opportunity=opp, title=MARK, lines=lines, price_book=None)


def _line(n: int, product: Any) -> dict[str, Any]:
    """The n-th line's inputs (percent and amount discounts in turn, the four VAT rates)."""
    percent = n % 2 == 0
    return {
        "product": product.pk,
        "quantity": Decimal(n % 7 + 1) + Decimal("0.125") * (n % 3),
        "unit_price": (product.list_price * Decimal("0.97")).quantize(CENT),
        "discount_kind": "percent" if percent else "amount",
        "discount_value": Decimal(n % 15) if percent else Decimal(n % 40),
        "tax_rate": RATES[n % 4],
    }


def _ensure_one_line_quote(head: Any, quote: Any) -> Any:
    """The same opportunity's quote of one line (the page without the 200 rows)."""
    from xietong.quotes import services
    from xietong.quotes.models import Quote

    found = Quote.objects.filter(title=ONE_LINE_MARK, owner=head).order_by("-pk").first()
    if found is not None:
        return found
    first = _line(0, _products(1)[0])
    return services.quote_create(
        actor=head, opportunity=quote.opportunity, title=ONE_LINE_MARK, lines=[first], price_book=None
    )


def _get_page(client: Any, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise VerificationError(f"GET {url} answered {response.status_code}")


def _setup(ctx: Context) -> dict[str, Any]:
    crm_support.require("xietong.quotes.services", "quote_recalculate")
    head = viewers.bu_head(ctx).user
    quote = _ensure_quote(head)
    one_line = _ensure_one_line_quote(head, quote)
    client = crm_support.logged_in_client(head, ctx)
    crm_support.BARE_SQL[NAME] = [QUOTE_SQL % int(quote.pk), LINES_SQL % int(quote.pk)]
    state = {
        "head": head,
        "quote": quote.pk,
        "client": client,
        "one_line_url": f"/quotes/{one_line.pk}/",
        "bare_url": f"/bench/bare/sql/{NAME}",
    }
    for url in (f"/quotes/{quote.pk}/", state["one_line_url"], state["bare_url"]):
        _get_page(client, url)
    return state


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _raw(ctx: Context) -> Decimal:
    """One SELECT per table, the rule in plain Decimal arithmetic."""
    pk = ctx.state["quote"]
    ctx.sql(QUOTE_SQL, [pk])
    total = Decimal("0.00")
    for quantity, price, kind, value, rate, _code, _name in ctx.sql(LINES_SQL, [pk]):
        quantity, price, value, rate = (
            Decimal(str(quantity)),
            Decimal(str(price)),
            Decimal(str(value)),
            Decimal(str(rate)),
        )
        gross = _cents(quantity * price)
        discount = _cents(gross * value / HUNDRED) if kind == "percent" else _cents(value)
        net = gross - discount
        total += net + _cents(net * rate / HUNDRED)
    return total


def _ours_once(ctx: Context) -> Decimal:
    from xietong.quotes import services

    s = ctx.state
    quote = services.quote_recalculate(actor=s["head"], quote=s["quote"])
    _get_page(s["client"], f"/quotes/{s['quote']}/")
    return quote.total


def _p50(ctx: Context, once: Any) -> Measured:
    times, answer = [], None
    for _ in range(REQUESTS):
        seconds, answer = crm_support.timed(lambda: once(ctx))
        times.append(seconds)
    return Measured(answer, crm_support.percentile(times, 50), {"p50": crm_support.percentile(times, 50)})


def ours(ctx: Context) -> Measured:
    return _p50(ctx, _ours_once)


def reference(ctx: Context) -> Measured:
    return _p50(ctx, _raw)


def _verify(answers: dict[str, Any]) -> None:
    if answers["ours"] != answers["reference"]:
        raise VerificationError(f"q2c_quote_200_lines: ours {answers['ours']} vs the reference {answers['reference']}")


def _checks(ctx: Context, infos: dict[str, list[dict[str, Any]]]) -> list[Check]:
    """For information, each as a multiple of the raw computation: the recalculation alone (no page),
    the page of a one-line quote (the record's shell) and a bare view running the two SELECTs (the
    floor of any request through the same client, session and middleware)."""
    from xietong.quotes import services

    s = ctx.state
    client = s["client"]
    raw = _p50(ctx, _raw).seconds
    parts = {
        "the recalculation alone": lambda c: services.quote_recalculate(actor=s["head"], quote=s["quote"]).total,
        "the page of a one-line quote": lambda c: _get_page(client, s["one_line_url"]),
        "a bare view running the two SELECTs": lambda c: _get_page(client, s["bare_url"]),
    }
    checks = [Check("lines", f"{LINES}", "200", True)]
    for label, once in parts.items():
        seconds = _p50(ctx, once).seconds
        checks.append(
            Check(
                f"{label} ÷ the raw computation",
                f"{seconds / raw:.2f}× ({seconds * 1000:.1f} ms)",
                "for information",
                True,
            )
        )
    return checks


WORKLOAD = Workload(
    name=NAME,
    description="quote_recalculate + the quote page (200 lines) vs the raw Decimal computation + one SELECT per table",
    goal_ratio=1.5,
    setup=_setup,
    contestants={"ours": ours, "reference": reference},
    verify=_verify,
    checks=_checks,
)
