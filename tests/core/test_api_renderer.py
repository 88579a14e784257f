"""The API's JSON encoding (``core.api.JSONRenderer``): pydantic's compiled encoder, with ninja's encoder
for what pydantic does not know."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from django.test import RequestFactory
from django.utils.translation import gettext_lazy, override

from xietong.core.api import JSONRenderer


def _render(data: object) -> bytes:
    return JSONRenderer().render(RequestFactory().get("/api/v1/x"), data, response_status=200)


def test_times_dates_money_and_ids_are_iso_strings():
    body = _render(
        {
            "at": datetime(2026, 11, 30, 6, 55, 44, 123456, tzinfo=UTC),
            "local": datetime(2026, 11, 30, 14, 55, tzinfo=ZoneInfo("Asia/Shanghai")),
            "on": date(2026, 11, 30),
            "amount": Decimal("1234.50"),
            "quantity": Decimal("2.000"),
            "took": timedelta(days=1, seconds=5),
            "uuid": UUID("12345678-1234-5678-1234-567812345678"),
        }
    )
    assert json.loads(body) == {
        "at": "2026-11-30T06:55:44.123456Z",
        "local": "2026-11-30T14:55:00+08:00",
        "on": "2026-11-30",
        "amount": "1234.50",
        "quantity": "2.000",
        "took": "P1DT5S",
        "uuid": "12345678-1234-5678-1234-567812345678",
    }


def test_chinese_is_written_as_utf8_not_escaped():
    assert _render({"name": "华东电力"}) == '{"name":"华东电力"}'.encode()


def test_a_lazy_translation_goes_through_the_fallback_in_the_active_language():
    with override("zh-hans"):
        assert json.loads(_render({"detail": gettext_lazy("Not found.")})) == {"detail": "未找到。"}
    with override("en"):
        assert json.loads(_render({"detail": gettext_lazy("Not found.")})) == {"detail": "Not found."}


def test_an_api_answer_is_encoded_by_it(client):
    response = client.get("/api/v1/users")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(response.content)["detail"]
