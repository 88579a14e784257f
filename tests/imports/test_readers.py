"""Reading uploaded tables: encodings, delimiters, spreadsheets, line numbers, header matching.

``fixtures/customers.xls`` is a BIFF8 workbook written once with xlwt 1.3.0 (not a dependency):
one sheet with a header, two data rows and a blank row between them."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from tests.imports.conftest import csv_bytes, xlsx_bytes
from xietong.imports.fields import auto_mapping, check_mapping, header_key
from xietong.imports.readers import Table

FIXTURES = Path(__file__).parent / "fixtures"
ROWS = [["公司名称", "手机", "省份"], ["上海华为技术有限公司", "13800138000", "上海市"], ["北京小米", "", "北京市"]]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("encoding", "found", "label"),
    [
        ("utf-8", "utf-8-sig", "UTF-8"),
        ("utf-8-sig", "utf-8-sig", "UTF-8 (BOM)"),
        ("gbk", "gb18030", "GB18030"),
        ("gb18030", "gb18030", "GB18030"),
    ],
)
def test_csv_encodings_are_recognised(tmp_path, encoding, found, label):
    rows = [*ROWS, ["䶮镕科技（GB18030 四字节字）" if encoding == "gb18030" else "镕科技", "", ""]]
    table = Table(write(tmp_path, "a.csv", csv_bytes(rows, encoding)))
    assert (table.kind, table.encoding, table.encoding_label) == ("csv", found, label)
    assert table.headers == ["公司名称", "手机", "省份"]
    assert [(r.line, r.values["公司名称"]) for r in table.rows()] == [
        (2, "上海华为技术有限公司"),
        (3, "北京小米"),
        (4, rows[3][0]),
    ]


def test_gbk_detected_even_when_the_first_megabyte_is_ascii(tmp_path):
    rows = [["name", "city"]] + [["company", "x"]] * 60_000 + [["上海公司", "上海"]]
    table = Table(write(tmp_path, "a.csv", csv_bytes(rows, "gbk")))
    assert table.encoding == "gb18030"
    assert list(table.rows())[-1].values == {"name": "上海公司", "city": "上海"}


def test_tab_and_semicolon_delimiters(tmp_path):
    for delimiter in ("\t", ";"):
        table = Table(write(tmp_path, "a.txt", csv_bytes(ROWS, delimiter=delimiter)))
        assert table.headers == ["公司名称", "手机", "省份"]
        assert next(table.rows()).values["省份"] == "上海市"


def test_lines_count_blank_lines_and_cells_with_line_breaks(tmp_path):
    data = '公司名称,备注\r\n甲公司,"第一行\n第二行"\r\n\r\n乙公司,x\r\n'.encode()
    table = Table(write(tmp_path, "a.csv", data))
    assert [(r.line, r.values["公司名称"]) for r in table.rows()] == [(2, "甲公司"), (5, "乙公司")]
    assert table.estimated_rows == 4


def test_blank_and_repeated_headers_get_names(tmp_path):
    table = Table(write(tmp_path, "a.csv", csv_bytes([["手机", "", "手机"], ["1", "2", "3"]])))
    assert table.headers == ["手机", gettext("Column %(number)d") % {"number": 2}, "手机 (2)"]
    assert next(table.rows()).values["手机 (2)"] == "3"


def test_xlsx_numbers_and_dates_read_as_text(tmp_path):
    import datetime

    rows = [
        ["公司名称", "手机", "成立日期"],
        ["华为", 13800138000, datetime.date(2020, 1, 2)],
        [None, None, None],
        ["小米", 1.5, None],
    ]
    table = Table(write(tmp_path, "a.bin", xlsx_bytes(rows)))
    assert (table.kind, table.estimated_rows) == ("xlsx", 3)
    assert [(r.line, r.values) for r in table.rows()] == [
        (2, {"公司名称": "华为", "手机": "13800138000", "成立日期": "2020-01-02"}),
        (4, {"公司名称": "小米", "手机": "1.5", "成立日期": ""}),
    ]


def test_xls_is_read_with_calamine():
    table = Table(FIXTURES / "customers.xls")
    assert table.kind == "xls"
    assert table.headers == ["公司名称", "手机号", "统一社会信用代码", "成立日期"]
    assert [(r.line, r.values["公司名称"], r.values["手机号"]) for r in table.rows()] == [
        (2, "上海华为技术有限公司", "13800138000"),
        (4, "北京小米科技有限公司", "139 0013 9000"),
    ]


def test_an_empty_or_broken_file_is_refused_on_file(tmp_path):
    for name, data in (("a.csv", b"\r\n\r\n"), ("a.xlsx", b"PK\x03\x04broken")):
        with pytest.raises(ValidationError) as exc:
            Table(write(tmp_path, name, data))
        assert list(exc.value.message_dict) == ["file"]


def test_headers_match_chinese_and_english_names():
    headers = ["客户名称*", "统一社会信用代码（必填）", "Mobile", "省 份", "Province", "公司简称", "无关列"]
    assert auto_mapping("customers", headers) == {
        "客户名称*": "name",
        "统一社会信用代码（必填）": "credit_code",
        "省 份": "province",
        "公司简称": "short_name",
    }
    assert auto_mapping("leads", ["公司", "联系人", "手机号码", "E-mail", "意向产品"]) == {
        "公司": "company",
        "联系人": "contact_name",
        "手机号码": "mobile",
        "E-mail": "email",
        "意向产品": "product_interest",
    }
    assert auto_mapping("contacts", ["Company", "Name", "Title", "Primary"]) == {
        "Company": "customer",
        "Name": "name",
        "Title": "title",
        "Primary": "is_primary",
    }
    assert header_key(" Company（公司）Name ") == "companyname"


def test_a_mapping_is_checked_naming_what_is_wrong():
    with pytest.raises(ValidationError) as exc:
        check_mapping("customers", ["名称", "省份"], {"名称": "province", "省份": "province", "别的": "industry"})
    assert len(exc.value.message_dict["mapping"]) == 3  # unknown column, twice mapped, name missing
