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
