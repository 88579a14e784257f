"""A body or query the schema refuses is answered in the caller's language, in the words Django's own
forms use (it was pydantic's English whatever the language: "Field required", "Input should be a
valid decimal", "Input should be a finite number" …)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

BAD_PRODUCT = {
    "code": "",
    "name": "名" * 121,
    "list_price": "NaN",
    "tax_rate": "abc",
    "status": "bogus",
    "category_id": "abc",
    "specification": 5,
}


def _errors(response):
    assert response.status_code == 422
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_schema_errors_are_in_chinese_by_default(admin_client):
    body = _errors(admin_client.post("/api/v1/products", BAD_PRODUCT, content_type="application/json"))
    assert body == {
        "code": "至少 1 个字符。",
        "name": "最多 120 个字符。",
        "list_price": "请输入数字。",
        "tax_rate": "请输入数字。",
        "status": "请选择其中之一：'active', 'inactive', 'discontinued'。",
        "category_id": "请输入整数。",
        "specification": "请输入文本。",
    }


def test_schema_errors_follow_an_english_speaking_caller(admin_client, admin_user):
    admin_user.language = "en"
    admin_user.save(update_fields=["language"])
    response = admin_client.post("/api/v1/products", BAD_PRODUCT, content_type="application/json")
    assert _errors(response) == {
        "code": "At least 1 character.",
        "name": "At most 120 characters.",
        "list_price": "Enter a number.",
        "tax_rate": "Enter a number.",
        "status": "Choose one of: 'active', 'inactive', 'discontinued'.",
        "category_id": "Enter a whole number.",
        "specification": "Enter text.",
    }


def test_missing_fields_bounds_and_bad_dates_in_chinese(admin_client):
    body = _errors(admin_client.post("/api/v1/product-categories", {"position": -1}, content_type="application/json"))
    assert body == {"name": "此字段为必填项。", "position": "确保该值大于或等于 0。"}
    body = _errors(admin_client.get("/api/v1/receivables/aging", {"as_of": "2026-02-30"}))
    assert body == {"as_of": "请输入有效的日期。"}
