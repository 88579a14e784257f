"""Exploratory findings on the contracts API: a line's refused product is named as the body names it,
``lines.N.product_id`` (as the quotes API does), on POST, PATCH and /amend alike — it was
``lines[n].product``, a field the body does not have."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import login
from tests.support.crm import owned
from tests.support.money import contract
from tests.support.pipeline import ProductFactory
from xietong.contracts.choices import ContractStatus as S
from xietong.contracts.models import Contract

pytestmark = pytest.mark.django_db


def send(client: Any, method: str, url: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def _lines() -> list[dict[str, Any]]:
    good = {"product_id": ProductFactory().pk, "quantity": "1", "unit_price": "10.00"}
    return [good, {**good, "product_id": 999999}]


def test_post_names_the_lines_product_id(people):
    body = {"customer_id": owned(owner=people.rep).customer.pk, "title": "年度采购合同", "lines": _lines()}
    response = send(login(people.rep), "post", "/api/v1/contracts", body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["lines.1.product_id"]
    assert not Contract.objects.exists()


def test_patch_names_the_lines_product_id(people):
    c = contract(people.rep, status=S.DRAFT)
    response = send(login(people.rep), "patch", f"/api/v1/contracts/{c.pk}", {"lines": _lines()})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["lines.1.product_id"]
