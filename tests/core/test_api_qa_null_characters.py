"""The NUL character in an API input is bad input naming its field, on every database: PostgreSQL
cannot store it in text (it was a 500 there) and SQLite kept it silently. Django's form fields refuse
it already (``ProhibitNullCharactersValidator``); the API's parser now does too."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import login
from tests.pipeline.conftest import people, process  # noqa: F401
from tests.quotes.conftest import book, opp, products  # noqa: F401
from xietong.quotes.models import Quote

pytestmark = pytest.mark.django_db


def send(client: Any, method: str, url: str, body: Any) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_a_nul_in_a_body_is_a_422_naming_each_field_and_nothing_is_written(people, opp, book) -> None:  # noqa: F811
    product = book.entries.first().product_id
    body = {
        "opportunity_id": opp.pk,
        "terms": "款到\x00发货",
        "lines": [
            {"product_id": product, "quantity": "1"},
            {"product_id": product, "quantity": "1", "description": "\x00"},
        ],
    }
    response = send(login(people.rep), "post", "/api/v1/quotes", body)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "输入有误。",
        "errors": [
            {"field": "terms", "message": "不允许包含空字符（NUL）。"},
            {"field": "lines.1.description", "message": "不允许包含空字符（NUL）。"},
        ],
    }
    assert not Quote.objects.exists()


def test_a_nul_in_a_key_of_the_body_names_the_object_holding_it(people, opp) -> None:  # noqa: F811
    response = send(login(people.rep), "post", "/api/v1/quotes", {"opportunity_id": opp.pk, "x\x00": 1})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["__all__"]


def test_a_nul_in_a_query_parameter_is_a_422_naming_it(people) -> None:  # noqa: F811
    response = login(people.rep).get("/api/v1/customers", {"q": "华东\x00", "page_size": "10"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "q", "message": "不允许包含空字符（NUL）。"}]


def test_a_body_without_nul_still_goes_through(people, opp, book) -> None:  # noqa: F811
    body = {"opportunity_id": opp.pk, "lines": [{"product_id": book.entries.first().product_id, "quantity": "1"}]}
    response = send(login(people.rep), "post", "/api/v1/quotes", body)
    assert response.status_code == 201, response.content
    assert Quote.objects.count() == 1
