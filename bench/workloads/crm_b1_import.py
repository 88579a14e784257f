"""B1: importing customers from a file, end to end, against the database's own bulk load.

``crm_b1_import_csv`` — a customer CSV (UTF-8 with BOM, Chinese headers) with as many rows as the data
set has customers (1M at 1M), 5 % of them repeating an existing customer's name and 1 % with an error
(credit code check character, mobile, empty name, email). Ours: a separate process
(``crm_import_worker``) uploads it as an import job and runs it (detection, mapping, validation,
duplicate check against the table, inserts of customers, relationships and contacts); its peak RSS is
its own. Reference: PostgreSQL's ``COPY`` of the cleaned file (the good rows, already in the table's
columns) into the same indexed customer table (SQLite: ``executemany`` of the same rows). Peer:
DjangoCRM's XLSX import of ``PEER_ROWS`` companies (pandas + one ORM save per row). All figures are
seconds **per row of the file**, so the ratios are ratios of rows/s.

``crm_b1_import_xlsx`` — the first tenth of the file as XLSX (100k rows at 1M). Reference:
``python-calamine`` parse of the workbook + ``COPY`` (binary ``write_row``) of the good rows.

Goals: CSV ≤ 4× the COPY, ≥ 100× the peer's rows/s, peak memory ≤ 1 GiB, ≥ 70k rows/s on PostgreSQL
(judged at 1M); XLSX ≤ 2× calamine + COPY. Exactness is checked: created = good rows, skipped =
duplicate rows, rows with errors = the bad rows (by line). Between calls the rows a contestant added
are deleted (untimed).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.db import connection

from bench import crm_data, viewers
from bench.core import Check, Context, Measured, Skip, Workload
from bench.workloads import crm_support

ROOT = Path(__file__).resolve().parents[2]
MAX_RSS = 1024**3
MIN_ROWS_PER_SECOND = 70_000
PEER_ROWS = 1_000


def _files_dir() -> Path:
    return Path(os.environ.get("XIETONG_VAR_DIR", ROOT / "var")) / "bench-files"


def _unlimited(user: Any) -> None:
    """The importer owns every imported customer: a personal ownership limit above the file's size,
    so that the rows measure the import and not the limit's refusals."""
    from xietong.customers import pools
    from xietong.customers.models import OwnershipLimit

    pool = pools.default_pool(user.business_unit_id)
    if pool is not None:
        OwnershipLimit.objects.update_or_create(pool=pool, user=user, role=None, defaults={"max_owned": 2**31 - 1})


def _setup(ctx: Context, fmt: str) -> dict[str, Any]:
    data = crm_support.dataset(ctx)
    crm_support.require("xietong.imports.services", "run_import")
    file = crm_data.write_import_file(_files_dir(), data.customers, data)
    rows = file.rows if fmt == "csv" else max(100, file.rows // 10)
    path = file.path if fmt == "csv" else crm_data.as_xlsx(file.path, rows)
    head = viewers.bu_head(ctx)
    _unlimited(head.user)
    bad = [b for b in file.bad if b[0] <= rows + 1]
    duplicates = [line for line in file.duplicate_lines if line <= rows + 1]
    good = rows - len(duplicates) - len(bad)
    columns, cleaned = crm_data.read_cleaned(file.cleaned, good)  # the good rows among the first ``rows`` lines
    state = {
        "fmt": fmt,
        "file": file,
        "path": path,
        "rows": rows,
        "bad": bad,
        "duplicates": len(duplicates),
        "good": good,
        "columns": columns,
        "cleaned": cleaned,
        "actor": head.user.pk,
        "last_id": crm_support.max_id("customers_customer"),
    }
    try:
        from bench.peer import djangocrm

        state["peer_file"] = djangocrm.import_file(_files_dir(), file.path, PEER_ROWS)
    except Skip as exc:
        state["peer_skip"] = str(exc)
    ctx.exit_stack.callback(crm_support.delete_customers_after, ctx, state["last_id"])
    return state


def _prepare(ctx: Context, name: str) -> None:
    crm_support.delete_customers_after(ctx, ctx.state["last_id"])


def _ours(ctx: Context) -> Measured:
    worker = "bench.workloads.crm_import_worker"
    completed = subprocess.run(
        [sys.executable, "-m", worker, str(ctx.state["path"]), str(ctx.state["actor"]), viewers.BU],
        cwd=ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the import process failed: {completed.stderr[-2000:]}")
    out = json.loads(completed.stdout.strip().splitlines()[-1])
    if out["status"] != "done":
        raise RuntimeError(f"the import ended {out['status']}: {out['failure']}")
    return Measured("imported", out["seconds"] / ctx.state["rows"], out)


def _copy_rows(ctx: Context, rows: list[list[Any]], columns: list[str]) -> None:
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    if ctx.vendor == "postgresql":
        with ctx.psycopg().cursor() as cursor, cursor.copy(f"COPY customers_customer ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO customers_customer ({cols}) VALUES ({marks})", rows)


def _reference_csv(ctx: Context) -> Measured:
    path = ctx.state["file"].cleaned

    def load() -> None:
        if ctx.vendor == "postgresql":
            with path.open("rb") as f:
                f.readline()  # the header: the column list
                with ctx.psycopg().cursor() as cursor:
                    cols = ", ".join(connection.ops.quote_name(c) for c in ctx.state["columns"])
                    with cursor.copy(f"COPY customers_customer ({cols}) FROM STDIN") as copy:
                        while block := f.read(1 << 20):
                            copy.write(block)
        else:
            columns, rows = crm_data.read_cleaned(path)
            _copy_rows(ctx, rows, columns)

    seconds, _none = crm_support.timed(load)
    return Measured("imported", seconds / ctx.state["rows"])


def _reference_xlsx(ctx: Context) -> Measured:
    from python_calamine import CalamineWorkbook

    good = ctx.state["cleaned"]

    def load() -> None:
        book = CalamineWorkbook.from_path(str(ctx.state["path"]))
        parsed = book.get_sheet_by_index(0).to_python()
        assert len(parsed) == ctx.state["rows"] + 1
        _copy_rows(ctx, good, ctx.state["columns"])

    seconds, _none = crm_support.timed(load)
    return Measured("imported", seconds / ctx.state["rows"])


def _peer(ctx: Context) -> Measured:
    if "peer_file" not in ctx.state:
        raise Skip(ctx.state.get("peer_skip", "the peer is not installed"))
    from bench.peer import djangocrm

    seconds, created = djangocrm.agent().import_xlsx(ctx.state["peer_file"])
    return Measured("imported", seconds / PEER_ROWS, {"created": created})


def _checks(ctx: Context, infos: dict[str, list[dict[str, Any]]]) -> list[Check]:
    runs = infos["ours"]
    if not runs:
        return []
    last = runs[-1]
    rows = ctx.state["rows"]
    bad_lines = sorted(line for line, _col in ctx.state["bad"])
    reported = sorted({int(line) for line, _col in last["errors"] if line is not None})
    rss = max(run["max_rss_bytes"] for run in runs)
    rate = rows / statistics.median(run["seconds"] for run in runs)
    checks = [
        Check(
            "rows created",
            f"{last['created']:,}",
            f"= {ctx.state['good']:,} good rows",
            last["created"] == ctx.state["good"],
        ),
        Check(
            "rows with errors",
            f"{last['error_rows']:,}",
            f"= {len(bad_lines):,} bad rows, same lines",
            last["error_rows"] == len(bad_lines) and reported == bad_lines[: len(reported)],
        ),
        Check("peak memory of the import process", f"{rss / 1024**2:,.0f} MiB", "≤ 1024 MiB", rss <= MAX_RSS),
    ]
    checks.append(
        Check(
            "rows skipped as duplicates",
            f"{last['skipped']:,}",
            f"= {ctx.state['duplicates']:,}",
            last["skipped"] == ctx.state["duplicates"],
        )
    )
    if ctx.state["fmt"] == "csv":
        judged = ctx.scale == "1M" and ctx.vendor == "postgresql"
        checks.append(
            Check(
                "rows/s end to end" + ("" if judged else " (judged at 1M on PostgreSQL)"),
                f"{rate:,.0f}",
                f"≥ {MIN_ROWS_PER_SECOND:,}",
                rate >= MIN_ROWS_PER_SECOND or not judged,
            )
        )
    if last.get("unmapped"):
        checks.append(Check("headers the automatic mapping left out", ", ".join(last["unmapped"]), "none", False))
    return checks


WORKLOADS = [
    Workload(
        name="crm_b1_import_csv",
        description="customer CSV import end to end (per row) vs COPY of the cleaned file; peer: DjangoCRM import",
        goal_ratio=4.0,
        setup=lambda ctx: _setup(ctx, "csv"),
        contestants={"ours": _ours, "reference": _reference_csv, "peer": _peer},
        verify=lambda answers: None,
        prepare=_prepare,
        checks=_checks,
        extra_goals={"peer": 0.01},
    ),
    Workload(
        name="crm_b1_import_xlsx",
        description="customer XLSX import end to end (per row) vs python-calamine parse + COPY",
        goal_ratio=2.0,
        setup=lambda ctx: _setup(ctx, "xlsx"),
        contestants={"ours": _ours, "reference": _reference_xlsx},
        verify=lambda answers: None,
        prepare=_prepare,
        checks=_checks,
    ),
]
