"""Three years of fulfilled orders for the demo group (``supply/demo.py`` decides the quantities).

A group that has run XieTong for three years has, in each business unit, a few key customers who
buy under an annual framework contract (年度框架采购合同) and call off what they need every month;
operations shipped every call-off in full. ``write`` turns quantities per product × BU × month into
exactly that: per BU, its first few customers with an owner (each product bought by one of them,
seeded); per customer and calendar year one contract whose lines are the year's quantities (signed
before its first month, expired once its year is over, active in the current year); per customer and
month one shipped order of that month's quantities, with its shipment. The buyers' relationships
become "customer" (has bought).

It writes history in bulk rather than through the services (no approvals, audit entries or
notifications: they belong to the past), but every figure follows the services' rules: contract
lines by ``contracts.money.line_figures`` and totals per line then summed; an order line's amount is
its quantity's ``line_share`` of the contract line, the last call-off of a line taking exactly the
rest; order numbers ``DD<yyyymm>-<nnnn>`` in the month they were placed; the orders' ``created_at``
is in that month, which is what the demand history (``supply.signals.demand_history``) reads.

Returns the keys it could not write (a BU without customers, owners or an operations team), for the
caller to keep as imported history instead.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from .choices import OrderStatus
from .demo import operator_of
from .models import Order, OrderLine, Shipment, ShipmentLine
from .services import default_operations_team, line_share

Key = tuple[int, int, date]  # product, business unit, month (the 1st)
CUSTOMERS_PER_BU = 4
NUMBER_PREFIX = "KJ-"  # 框架: the framework contracts' numbers, KJ-<BU>-<year>-<nnn>
FRAMEWORK_PRICE = Decimal("0.95")  # the framework contract's price: 5 % off the list price
CARRIERS = ("顺丰速运", "德邦物流", "京东物流", "中通快运")
WAREHOUSES = ("上海青浦仓", "苏州工业园仓", "天津武清仓")
PAYMENT_TERMS = "按批结算：每批货物发货后 30 天内付清该批货款，凭增值税专用发票付款。"
TERMS = "本合同为年度框架采购合同，具体数量以甲方每月下达的订单为准；单价在合同期内保持不变。"


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _buyers(business_unit_id: int) -> list[Any]:
    """The BU's first customers with an active owner (``Relationship``s, oldest first)."""
    from xietong.customers.models import Relationship

    return list(
        Relationship.objects.filter(business_unit_id=business_unit_id, owner__is_active=True)
        .select_related("customer", "owner")
        .order_by("pk")[:CUSTOMERS_PER_BU]
    )


@transaction.atomic
def write(quantities: Mapping[Key, Decimal], *, today: date, rng: random.Random, created: Counter[str]) -> set[Key]:
    """Write ``quantities`` (> 0, months before ``today``'s) as framework contracts, their monthly
    call-off orders and shipments; the keys not written."""
    from xietong.catalog.models import Product
    from xietong.contracts import money
    from xietong.contracts.choices import ContractStatus
    from xietong.contracts.models import Contract, ContractLine
    from xietong.contracts.services import our_company_name
    from xietong.customers.choices import RelationshipStatus
    from xietong.customers.models import Customer, Relationship

    left: set[Key] = set()
    by_bu: dict[int, dict[Key, Decimal]] = defaultdict(dict)
    for key, quantity in quantities.items():
        if quantity > 0:
            by_bu[key[1]][key] = quantity
    products = Product.objects.in_bulk({p for p, _b, _m in quantities})
    party_b = our_company_name()
    order_seq: Counter[date] = Counter(
        {m: Order.objects.filter(number__startswith=f"DD{m:%Y%m}-").count() for m in {k[2] for k in quantities}}
    )
    contract_seq: Counter[tuple[int, int]] = Counter()

    for bu_id, wanted in sorted(by_bu.items()):
        buyers = _buyers(bu_id)
        team = default_operations_team(bu_id)
        operator = operator_of(team.pk if team is not None else None)
        if not buyers or operator is None:
            left.update(wanted)
            continue
        buyer_of = {pk: buyers[rng.randrange(len(buyers))] for pk in sorted({p for p, _b, _m in wanted})}
        # (relationship pk, year) → month → product → quantity
        plan: dict[tuple[int, int], dict[date, dict[int, Decimal]]] = defaultdict(lambda: defaultdict(dict))
        for (product_id, _bu, month), quantity in sorted(wanted.items(), key=lambda item: (item[0][2], item[0][0])):
            plan[(buyer_of[product_id].pk, month.year)][month][product_id] = quantity
        relationships = {r.pk: r for r in buyers}
        known_since: dict[int, datetime] = {}
        # three years of orders make them customers (成交客户), no longer prospects
        Relationship.objects.filter(pk__in={pk for pk, _year in plan}).update(status=RelationshipStatus.ACTIVE)

        for (relationship_pk, year), months in sorted(plan.items()):
            relationship = relationships[relationship_pk]
            customer, owner = relationship.customer, relationship.owner
            first_month = min(months)
            start, end = first_month, date(year, 12, 31)
            signed = start - timedelta(days=rng.randint(8, 20))
            if relationship_pk not in known_since:  # the first contract: they have been a customer since
                known_since[relationship_pk] = _at(signed - timedelta(days=rng.randint(30, 90)))
            contract_seq[(bu_id, year)] += 1
            bu_code = relationship.business_unit.code.upper()
            yearly: dict[int, Decimal] = defaultdict(Decimal)
            for lines in months.values():
                for pk, quantity in lines.items():
                    yearly[pk] += quantity
            contract_lines = []
            for position, (product_id, quantity) in enumerate(sorted(yearly.items()), start=1):
                product = products[product_id]
                price = (product.list_price * FRAMEWORK_PRICE).quantize(money.CENT)
                figures = money.line_figures(
                    quantity=quantity, unit_price=price, discount_amount=Decimal("0"), tax_rate=product.tax_rate
                )
                contract_lines.append(
                    ContractLine(
                        position=position,
                        product=product,
                        unit=product.unit[:10],
                        quantity=quantity,
                        unit_price=price,
                        tax_rate=product.tax_rate,
                        net_amount=figures.net,
                        tax_amount=figures.tax,
                        amount=figures.amount,
                    )
                )
            total = money.totals(
                money.Figures(net=line.net_amount, tax=line.tax_amount, amount=line.amount) for line in contract_lines
            )
            contract = Contract.objects.create(
                number=f"{NUMBER_PREFIX}{bu_code}-{year}-{contract_seq[(bu_id, year)]:03d}",
                title=f"{customer.name} {year} 年度框架采购合同",
                customer=customer,
                business_unit_id=bu_id,
                owner=owner,
                party_a=customer.name,
                party_b=party_b,
                our_signatory=owner.display_name,
                amount=total.amount,
                net_amount=total.net,
                tax_amount=total.tax,
                payment_terms=PAYMENT_TERMS,
                terms=TERMS,
                start_date=start,
                end_date=end,
                signed_date=signed,
                status=ContractStatus.EXPIRED if end < today else ContractStatus.ACTIVE,
                created_by=owner,
            )
            Contract.objects.filter(pk=contract.pk).update(created_at=_at(signed - timedelta(days=5)))
            for contract_line in contract_lines:
                contract_line.contract = contract
            ContractLine.objects.bulk_create(contract_lines)
            line_of = {line.product_id: line for line in contract_lines}
            rest = {line.product_id: line.amount for line in contract_lines}
            unordered = dict(yearly)
            created["framework contracts"] += 1

            for month, lines in sorted(months.items()):
                placed = month + timedelta(days=rng.randint(2, 11))
                shipped_on = placed + timedelta(days=rng.randint(5, 12))
                order_seq[month] += 1
                order = Order(
                    number=f"DD{month:%Y%m}-{order_seq[month]:04d}",
                    contract=contract,
                    customer=customer,
                    business_unit_id=bu_id,
                    owner=owner,
                    operations_team=team,
                    status=OrderStatus.SHIPPED,
                    promised_date=placed + timedelta(days=15),
                    scheduled_date=shipped_on,
                    ship_to=f"{customer.name} 收货仓库",
                    receiver="仓库管理员",
                    receiver_phone=f"139{rng.randint(10_000_000, 99_999_999)}",
                    confirmed_by=operator,
                    confirmed_at=_at(placed + timedelta(days=1), 9),
                    shipped_at=_at(shipped_on, 16),
                    created_by=owner,
                )
                order_lines = []
                for product_id, quantity in sorted(lines.items()):
                    source = line_of[product_id]
                    unordered[product_id] -= quantity
                    if unordered[product_id] == 0:
                        amount = rest[product_id]  # the last call-off of the line takes exactly the rest
                    else:
                        amount = line_share(
                            contract_amount=source.amount, contract_quantity=source.quantity, quantity=quantity
                        )
                    rest[product_id] -= amount
                    order_lines.append(
                        OrderLine(
                            contract_line=source,
                            position=source.position,
                            product_id=product_id,
                            quantity=quantity,
                            shipped_quantity=quantity,
                            unit_price=source.unit_price,
                            amount=amount,
                        )
                    )
                order.amount = sum((line.amount for line in order_lines), Decimal("0.00"))
                order.save()
                Order.objects.filter(pk=order.pk).update(created_at=_at(placed))
                for order_line in order_lines:
                    order_line.order = order
                OrderLine.objects.bulk_create(order_lines)
                shipment = Shipment.objects.create(
                    order=order,
                    number=f"{order.number}-S01",
                    shipped_on=shipped_on,
                    carrier=rng.choice(CARRIERS),
                    tracking_number=f"SF{rng.randint(10**11, 10**12 - 1)}",
                    warehouse=rng.choice(WAREHOUSES),
                    created_by=operator,
                )
                Shipment.objects.filter(pk=shipment.pk).update(created_at=_at(shipped_on, 16))
                ShipmentLine.objects.bulk_create(
                    [ShipmentLine(shipment=shipment, order_line=ol, quantity=ol.quantity) for ol in order_lines]
                )
                created["order history: orders"] += 1
                created["order history: lines"] += len(order_lines)
        # the customer and the relationship date from before the first contract, not from the demo's load
        for relationship_pk, since in known_since.items():
            relationship = relationships[relationship_pk]
            Relationship.objects.filter(pk=relationship_pk, created_at__gt=since).update(created_at=since)
            Customer.objects.filter(pk=relationship.customer_id, created_at__gt=since).update(created_at=since)
    return left
