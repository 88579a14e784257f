"""A number too large for the database's integers in a filter is bad input, not a crash: the API
answers 422 naming the parameter, a page 400 (SQLite refuses such a number; PostgreSQL compares it
and finds nothing)."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

BIG = "99999999999999999999"


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/quotes?opportunity_id=", "opportunity_id"),
        ("/api/v1/contracts?customer_id=", "customer_id"),
        ("/api/v1/price-books?business_unit_id=", "business_unit_id"),
        ("/api/v1/opportunities?owner_id=", "owner_id"),
    ],
)
def test_the_api_names_the_parameter_out_of_range(admin_client, url, field):
    response = admin_client.get(url + BIG)
    if connection.vendor == "sqlite":
        assert (response.status_code, response.json()["errors"]) == (
            422,
            [{"field": field, "message": "数值超出范围。"}],
        )
    else:
        assert (response.status_code, response.json()["results"]) == (200, [])


@pytest.mark.parametrize("url", ["/quotes/?owner=", "/contracts/?customer=", "/orders/?customer="])
def test_a_page_answers_400_not_500(admin_client, url):
    response = admin_client.get(url + BIG)
    assert response.status_code == (400 if connection.vendor == "sqlite" else 200)
    if response.status_code == 400:
        assert "400" in response.content.decode()
