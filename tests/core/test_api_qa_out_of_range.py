"""A whole number in a JSON body too large for the database's integers is bad input naming its field
(``lines.1.product_id``), like one in a query parameter — it was a 422 with an empty ``errors``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import login
from tests.pipeline.conftest import people, process  # noqa: F401
from tests.quotes.conftest import book, opp, products  # noqa: F401
from xietong.quotes.models import Quote
from xietong.receivables.models import CustomerCredit

pytestmark = pytest.mark.django_db


def send(client: Any, method: str, url: str, body: Any) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_a_product_id_too_large_for_the_database_is_a_422_naming_the_line(people, opp, book) -> None:  # noqa: F811
    """It was a 422 with an empty ``errors``: nothing said which of the lines was wrong."""
    body = {
        "opportunity_id": opp.pk,
        "lines": [
            {"product_id": book.entries.first().product_id, "quantity": "1"},
            {"product_id": 10**20, "quantity": "1"},
        ],
    }
    response = send(login(people.rep), "post", "/api/v1/quotes", body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["lines.1.product_id"]
    assert not Quote.objects.exists()


def test_a_customer_id_too_large_for_the_database_is_a_422_naming_it(admin_client, org):
    body = {"customer_id": 10**20, "business_unit_id": org["bu1"].pk, "credit_limit": "1000.00"}
    response = send(admin_client, "put", "/api/v1/customer-credits", body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["customer_id"]
    assert not CustomerCredit.objects.exists()
