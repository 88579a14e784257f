"""Lookups of our own, registered from ``CoreConfig.ready``.

``field__any_of=[1, 2, …]`` filters like ``__in``, but PostgreSQL receives the values as one array
parameter (``field = ANY(%s)``) instead of one placeholder each. PostgreSQL plans both the same way;
the difference is on our side: a list of a few hundred ids (the people of a manager's team) costs
Django and psycopg milliseconds per statement to expand, render and split again, several times per
board. Other databases get the plain ``IN``.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.lookups import In


class AnyOf(In):
    lookup_name = "any_of"

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(value, connection, prepared=True) for value in self.rhs if value is not None]
        # typed as the column: psycopg would pick the smallest integer type the values fit
        return f"{lhs} = ANY(%s::{field.db_type(connection)}[])", (*lhs_params, values)


def register() -> None:
    for field in (models.ForeignKey, models.IntegerField, models.BigIntegerField, models.AutoField):
        field.register_lookup(AnyOf)
