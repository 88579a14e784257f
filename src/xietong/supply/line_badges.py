"""Available-to-promise on the product lines of quotes and orders (registered with
``core.components.register_line_annotator``; the quote and order pages know nothing of S&OP).

A quote line is covered when its quantity ≤ ATP on the day. An open order is already counted in ATP
(its unshipped quantity is spoken for), so its line shows what was available to it — ATP with its own
unshipped quantity given back — against that quantity: covered exactly when ATP would not go below
zero with it. An order line with nothing left to ship (shipped or closed short) has no badge: there is
nothing left to promise."""

from __future__ import annotations

from datetime import date
from typing import Any

from .atp import atp_details
from .models import SupplyItem

TEMPLATE = "supply/line_atp_badge.html"


def annotate(user: Any, lines: list[Any], on: date) -> list[Any]:
    """Set ``line.atp`` (None: no supply data for the product, or an order line with nothing left to
    ship) and ``line.atp_quantity``, and answer the lines with an ATP to show; two queries for the
    items plus ATP's one per source, whatever the number of lines."""
    if not user.access.can("supply", "view"):
        return []
    planned = set(
        SupplyItem.objects.visible_to(user)
        .filter(product_id__in={line.product_id for line in lines})
        .values_list("product_id", flat=True)
    )
    details = atp_details(planned, on)
    for line in lines:
        detail = details.get(line.product_id)
        is_order_line = line._meta.label_lower == "orders.orderline"
        if detail is None or (is_order_line and line.open_quantity <= 0):
            line.atp, line.atp_quantity = None, None  # no supply data, or nothing left to ship
        elif is_order_line:
            unshipped = line.open_quantity
            net = detail["available"] - detail["shortage"]
            line.atp, line.atp_quantity = max(net + unshipped, 0), unshipped
        else:
            line.atp, line.atp_quantity = detail["available"], line.quantity
    return [line for line in lines if line.atp is not None]
