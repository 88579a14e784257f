"""Exploratory findings on the price-book and quote API."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import login

pytestmark = pytest.mark.django_db


def send(client: Any, method: str, url: str, body: Any) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_is_active_null_does_not_deactivate_a_price_book(people, book) -> None:
    """``{"is_active": null}`` was read as false: the book was switched off by a client that meant
    "no change" (every other field refuses null with a 422)."""
    response = send(login(people.head), "patch", f"/api/v1/price-books/{book.pk}", {"is_active": None})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["is_active"]
    book.refresh_from_db()
    assert book.is_active is True


def test_an_active_filter_other_than_yes_or_no_is_422(people, book) -> None:
    """``?active=maybe`` was accepted and answered every book, as if no filter had been given."""
    client = login(people.head)
    response = client.get("/api/v1/price-books?active=maybe")
    assert (response.status_code, response.json()["errors"]) == (422, [{"field": "active", "message": "yes or no"}])
    assert [b["id"] for b in client.get("/api/v1/price-books?active=yes").json()["results"]] == [book.pk]
    assert client.get("/api/v1/price-books?active=no").json()["results"] == []
