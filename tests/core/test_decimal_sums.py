"""Sums of money are exact on every database: SQLite adds decimals as floats, and our SQLite backend
(``xietong.core.db.sqlite3``) rounds every computed decimal to its field's places, as PostgreSQL's
numeric arithmetic gives them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import DecimalField, ExpressionWrapper, F, Sum, Value
from django.db.models.functions import Coalesce
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sampleapp.models import Deal

pytestmark = pytest.mark.django_db

CENTS = st.integers(min_value=0, max_value=10**9).map(lambda n: Decimal(n).scaleb(-2))


def test_the_sum_of_cents_that_floats_get_wrong_is_exact(org, admin):
    for amount in ("0.01", "0.08", "1.34", "0.10", "0.20"):
        Deal.objects.create(name=amount, owner=admin, business_unit=org["bu1"], amount=Decimal(amount))
    total = Deal.objects.aggregate(s=Sum("amount"))["s"]
    assert (total, str(total)) == (Decimal("1.73"), "1.73")
    few = Deal.objects.filter(name__in=("0.01", "0.08")).aggregate(s=Coalesce(Sum("amount"), Value(Decimal("0"))))
    assert str(few["s"]) == "0.09"
    difference = ExpressionWrapper(F("amount") - Value(Decimal("0.07")), output_field=DecimalField(decimal_places=2))
    row = Deal.objects.filter(name="0.10").annotate(d=difference).values_list("d", flat=True).get()
    assert str(row) == "0.03"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(CENTS, min_size=1, max_size=12))
def test_any_sum_of_amounts_equals_the_decimal_sum(org, admin, amounts):
    Deal.objects.all().delete()
    Deal.objects.bulk_create(
        [Deal(name=str(i), owner=admin, business_unit=org["bu1"], amount=a) for i, a in enumerate(amounts)]
    )
    assert Deal.objects.aggregate(s=Sum("amount"))["s"] == sum(amounts)
