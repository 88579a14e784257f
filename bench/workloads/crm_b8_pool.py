"""B8: the public pool (公海) — concurrent claims, and the nightly recycle.

``crm_b8_claims`` (PostgreSQL) — ours: ``CLAIMERS`` threads, each with its own database connection and
one of the industrial BU's pool members, call ``pools.customer_claim`` on random relationships of the
bench pool for ``DURATION`` seconds (lost races and refusals answer ``Conflict``). Every fifth claimer
has a personal ownership limit (``OwnershipLimit``). Reference: ``pgbench`` with the same clients and
duration running the same claim in SQL — lock the row with ``FOR UPDATE SKIP LOCKED`` if it is still in
the pool, check the claimer's limit, set the owner, write the claim log. Figures are seconds per
**successful** claim (the ratio is one of claims/s; goal ≥ 0.5×). Checks: no relationship claimed twice,
no limited claimer above their limit. Between calls the claims are undone (untimed).

``crm_b8_recycle`` — ours: ``pools.pool_recycle(now=…)`` over the whole data set (every active rule, one
``UPDATE`` per rule plus the claim log); reference: one set-based ``UPDATE`` of the same rows (the rules'
conditions OR-ed in one statement). Both answer how many relationships went back; goal ≤ 1.3×. The
owned relationships are restored between calls (untimed).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from glob import glob
from pathlib import Path
from typing import Any

from django.db import connection, connections

from bench import crm_data
from bench.core import Check, Context, Measured, Skip, Workload
from bench.workloads import crm_support

DURATION = {"demo": 3.0, "smoke": 3.0, "100k": 20.0, "1M": 60.0}
POOL_BU = "ind"


# --- claims ---------------------------------------------------------------------------------------


def _pgbench() -> str:
    found = shutil.which("pgbench") or next(iter(sorted(glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)), None)
    if not found:
        raise Skip("pgbench is not installed (postgresql-contrib / postgresql-client)")
    return found


def _claims_setup(ctx: Context) -> dict[str, Any]:
    crm_support.require_postgresql(ctx, "50 concurrent claimers")
    data = crm_support.dataset(ctx)
    claim = crm_support.require("xietong.customers.pools", "customer_claim")
    from xietong.customers.models import ClaimLog, CustomerPool, OwnershipLimit, Relationship
    from xietong.org.models import User

    pool = CustomerPool.objects.get(business_unit__code=POOL_BU, name=crm_data.BENCH_POOL)
    users = crm_data.claimers(POOL_BU)
    if len(users) < crm_data.CLAIMERS:
        raise Skip(f"{len(users)} claimers in the pool; {crm_data.CLAIMERS} need the smoke scale or larger")
    limits = dict(OwnershipLimit.objects.filter(pool=pool, user_id__in=users).values_list("user_id", "max_owned"))
    candidates = list(Relationship.objects.filter(pool=pool, owner__isnull=True).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_b8_candidates")
        cursor.execute("CREATE TABLE bench_b8_candidates (n integer PRIMARY KEY, rel_id bigint NOT NULL)")
        cursor.executemany(
            "INSERT INTO bench_b8_candidates (n, rel_id) VALUES (%s, %s)", list(enumerate(candidates, start=1))
        )
        cursor.execute("DROP TABLE IF EXISTS bench_b8_claimers")
        cursor.execute(
            "CREATE TABLE bench_b8_claimers "
            "(n integer PRIMARY KEY, user_id bigint NOT NULL, max_owned integer NOT NULL)"
        )
        cursor.executemany(
            "INSERT INTO bench_b8_claimers (n, user_id, max_owned) VALUES (%s, %s, %s)",
            [(i, u, limits.get(u, pool.max_owned or 10**9)) for i, u in enumerate(users)],
        )
    script = Path(tempfile.mkdtemp(prefix="xt-b8-")) / "claim.sql"
    script.write_text(PGBENCH_SCRIPT)
    ctx.exit_stack.callback(shutil.rmtree, script.parent, True)
    last_log = ClaimLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    state = {
        "claim": claim,
        "pool": pool,
        "users": list(User.objects.filter(pk__in=users).order_by("pk")),
        "limits": limits,
        "candidates": candidates,
        "duration": DURATION[ctx.scale],
        "script": script,
        "last_log": last_log,
        "data": data,
    }
    ctx.exit_stack.callback(_undo_claims, ctx, state)
    return state


# The same claim as ``customer_claim``, in SQL: the row locked if still in the pool (SKIP LOCKED: a
# row another client holds is a lost race), the claimer's limit checked, the owner set, the claim logged.
PGBENCH_SCRIPT = """\\set k random(1, :ncand)
SELECT rel_id AS rid FROM bench_b8_candidates WHERE n = :k \\gset
SELECT user_id AS uid, max_owned AS lim FROM bench_b8_claimers WHERE n = :client_id \\gset
BEGIN;
WITH target AS (
  SELECT id FROM customers_relationship WHERE id = :rid AND owner_id IS NULL FOR UPDATE SKIP LOCKED
), owned AS (
  SELECT count(*) AS n FROM customers_relationship WHERE owner_id = :uid AND business_unit_id = :bu
), claimed AS (
  UPDATE customers_relationship r SET owner_id = :uid, claimed_at = now(), updated_at = now()
  FROM target, owned WHERE r.id = target.id AND owned.n < :lim RETURNING r.id
)
INSERT INTO customers_claimlog (relationship_id, pool_id, action, user_id, actor_id, reason, created_at)
SELECT id, :pool, 'claim', :uid, :uid, '', now() FROM claimed;
COMMIT;
"""


def _undo_claims(ctx: Context, state: dict[str, Any]) -> None:
    """Every claim since setup undone: owners cleared, claim log rows deleted."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_relationship SET owner_id = NULL, claimed_at = NULL, protected_until = NULL "
            "WHERE id IN (SELECT relationship_id FROM customers_claimlog WHERE id > %s AND action = 'claim')",
            [state["last_log"]],
        )
        cursor.execute("DELETE FROM customers_claimlog WHERE id > %s", [state["last_log"]])


def _claims_prepare(ctx: Context, name: str) -> None:
    _undo_claims(ctx, ctx.state)
    ctx.state["owned_before"] = _owned(ctx.state)


def _owned(state: dict[str, Any]) -> dict[int, int]:
    """What each limited claimer owns, counted as the pool's limit counts it (``pools.owned_count``:
    won customers left out unless the pool says otherwise)."""
    from xietong.customers import pools

    users = {u.pk: u for u in state["users"]}
    return {pk: pools.owned_count(user=users[pk], pool=state["pool"]) for pk in state["limits"] if pk in users}


def _outcome(state: dict[str, Any], seconds: float) -> Measured:
    """Claims since the last undo: per relationship (a double claim is two), and the limits."""
    from xietong.customers.models import ClaimLog

    claims = list(
        ClaimLog.objects.filter(pk__gt=state["last_log"], action="claim").values_list("relationship_id", flat=True)
    )
    doubles = sum(1 for _rel, n in Counter(claims).items() if n > 1)
    owned = _owned(state)
    breaches = sum(1 for u, n in owned.items() if n > max(state["limits"][u], state["owned_before"].get(u, 0)))
    info = {"claims": len(claims), "doubles": doubles, "breaches": breaches, "seconds": seconds}
    if not claims:
        raise RuntimeError("no claim succeeded")
    return Measured("claimed", seconds / len(claims), info)


def _claims_ours(ctx: Context) -> Measured:
    from xietong.core.errors import Conflict

    state = ctx.state
    claim, candidates, duration = state["claim"], state["candidates"], state["duration"]
    start = threading.Barrier(len(state["users"]) + 1)
    errors: list[str] = []

    def claimer(user: Any, seed: int) -> None:
        rng = random.Random(seed)
        _ = user.access
        try:
            start.wait()
            stop = time.perf_counter() + duration
            while time.perf_counter() < stop:
                with contextlib.suppress(Conflict):  # a lost race or a limit: the claimer goes on
                    claim(relationship_id=rng.choice(candidates), actor=user)
        except Exception as exc:  # reported after the run
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claimer, args=(u, i)) for i, u in enumerate(state["users"])]
    for t in threads:
        t.start()
    start.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} claimers failed, e.g. {errors[0]}")
    return _outcome(state, seconds)


def _claims_reference(ctx: Context) -> Measured:
    state = ctx.state
    conf = connection.settings_dict
    args = [
        _pgbench(),
        "-n",
        "-c",
        str(len(state["users"])),
        "-j",
        str(os.cpu_count() or 2),
        "-T",
        str(int(state["duration"])),
        "-f",
        str(state["script"]),
        "-D",
        f"ncand={len(state['candidates'])}",
        "-D",
        f"pool={state['pool'].pk}",
        "-D",
        f"bu={state['pool'].business_unit_id}",
        "-h",
        conf.get("HOST") or "127.0.0.1",
        "-p",
        str(conf.get("PORT") or 5432),
        "-U",
        conf.get("USER") or "postgres",
        conf["NAME"],
    ]
    env = {**os.environ, **({"PGPASSWORD": conf["PASSWORD"]} if conf.get("PASSWORD") else {})}
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise Skip(f"pgbench failed: {done.stderr[-500:]}")
    wall = time.perf_counter() - started
    match = re.search(r"duration: (\d+) s", done.stdout)
    seconds = float(match.group(1)) if match else wall
    return _outcome(state, seconds)


def _claims_checks(ctx: Context, infos: dict[str, list[dict[str, Any]]]) -> list[Check]:
    runs = infos["ours"]
    doubles = sum(r["doubles"] for r in runs)
    breaches = sum(r["breaches"] for r in runs)
    rate = statistics_median([r["claims"] / r["seconds"] for r in runs])
    ref = statistics_median([r["claims"] / r["seconds"] for r in infos.get("reference", [])])
    return [
        Check("relationships claimed twice (all rounds)", str(doubles), "= 0", doubles == 0),
        Check("claimers above their ownership limit (all rounds)", str(breaches), "= 0", breaches == 0),
        Check("claims/s, ours vs pgbench", f"{rate:,.0f} vs {ref:,.0f}", "ours ≥ 0.5× pgbench", rate >= 0.5 * ref),
    ]


def statistics_median(values: list[float]) -> float:
    import statistics

    return statistics.median(values) if values else 0.0


# --- recycle ----------------------------------------------------------------------------------------

BACKUP = "bench_b8_backup"
RESTORED = (
    "owner_id",
    "pool_id",
    "previous_owner_id",
    "previous_owner_blocked_until",
    "released_at",
    "release_reason",
    "protected_until",
    "recycle_reminded_at",
    "updated_at",
)


def _recycle_setup(ctx: Context) -> dict[str, Any]:
    crm_support.dataset(ctx)
    recycle = crm_support.require("xietong.customers.pools", "pool_recycle")
    from xietong.customers import pools

    now = crm_data.REFERENCE_NOW
    cols = ", ".join(RESTORED)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BACKUP}")
        cursor.execute(
            f"CREATE TABLE {BACKUP} AS SELECT id, {cols} FROM customers_relationship WHERE owner_id IS NOT NULL"
        )
        cursor.execute(f"CREATE UNIQUE INDEX {BACKUP}_id ON {BACKUP} (id)")
    ctx.exit_stack.callback(lambda: connection.cursor().execute(f"DROP TABLE IF EXISTS {BACKUP}"))
    ctx.exit_stack.callback(_restore, ctx)  # callbacks run last-in first-out: restore, then drop
    # the reference's one UPDATE: every active rule's condition, OR-ed
    today = now.date()
    defaults = pools._default_pool_ids()
    branches, params = [], []
    for rule in pools._active_rules():
        field = pools.RULE_FIELDS[rule.kind]
        cutoff = connection.ops.adapt_datetimefield_value(pools.start_of(today - timedelta(days=rule.days)))
        home = "r.pool_id = %s" + (" OR (r.pool_id IS NULL)" if rule.pool_id in defaults else "")
        branch = (
            f"(({home}) AND r.business_unit_id = %s"
            + (" AND r.level = %s" if rule.level else "")
            + f" AND COALESCE(r.{field}, r.created_at) < %s AND COALESCE(r.claimed_at, r.created_at) < %s)"
        )
        branches.append(branch)
        params += [rule.pool_id, rule.pool.business_unit_id, *([rule.level] if rule.level else []), cutoff, cutoff]
    if not branches:
        raise Skip("no active recycle rule")
    stamp = connection.ops.adapt_datetimefield_value(now)
    sql = (
        "UPDATE customers_relationship AS r SET owner_id = NULL, previous_owner_id = r.owner_id, "
        "released_at = %s, release_reason = 'recycled', protected_until = NULL, recycle_reminded_at = NULL, "
        "updated_at = %s WHERE r.owner_id IS NOT NULL AND NOT r.has_open_business "
        "AND (r.protected_until IS NULL OR r.protected_until < %s) AND (" + " OR ".join(branches) + ")"
    )
    return {
        "recycle": recycle,
        "now": now,
        "sql": sql,
        "params": [stamp, stamp, connection.ops.adapt_datefield_value(today), *params],
    }


def _restore(ctx: Context) -> None:
    """The owned relationships as they were: one UPDATE from the backup of the rows that moved."""
    # ours stamps each rule's rows with its own microsecond after REFERENCE_NOW: restore the second
    start = connection.ops.adapt_datetimefield_value(crm_data.REFERENCE_NOW)
    end = connection.ops.adapt_datetimefield_value(crm_data.REFERENCE_NOW + timedelta(seconds=1))
    sets = ", ".join(f"{c} = (SELECT b.{c} FROM {BACKUP} b WHERE b.id = customers_relationship.id)" for c in RESTORED)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE customers_relationship SET {sets} "
            f"WHERE released_at >= %s AND released_at < %s AND id IN (SELECT id FROM {BACKUP})",
            [start, end],
        )
        cursor.execute(
            "DELETE FROM customers_claimlog WHERE action = 'recycle' AND created_at >= %s AND created_at < %s",
            [start, end],
        )


def _recycle_prepare(ctx: Context, name: str) -> None:
    _restore(ctx)


def _recycle_ours(ctx: Context) -> int:
    return int(ctx.state["recycle"](now=ctx.state["now"]))


def _recycle_reference(ctx: Context) -> int:
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(ctx.state["sql"], ctx.state["params"])
        return int(cursor.rowcount)


WORKLOADS = [
    Workload(
        name="crm_b8_claims",
        description="50 concurrent claimers on the public pool vs pgbench doing the same claim with SKIP LOCKED",
        goal_ratio=2.0,  # seconds per successful claim: ≤ 2× means ≥ 0.5× the claims/s
        setup=_claims_setup,
        contestants={"ours": _claims_ours, "reference": _claims_reference},
        verify=lambda answers: None,
        prepare=_claims_prepare,
        checks=_claims_checks,
    ),
    Workload(
        name="crm_b8_recycle",
        description="nightly recycle of the whole data set vs one set-based UPDATE of the same rows",
        goal_ratio=1.3,
        setup=_recycle_setup,
        contestants={"ours": _recycle_ours, "reference": _recycle_reference},
        prepare=_recycle_prepare,
    ),
]
