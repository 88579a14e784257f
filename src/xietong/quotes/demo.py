"""The demo price books and quotes (org/demo.py runs this step after the pipeline's opportunities and
the approval flows of approvals/demo.py exist).

Price books, made by each BU head through the services: a 直销价格表 (direct sales, CNY) per BU with
every product the BU sells (its own and the group's services) at list price, volume tiers for the
products sold by the dozen or by the set, and a few customer-specific prices; a 渠道价格表 (dealers)
for 新能源事业部, which sells through a channel; and one 出口价格表 in USD with its exchange rate.

Quotes, by each opportunity's owner, for the open opportunities at 方案报价 or later, in the order
of the opportunities (BU by BU), each given the next fate of ``FATES`` so that every status shows:
drafts; in approval (over the 10 % discount threshold: waiting for the rep's manager, or — over
20 % — approved by the manager and waiting for the BU head); approved; sent; accepted (the lines
become the opportunity's product lines; the contracts step makes contracts of them); rejected by
the customer; and v1 sent then superseded by a v2 with a deeper discount. Decisions go through the
approval engine as the approvers would take them. Last, the quotes' dates are spread over the past
weeks, and an accepted quote's opportunity had its last activity on the day of the acceptance (plain
updates of the timestamps the services just wrote).

Deterministic (the fates follow the opportunities' order; one seeded stream) and idempotent: price
books are made only when the BU has none of these names, quotes only when the BU has no quote yet.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from xietong.approvals import demo as approvals_demo
from xietong.org.demo import register_demo_step
from xietong.org.models import BusinessUnit, User

from . import services
from .choices import Channel, QuoteStatus
from .models import PriceBook, Quote

SEED = 20261101
BUS = approvals_demo.BUS
CENT = Decimal("0.01")
DIRECT_BOOK = "直销价格表"
DEALER_BOOK = "渠道价格表"
USD_BOOK = "出口价格表（美元）"
USD_RATE = Decimal("7.120000")
DEALER_SHARE = Decimal("0.85")
TERMS = (
    "1. 报价含 13% 增值税（技术服务 6%），含运输、安装调试与操作培训。\n"
    "2. 付款方式：合同签订后预付 30%，到货验收后付 60%，质保金 10% 于质保期满后支付。\n"
    "3. 交货期：合同生效并收到预付款后 60 个工作日内。\n"
    "4. 质保期：验收合格之日起 12 个月。"
)
# fate → (largest line discount in %, what happens after the draft)
FATES: tuple[tuple[str, Decimal], ...] = (
    ("accepted", Decimal("8")),
    ("manager", Decimal("15")),
    ("v2", Decimal("12")),
    ("head", Decimal("25")),
    ("rejected", Decimal("5")),
    ("accepted", Decimal("12")),
    ("draft", Decimal("6")),
    ("approved", Decimal("18")),
    ("sent", Decimal("10")),
)
REJECTIONS = (
    "客户选择了报价更低的国产品牌。",
    "客户预算调整，项目暂缓。",
    "交期无法满足客户投产计划。",
)
ACCEPT_NOTES = ("客户已盖章回传报价单。", "客户采购部邮件确认接受报价。")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def _tiers(list_price: Decimal) -> list[tuple[Decimal, Decimal]]:
    """(from quantity, unit price) beyond the list price at quantity 1: volume tiers by price band."""
    if list_price >= 1_000_000:
        return []
    if list_price >= 100_000:
        return [(Decimal("3"), _cents(list_price * Decimal("0.97")))]
    if list_price >= 10_000:
        return [
            (Decimal("10"), _cents(list_price * Decimal("0.96"))),
            (Decimal("30"), _cents(list_price * Decimal("0.93"))),
        ]
    return [
        (Decimal("100"), _cents(list_price * Decimal("0.95"))),
        (Decimal("500"), _cents(list_price * Decimal("0.90"))),
    ]


def _book(head: User, bu: BusinessUnit, name: str, created: Counter[str], **fields: Any) -> PriceBook | None:
    if PriceBook.objects.filter(business_unit=bu, name=name).exists():
        return None
    today = timezone.localdate()
    book = services.price_book_create(
        actor=head,
        name=name,
        valid_from=today.replace(month=1, day=1) - timedelta(days=365),
        valid_until=today.replace(month=12, day=31) + timedelta(days=365),
        business_unit=bu,
        **fields,
    )
    created["price books"] += 1
    return book


def _price_books(bu: BusinessUnit, head: User, opps: list[Any], created: Counter[str]) -> None:
    from xietong.catalog.models import Product

    products = list(
        Product.objects.visible_to(head)
        .filter(Q(business_unit=bu) | Q(business_unit__isnull=True), status="active")
        .order_by("business_unit_id", "code")
    )
    direct = _book(
        head,
        bu,
        f"{DIRECT_BOOK}（{bu.name}）",
        created,
        channel=Channel.DIRECT,
        currency="CNY",
        description="直销客户标准价格（不含税），批量采购按阶梯价执行；重点客户执行协议价。",
    )
    if direct is not None:
        for product in products:
            services.entry_create(actor=head, price_book=direct, product=product, unit_price=product.list_price)
            created["price book entries"] += 1
            for quantity, price in _tiers(product.list_price):
                services.entry_create(
                    actor=head, price_book=direct, product=product, unit_price=price, min_quantity=quantity
                )
                created["price book entries"] += 1
        # agreed prices for the customers of the first opportunities (their first product)
        seen: set[tuple[int, int]] = set()
        for opp in opps[:3]:
            line = opp.lines.order_by("position", "pk").first()
            if line is None or (opp.customer_id, line.product_id) in seen:
                continue
            seen.add((opp.customer_id, line.product_id))
            services.entry_create(
                actor=head,
                price_book=direct,
                product=line.product_id,
                customer=opp.customer_id,
                unit_price=_cents(line.product.list_price * Decimal("0.95")),
            )
            created["price book entries"] += 1
    if bu.code == "energy":
        dealer = _book(
            head,
            bu,
            f"{DEALER_BOOK}（{bu.name}）",
            created,
            channel=Channel.DEALER,
            currency="CNY",
            description="授权经销商进货价（不含税），按标准价 85 折。",
        )
        if dealer is not None:
            for product in products:
                services.entry_create(
                    actor=head, price_book=dealer, product=product, unit_price=_cents(product.list_price * DEALER_SHARE)
                )
                created["price book entries"] += 1
    if bu.code == "ind":
        usd = _book(
            head,
            bu,
            USD_BOOK,
            created,
            channel=Channel.DIRECT,
            currency="USD",
            exchange_rate=USD_RATE,
            description="出口项目美元报价（FOB 上海），汇率按 1 美元 = 7.12 元人民币折算。",
        )
        if usd is not None:
            for product in products:
                services.entry_create(
                    actor=head, price_book=usd, product=product, unit_price=_cents(product.list_price / USD_RATE)
                )
                created["price book entries"] += 1


def _lines(opp: Any, top: Decimal) -> list[dict[str, Any]]:
    """The opportunity's product lines with the fate's discount on the first line, less on the others."""
    out = []
    for n, line in enumerate(opp.lines.order_by("position", "pk")):
        discount = top if n == 0 else min(top, Decimal("5"))
        out.append(
            {
                "product": line.product_id,
                "quantity": line.quantity,
                "discount_kind": "percent",
                "discount_value": discount,
                "delivery_month": line.delivery_month,
            }
        )
    return out


def _submit(rep: User, quote: Quote, created: Counter[str], *, approve_steps: int | None = None) -> Quote:
    quote = services.quote_submit(actor=rep, quote=quote)
    if quote.status == QuoteStatus.IN_APPROVAL and approve_steps != 0:
        created["approval decisions"] += approvals_demo.approve(quote, steps=approve_steps)
        quote.refresh_from_db()
    return quote


def _quote(opp: Any, fate: str, discount: Decimal, rng: random.Random, created: Counter[str]) -> list[Quote]:
    from xietong.pipeline.models import Opportunity

    rep = opp.owner
    today = timezone.localdate()
    quote = services.quote_create(
        actor=rep,
        opportunity=opp,
        title=f"{opp.name} 报价单",
        lines=_lines(opp, discount),
        valid_until=today + timedelta(days=30),
        terms=TERMS,
    )
    created["quotes"] += 1
    made = [quote]
    if fate == "draft":
        return made
    if fate == "manager":
        _submit(rep, quote, created, approve_steps=0)
        return made
    if fate == "head":
        _submit(rep, quote, created, approve_steps=1)  # the manager said yes; the BU head decides
        return made
    quote = _submit(rep, quote, created)
    if fate == "approved":
        return made
    quote = services.quote_send(actor=rep, quote=quote)
    if fate == "sent":
        return made
    if fate == "accepted":
        before = opp.last_activity_at
        services.quote_accept(
            actor=rep,
            quote=quote,
            decided_on=today - timedelta(days=rng.randint(20, 40)),
            note=rng.choice(ACCEPT_NOTES),
        )
        # the customer's acceptance is the opportunity's activity of that day, not of today
        quote.refresh_from_db()
        decided = quote.decided_at or timezone.now()
        Opportunity.objects.filter(pk=opp.pk).update(last_activity_at=max(before, decided) if before else decided)
    elif fate == "rejected":
        services.quote_reject(
            actor=rep, quote=quote, note=rng.choice(REJECTIONS), decided_on=today - timedelta(days=rng.randint(1, 20))
        )
    elif fate == "v2":  # the customer asked for more: v2 with a deeper discount supersedes v1
        second = services.quote_new_version(actor=rep, quote=quote)
        created["quotes"] += 1
        services.quote_update(actor=rep, quote=second, lines=_lines(opp, discount + Decimal("6")))
        second = _submit(rep, second, created)
        services.quote_send(actor=rep, quote=second)
        made.append(second)
    return made


def _backdate(quotes: list[Quote], rng: random.Random) -> None:
    """Spread the quotes the services wrote "now" over the past weeks: created, then sent a few days
    later; an accepted quote was created well before the contract that follows it."""
    now = timezone.now()
    for quote in quotes:
        quote.refresh_from_db()
        accepted = quote.status == QuoteStatus.ACCEPTED
        back = timedelta(days=rng.randint(45, 70) if accepted else rng.randint(2, 30), hours=rng.randint(0, 8))
        created_at: datetime = now - back
        changes: dict[str, Any] = {"created_at": created_at, "updated_at": created_at}
        if quote.sent_at is not None:
            changes["sent_at"] = created_at + timedelta(days=rng.randint(1, 3))
        if quote.decided_at is not None:
            changes["updated_at"] = quote.decided_at
            changes["created_at"] = min(created_at, quote.decided_at - timedelta(days=5))
            if quote.sent_at is not None:
                changes["sent_at"] = min(changes["sent_at"], quote.decided_at - timedelta(days=1))
        Quote.objects.filter(pk=quote.pk).update(**changes)


def load(created: Counter[str]) -> None:
    from xietong.pipeline.choices import OpportunityStatus
    from xietong.pipeline.models import Opportunity

    units = {bu.code: bu for bu in BusinessUnit.objects.filter(code__in=BUS)}
    if not units:
        return
    by_bu = approvals_demo.people(set(units))
    rng = random.Random(SEED)  # noqa: S311  (reproducible data, not secrets)
    turn = 0
    for code in BUS:
        bu = units.get(code)
        head = approvals_demo.first(by_bu.get(code, {}), "bu_head")
        if bu is None or head is None:
            continue
        opps = list(
            Opportunity.objects.filter(
                business_unit=bu, status=OpportunityStatus.OPEN, stage__position__gte=3, lines__isnull=False
            )
            .select_related("owner", "customer")
            .distinct()
            .order_by("pk")
        )
        _price_books(bu, head, opps, created)
        if Quote.objects.filter(business_unit=bu).exists():
            continue
        made: list[Quote] = []
        for opp in opps:
            fate, discount = FATES[turn % len(FATES)]
            turn += 1
            made.extend(_quote(opp, fate, discount, rng, created))
        _backdate(made, rng)


register_demo_step(load)
