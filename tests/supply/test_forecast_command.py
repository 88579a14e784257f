"""manage.py forecast_csv: UTF-8 and GBK input, Chinese header, a bad line named."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command


def _history_lines() -> list[tuple[str, str, str]]:
    rows = []
    for n in range(30):
        year, month = 2023 + n // 12, n % 12 + 1
        rows.append(("机床A", f"{year}-{month:02d}", str(50 + 20 * (month in (6, 7)) + n % 2)))
        if n % 3 == 0:
            rows.append(("B-2", f"{year}-{month:02d}-15", "4.5"))
    return rows


def _read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_utf8_file_writes_forecasts_with_intervals(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text(
        "product,period,quantity\n" + "\n".join(",".join(r) for r in _history_lines()) + "\n", encoding="utf-8"
    )
    printed = io.StringIO()
    call_command("forecast_csv", str(src), str(out), "--horizon", "4", stdout=printed)
    rows = _read(out)
    assert list(rows[0]) == ["product", "period", "forecast", "low", "high", "model"]
    assert len(rows) == 8
    assert [r["period"] for r in rows if r["product"] == "机床A"] == ["2025-07", "2025-08", "2025-09", "2025-10"]
    # B-2 starts in 2023-01 and the file ends in 2025-06: its forecast starts in 2025-07 too
    assert next(r["period"] for r in rows if r["product"] == "B-2") == "2025-07"
    for r in rows:
        assert float(r["low"]) <= float(r["forecast"]) <= float(r["high"])
    assert "2" in printed.getvalue().splitlines()[0]  # 2 series


def test_gbk_file_with_chinese_header(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    body = "产品,期间,数量\n" + "\n".join(",".join(r) for r in _history_lines()) + "\n"
    src.write_bytes(body.encode("gbk"))
    call_command("forecast_csv", str(src), str(out), "--horizon", "2", stdout=io.StringIO())
    rows = _read(out)
    assert {r["product"] for r in rows} == {"机床A", "B-2"}
    assert len(rows) == 4


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("机床A,2024-13,5", "period"),
        ("机床A,2024-01,abc", "quantity"),
        ("机床A,2024-01,-1", "quantity"),
        (",2024-01,1", "product"),
    ],
)
def test_a_bad_line_names_line_and_column_and_writes_nothing(tmp_path: Path, line: str, column: str) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text("product,period,quantity\n机床A,2024-01,5\n" + line + "\n", encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("forecast_csv", str(src), str(out), stdout=io.StringIO())
    message = str(caught.value)
    assert "3" in message and column in message
    assert not out.exists()


def test_a_header_without_the_columns_is_refused(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text("sku,month,qty\nA,2024-01,5\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("forecast_csv", str(src), str(out), stdout=io.StringIO())
    assert not out.exists()
