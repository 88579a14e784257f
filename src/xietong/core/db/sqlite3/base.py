"""Django's SQLite backend, with exact decimal sums.

SQLite has no decimal type: it adds the amounts of a ``SUM`` as binary floats, and Django turns the
float into a ``Decimal`` of 15 significant digits without rounding it to the field's places unless
the value is a plain column. So ``SUM(amount)`` of 0.01 and 0.08 came back as
``Decimal("0.0900000000000001")``, not ``Decimal("0.09")`` as on PostgreSQL — a sum of money no
longer equal to the money it adds up. Here every decimal expression that is not a column (sums,
differences, ``Coalesce`` …) is rounded to the places of its output field, which is what PostgreSQL
answers for sums and differences of decimal columns. (Nothing in XieTong averages decimals; an
average would be rounded to its field's places too.)

``settings.base`` uses this backend whenever the database URL is ``sqlite://``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.backends.sqlite3 import base, operations
from django.db.models.expressions import Col


class DatabaseOperations(operations.DatabaseOperations):
    def get_decimalfield_converter(self, expression: Any) -> Callable[..., Any]:
        converter = super().get_decimalfield_converter(expression)
        places = getattr(expression.output_field, "decimal_places", None)
        if isinstance(expression, Col) or places is None:
            return converter
        quantum = Decimal(1).scaleb(-places)

        def exact(value: Any, expression: Any, connection: Any) -> Any:
            value = converter(value, expression, connection)
            return None if value is None else value.quantize(quantum)

        return exact


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
