"""A request body that is not JSON is bad input: a 422 in the API's one error shape, in the caller's
language."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("{'amount': 1}", "application/json"), ('{"amount": ', "application/json"), ("amount=1", "text/plain")],
)
def test_a_body_that_is_not_json_is_a_422_in_the_usual_shape(admin_client, body, content_type):
    """It was a 400 with ninja's untranslated "Cannot parse request body", a status the API's error
    table does not have."""
    response = admin_client.post("/api/v1/payments", data=body, content_type=content_type)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "输入有误。",
        "errors": [{"field": "__all__", "message": "请求体不是有效的 JSON。"}],
    }


def test_a_write_without_a_body_names_each_required_field(admin_client):
    """It was one 422 on ``__all__`` ("Field required") for ``curl -X POST`` without a body."""
    response = admin_client.generic("POST", "/api/v1/business-units")
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == ["code", "name"]
