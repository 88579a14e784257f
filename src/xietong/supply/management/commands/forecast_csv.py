"""``manage.py forecast_csv INPUT.csv OUTPUT.csv [--horizon 18] [--season 12] [--level 80]``

The forecast engine on an ERP export: input columns product, period (YYYY-MM or YYYY-MM-DD),
quantity — or the Chinese header 产品, 期间, 数量; UTF-8 (with or without BOM) or GBK. Output
(UTF-8 with BOM, so Excel opens it): product, period (YYYY-MM), forecast, low, high, model. Each
product is one series, from its first month with demand, missing months as 0. A line that cannot
be read stops the command with its line number and column; nothing is written then.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xietong.supply import forecasting

COLUMNS = {
    "product": "product",
    "产品": "product",
    "period": "period",
    "期间": "period",
    "quantity": "quantity",
    "数量": "quantity",
}
PERIOD = re.compile(r"^\s*(\d{4})[-/](\d{1,2})(?:[-/](\d{1,2}))?\s*$")


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CommandError(_("%(file)s is neither UTF-8 nor GBK text.") % {"file": path})


def parse(text: str) -> dict[tuple[str, date], float]:
    """(product, month) → quantity summed; a bad line raises CommandError naming line and column."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise CommandError(_("The input file is empty."))
    names = [COLUMNS.get(cell.strip().lower(), COLUMNS.get(cell.strip())) for cell in header]
    missing = [c for c in ("product", "period", "quantity") if c not in names]
    if missing:
        raise CommandError(
            _("Line 1: the header lacks the column(s) %(columns)s (product, period, quantity or 产品, 期间, 数量).")
            % {"columns": ", ".join(missing)}
        )
    at = {name: names.index(name) for name in ("product", "period", "quantity")}
    values: dict[tuple[str, date], float] = defaultdict(float)
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(column: str, row: list[str] = row, line: int = line) -> str:
            if at[column] >= len(row):
                raise CommandError(_("Line %(line)s, column %(column)s: missing.") % {"line": line, "column": column})
            return row[at[column]].strip()

        product = cell("product")
        if not product:
            raise CommandError(_("Line %(line)s, column %(column)s: empty.") % {"line": line, "column": "product"})
        match = PERIOD.match(cell("period"))
        month = None
        if match:
            try:
                month = date(int(match[1]), int(match[2]), int(match[3] or 1)).replace(day=1)
            except ValueError:
                month = None
        if month is None:
            raise CommandError(
                _("Line %(line)s, column %(column)s: “%(value)s” is not a period (YYYY-MM or YYYY-MM-DD).")
                % {"line": line, "column": "period", "value": cell("period")}
            )
        try:
            quantity = Decimal(cell("quantity").replace(",", ""))
            if not quantity.is_finite() or quantity < 0:
                raise InvalidOperation
        except InvalidOperation:
            raise CommandError(
                _("Line %(line)s, column %(column)s: “%(value)s” is not a quantity (a number, not negative).")
                % {"line": line, "column": "quantity", "value": cell("quantity")}
            ) from None
        values[(product, month)] += float(quantity)
    if not values:
        raise CommandError(_("The input file has no data lines."))
    return values


def frame(values: dict[tuple[str, date], float]) -> pd.DataFrame:
    """One series per product, from its first month with demand to the last month of the file."""
    last = max(month for _p, month in values)
    by_product: dict[str, dict[date, float]] = defaultdict(dict)
    for (product, month), quantity in values.items():
        by_product[product][month] = quantity
    rows: list[dict[str, Any]] = []
    for product, months in sorted(by_product.items()):
        nonzero = [m for m, q in months.items() if q]
        first = min(nonzero) if nonzero else min(months)
        for ds in pd.date_range(first, last, freq="MS"):
            rows.append({"unique_id": product, "ds": ds, "y": months.get(ds.date(), 0.0)})
    return pd.DataFrame(rows, columns=["unique_id", "ds", "y"])


def _fmt(value: float | None, pattern: str = "{:.3f}") -> str:
    return "—" if value is None else pattern.format(value)


class Command(BaseCommand):
    help = "Forecast a CSV of (product, period, quantity) history; writes a CSV of forecasts with intervals."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", type=Path)
        parser.add_argument("output", type=Path)
        parser.add_argument("--horizon", type=int, default=18)
        parser.add_argument("--season", type=int, default=12)
        parser.add_argument("--level", type=int, default=80)

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path = options["input"]
        if not source.is_file():
            raise CommandError(_("%(file)s does not exist.") % {"file": source})
        if not 1 <= options["horizon"] <= 60:
            raise CommandError(_("--horizon must be 1 to 60."))
        if not 1 <= options["season"] <= 24:
            raise CommandError(_("--season must be 1 to 24."))
        if not 50 <= options["level"] < 100:
            raise CommandError(_("--level must be 50 to 99."))
        history = frame(parse(read_text(source)))
        result = forecasting.run(
            history, horizon=options["horizon"], season_length=options["season"], level=options["level"]
        )
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["product", "period", "forecast", "low", "high", "model"])
        for row in result.forecasts.itertuples(index=False):
            writer.writerow(
                [row.unique_id, f"{row.ds:%Y-%m}", f"{row.mean:.3f}", f"{row.low:.3f}", f"{row.high:.3f}", row.model]
            )
        options["output"].write_text(out.getvalue(), encoding="utf-8-sig")
        chosen = ", ".join(f"{name} {count}" for name, count in result.models_chosen.items())
        self.stdout.write(
            _("%(series)s series, %(rows)s forecast rows written to %(file)s.")
            % {"series": result.series_count, "rows": len(result.forecasts), "file": options["output"]}
        )
        self.stdout.write(_("Models chosen: %(models)s") % {"models": chosen})
        self.stdout.write(
            _("Backtest: WAPE %(wape)s, MASE %(mase)s (seasonal naive %(naive)s), bias %(bias)s")
            % {
                "wape": _fmt(result.wape),
                "mase": _fmt(result.mase),
                "naive": _fmt(result.naive_mase),
                "bias": _fmt(result.bias, "{:+.3f}"),
            }
        )
