"""The benchmark runner must not rot: run it end to end at the smoke scale, as CI does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bench.core import HEADER, discover

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_runner_prints_one_row_per_workload_at_smoke_scale(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env["XIETONG_BENCH_NO_PEER"] = "1"  # the peer is installed from PyPI on demand, not in the test suite
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--scale",
            "smoke",
            "--rounds",
            "1",
            "--min-time",
            "0.02",
            "--database-url",
            f"sqlite:///{tmp_path / 'bench.sqlite3'}",
            "--results-dir",
            str(tmp_path / "results"),
            "--no-fail",
        ],  # one noisy round on a shared machine may miss a goal; a crash or a wrong answer may not
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    lines = completed.stdout.splitlines()
    header = next(line for line in lines if line.startswith("workload"))
    assert header.split() == ["workload", *HEADER[1:]]
    names = [w.name for w in discover()]
    assert names == [
        "api_users_page",
        "crm_b1_import_csv",
        "crm_b1_import_xlsx",
        "crm_b2_create",
        "crm_b3_customers_page_1",
        "crm_b3_customers_page_100",
        "crm_b3_customers_page_deep",
        "crm_b3_leads_page_1",
        "crm_b3_leads_page_100",
        "crm_b3_leads_page_deep",
        "crm_b3_opportunities_page_1",
        "crm_b3_opportunities_page_100",
        "crm_b3_opportunities_page_deep",
        "crm_b6_create_check",
        "crm_b6_scan",
        "crm_b8_claims",
        "crm_b8_recycle",
        "org_user_list_visible",
        "org_visibility_count",
        "pipeline_b4_board",
        "q2c_approvals_pending_page_1",
        "q2c_approvals_pending_page_100",
        "q2c_approvals_pending_page_deep",
        "q2c_quote_200_lines",
        "record_timeline",
        "sop_b7_forecast",
        "sop_netting",
    ]
    rows = {line.split()[0]: line for line in lines if line.split() and line.split()[0] in names}
    assert sorted(rows) == names
    assert "Environment: " in completed.stdout and "Django " in completed.stdout
    results = list((tmp_path / "results").glob("*-smoke.json"))
    assert len(results) == 1
    saved = json.loads(results[0].read_text())
    assert [w["name"] for w in saved["workloads"]] == names
    assert saved["environment"]["users"] == 547  # the demo group, the smoke scale's extra users, B7's planner
    # on SQLite the PostgreSQL-only workload says why it did not run, and the CRM data set is there
    assert "crm_b8_claims: skipped: 50 concurrent claimers needs PostgreSQL" in completed.stdout
    assert "2,000 customers" in completed.stderr
