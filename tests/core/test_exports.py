"""The Excel export every list uses: real Excel values, a safe file, a streamed answer, a log line."""

from __future__ import annotations

import datetime
import io
import logging
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from xietong.core.exports import CONTENT_TYPE, Column, cell_value, safe_text, xlsx_response

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def workbook_of(response: Any) -> Any:
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def export(rows: list[Any], columns: list[Column], **kwargs: Any) -> Any:
    kwargs.setdefault("filename", "报表.xlsx")
    kwargs.setdefault("sheet_title", "报表")
    return xlsx_response(columns=columns, rows=rows, actor=SimpleNamespace(username="tester", pk=7), **kwargs)


COLUMNS = [
    Column("名称", lambda r: r["name"], width=20),
    Column("金额", lambda r: r["amount"]),
    Column("日期", lambda r: r["day"]),
    Column("时间", lambda r: r["at"]),
    Column("启用", lambda r: r["ok"]),
    Column("数量", lambda r: r["n"]),
]


@pytest.fixture
def rows() -> list[dict[str, Any]]:
    return [
        {
            "name": "华东销售部",
            "amount": Decimal("1234567.50"),
            "day": datetime.date(2026, 11, 28),
            "at": datetime.datetime(2026, 11, 28, 1, 30, tzinfo=datetime.UTC),
            "ok": True,
            "n": 3,
        },
        {"name": "", "amount": None, "day": None, "at": None, "ok": False, "n": 0},
    ]


def test_the_sheet_holds_a_bold_frozen_header_and_real_excel_values(settings, rows):
    settings.TIME_ZONE = "Asia/Shanghai"
    with translation.override("zh-hans"):
        response = export(rows, COLUMNS)
    sheet = workbook_of(response)["报表"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["名称", "金额", "日期", "时间", "启用", "数量"],
        ["华东销售部", 1234567.5, datetime.datetime(2026, 11, 28), datetime.datetime(2026, 11, 28, 9, 30), "是", 3],
        [None, None, None, None, "否", 0],
    ]
    assert [c.font.b for c in sheet[1]] == [True] * 6
    assert sheet.freeze_panes == "A2"
    assert [c.number_format for c in sheet[2]] == [
        "General",
        "#,##0.00",
        "yyyy-mm-dd",
        "yyyy-mm-dd hh:mm",
        "General",
        "General",
    ]
    assert (sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width) == (20, 14)


def test_the_answer_is_an_xlsx_attachment_with_a_utf8_file_name(rows):
    response = export(rows, COLUMNS, filename="用户 2026")
    assert response["Content-Type"] == CONTENT_TYPE
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E7%94%A8%E6%88%B7%202026.xlsx"
    assert int(response["Content-Length"]) > 0


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ('=HYPERLINK("http://evil.example","点我")', '\'=HYPERLINK("http://evil.example","点我")'),
        ("+86 138 0000 0000", "'+86 138 0000 0000"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("王芳 = 经理", "王芳 = 经理"),
        ("bell\x07", "bell"),
    ],
)
def test_text_that_a_spreadsheet_would_run_is_stored_as_text(text, stored):
    assert safe_text(text) == stored
    sheet = workbook_of(export([{"v": text}], [Column("值", lambda r: r["v"])])).active
    cell = sheet["A2"]
    # (XML reads a carriage return back as a line feed.)
    assert (cell.value, cell.data_type) == (stored.replace("\r", "\n"), "s")


def test_a_formula_in_a_header_is_neutralised_too():
    sheet = workbook_of(export([], [Column("=1+1", lambda r: r)])).active
    assert sheet["A1"].value == "'=1+1"


def test_booleans_follow_the_active_language():
    with translation.override("en"):
        assert cell_value(True) == ("yes", None)
    with translation.override("zh-hans"):
        assert cell_value(False) == ("否", None)


def test_datetimes_are_written_in_the_local_time_zone_without_a_zone(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    aware = datetime.datetime(2026, 12, 31, 20, 0, tzinfo=datetime.UTC)
    with timezone.override("Asia/Shanghai"):
        assert cell_value(aware) == (datetime.datetime(2027, 1, 1, 4, 0), "yyyy-mm-dd hh:mm")
    assert cell_value(aware.astimezone(SHANGHAI).date()) == (datetime.date(2027, 1, 1), "yyyy-mm-dd")


def test_other_objects_are_written_as_their_text():
    assert cell_value(SimpleNamespace(a=1)) == ("namespace(a=1)", None)
    assert cell_value(3.5) == (3.5, None)


def test_a_sheet_title_excel_refuses_is_cleaned():
    sheet = workbook_of(export([], COLUMNS, sheet_title="客户/商机 [2026]: 全部?" + "长" * 40)).active
    assert sheet.title == ("客户 商机  2026   全部 " + "长" * 40)[:31]


def test_a_generator_of_many_rows_is_written_in_one_pass():
    rows = ({"i": i} for i in range(5000))
    sheet = workbook_of(export(rows, [Column("序号", lambda r: r["i"])])).active  # type: ignore[arg-type]
    assert (sheet.max_row, sheet["A5001"].value) == (5001, 4999)


def test_every_export_is_logged_with_the_user_the_row_count_and_the_filters(caplog, rows):
    with caplog.at_level(logging.INFO, logger="xietong.exports"):
        export(rows, COLUMNS, filename="报表", filters={"q": "王"})
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("xietong.exports", "INFO", "export 报表.xlsx by tester (id 7): 2 rows, filters {'q': '王'}")
    ]
