"""B6: the duplicate scan of every customer, scored against the data set's labels, and the on-create check.

``crm_b6_scan`` — ours: a ``DuplicateScan`` of customers run by ``duplicates.run_scan`` (exact keys,
the fuzzy blocking index, rapidfuzz scoring, union into clusters, clusters stored for review).
Reference: bare rapidfuzz (``Levenshtein.distance`` with the same edit cut-off, one call per pair) on
**the same candidate pairs** — the pairs of records that
share a blocking token, computed once in setup. The ratio says what the scan costs beyond scoring;
the goals are absolute: ≤ 120 s per million customers on 2 cores (judged at 1M), recall ≥ 0.95 at
precision ≥ 0.98 against the labelled clusters (pairs within the data set's customers).

``crm_b6_create_check`` — ours: ``matching.customer_candidates`` (credit code, name key, fuzzy index,
contact mobile and email) for ``QUERIES`` new companies, half of them variants of existing customers;
the p95 per check. Reference: rapidfuzz scoring of the same candidate keys ours read (fetched once in
setup). Goal: p95 ≤ 15 ms.
"""

from __future__ import annotations

import functools
import itertools
import random
from collections import defaultdict
from typing import Any

from bench import crm_data
from bench.core import Check, Context, Measured, Skip, Workload
from bench.workloads import crm_support

SCAN_SECONDS_PER_MILLION = 120.0
RECALL, PRECISION = 0.95, 0.98
CHECK_P95 = 0.015
QUERIES = 200


def _scan_setup(ctx: Context) -> dict[str, Any]:
    data = crm_support.dataset(ctx)
    scan_execute = crm_support.require("xietong.customers.duplicates", "scan_execute")
    from xietong.customers import duplicates, matching
    from xietong.customers.models import Customer

    rows = list(Customer.objects.filter(merged_into__isnull=True).order_by("pk").values_list("pk", "name_key"))
    block_max = getattr(duplicates, "SCAN_BLOCK_MAX", 200)
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, (_pk, key) in enumerate(rows):
        for token in matching.name_tokens(key):
            blocks[token].append(i)
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        if 2 <= len(members) <= block_max:
            pairs.update((members[x], members[y]) for x in range(len(members)) for y in range(x + 1, len(members)))
    ordered = sorted(pairs)
    left = [rows[i][1] for i, _j in ordered]
    right = [rows[j][1] for _i, j in ordered]
    cutoffs = [matching.allowed_edits(a if len(a) >= len(b) else b) for a, b in zip(left, right, strict=True)]
    return {
        "scan_execute": scan_execute,
        "data": data,
        "labels": crm_data.labels(data),
        "rows": rows,
        "pairs": ordered,
        "left": left,
        "right": right,
        "cutoffs": cutoffs,
    }


def _scan_ours(ctx: Context) -> Measured:
    from xietong.customers.models import DuplicateCluster, DuplicateScan

    scan = DuplicateScan.objects.create(target="customer")
    seconds, _found = crm_support.timed(lambda: ctx.state["scan_execute"](scan=scan))
    clusters = list(DuplicateCluster.objects.filter(scan=scan).values_list("member_ids", flat=True))
    data = ctx.state["data"]
    recall, precision, true_pairs, found_pairs = crm_data.score(
        clusters, ctx.state["labels"], range(data.first_customer_id, data.last_customer_id + 1)
    )
    info = {"recall": recall, "precision": precision, "true_pairs": true_pairs, "found_pairs": found_pairs}
    return Measured("scan", seconds, info)


def _scan_reference(ctx: Context) -> Measured:
    from rapidfuzz.distance import Levenshtein

    distance = Levenshtein.distance

    def score() -> int:
        similar = 0
        for a, b, cutoff in zip(ctx.state["left"], ctx.state["right"], ctx.state["cutoffs"], strict=True):
            if distance(a, b, score_cutoff=cutoff) <= cutoff:
                similar += 1
        return similar

    seconds, _similar = crm_support.timed(score)
    return Measured("scan", seconds, {"pairs": len(ctx.state["left"])})


def _scan_checks(ctx: Context, infos: dict[str, list[dict[str, Any]]]) -> list[Check]:
    last = infos["ours"][-1] if infos["ours"] else {}
    recall, precision = last.get("recall", 0.0), last.get("precision", 0.0)
    out = [
        Check(
            f"recall ({last.get('true_pairs', 0):,} labelled pairs)",
            f"{recall:.4f}",
            f"≥ {RECALL}",
            recall >= RECALL,
        ),
        Check(
            f"precision ({last.get('found_pairs', 0):,} pairs found)",
            f"{precision:.4f}",
            f"≥ {PRECISION}",
            precision >= PRECISION,
        ),
        Check("candidate pairs scored by the reference", f"{len(ctx.state['pairs']):,}", "—", True),
    ]
    return out


def _scan_time_check(ctx: Context, result_seconds: float) -> Check:
    data = ctx.state["data"]
    per_million = result_seconds * crm_data.SCALES["1M"] / data.customers
    judged = ctx.scale == "1M"
    return Check(
        "scan seconds per 1M customers" + ("" if judged else " (projected; judged at 1M)"),
        f"{per_million:.1f} s",
        f"≤ {SCAN_SECONDS_PER_MILLION:.0f} s",
        per_million <= SCAN_SECONDS_PER_MILLION or not judged,
    )


def _scan_all_checks(ctx: Context, infos: dict[str, list[dict[str, Any]]]) -> list[Check]:
    import statistics

    times = [info["seconds"] for info in infos["ours"] if "seconds" in info]
    checks = _scan_checks(ctx, infos)
    if times:
        checks.insert(0, _scan_time_check(ctx, statistics.median(times)))
    return checks


def _scan_ours_timed(ctx: Context) -> Measured:
    measured = _scan_ours(ctx)
    return Measured(measured.answer, measured.seconds, {**measured.info, "seconds": measured.seconds})


WORKLOAD_SCAN = Workload(
    name="crm_b6_scan",
    description="duplicate scan of every customer vs bare rapidfuzz on the same candidate pairs",
    goal_ratio=None,
    setup=_scan_setup,
    contestants={"ours": _scan_ours_timed, "reference": _scan_reference},
    checks=_scan_all_checks,
    prepare=lambda ctx, name: None,  # one scan per sample: a scan of a million rows is its own unit
)


# --- the on-create check ------------------------------------------------------------------------


def _queries(data: crm_data.Dataset) -> list[dict[str, str]]:
    """New companies: half variants of existing customers (a duplicate to find), half new ones."""
    rng = random.Random(f"{crm_data.SEED}/b6-queries")
    out = []
    step = max(1, data.customers // QUERIES)
    singles = (spec for spec in itertools.islice(crm_data.customer_specs(data.customers), 0, None, step))
    for i in range(QUERIES):
        spec = next(singles, None) if i % 2 == 0 else None
        if spec is not None:
            name, _how = crm_data.variant(spec.company, rng)
            out.append({"name": name.text(), "mobile": "", "email": ""})
        else:
            base, _region = crm_data.base_name(crm_data.RANGE_LEADS - 50_000 + i, rng)
            out.append(
                {
                    "name": base.text(),
                    "mobile": crm_data.mobile(crm_data.RANGE_LEADS - 50_000 + i),
                    "email": f"new{i}@n{i}.example.cn",
                }
            )
    return out


def _check_setup(ctx: Context) -> dict[str, Any]:
    data = crm_support.dataset(ctx)
    candidates = crm_support.require("xietong.customers.matching", "customer_candidates")
    from xietong.customers import matching
    from xietong.customers.models import Customer

    queries = _queries(data)
    keys = [matching.normalise_name(q["name"]) for q in queries]
    fuzzy = getattr(matching, "_fuzzy", None)
    if fuzzy is None:
        raise Skip("matching has no fuzzy blocking step to take the candidates from")
    blocks = [fuzzy("customer", key, set()) for key in keys]
    names = dict(Customer.objects.filter(pk__in={pk for ids in blocks for pk in ids}).values_list("pk", "name_key"))
    return {
        "candidates": candidates,
        "queries": queries,
        "keys": keys,
        "choices": [[names[pk] for pk in ids if pk in names] for ids in blocks],
    }


def _check_ours(ctx: Context) -> Measured:
    times, found = [], 0
    candidates = ctx.state["candidates"]
    for q in ctx.state["queries"]:
        seconds, hits = crm_support.timed(functools.partial(candidates, **q))
        times.append(seconds)
        found += bool(hits)
    p95 = crm_support.percentile(times, 95)
    return Measured(found >= 1, p95, {"found": found, "p95": p95})


def _check_reference(ctx: Context) -> Measured:
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    times = []
    for key, choices in zip(ctx.state["keys"], ctx.state["choices"], strict=True):
        seconds, _hits = crm_support.timed(
            functools.partial(process.extract, key, choices, scorer=Levenshtein.distance, score_cutoff=2, limit=10)
        )
        times.append(seconds)
    return Measured(True, crm_support.percentile(times, 95))


def _check_checks(ctx: Context, infos: dict[str, list[dict[str, Any]]]) -> list[Check]:
    import statistics

    p95 = statistics.median(info["p95"] for info in infos["ours"])
    found = infos["ours"][-1]["found"]
    return [
        Check("p95 of one check", f"{p95 * 1000:.2f} ms", f"≤ {CHECK_P95 * 1000:.0f} ms", p95 <= CHECK_P95),
        Check(f"checks that found a candidate (of {QUERIES}, half are variants)", str(found), "—", True),
    ]


WORKLOAD_CHECK = Workload(
    name="crm_b6_create_check",
    description=f"duplicate check on create (p95 of {QUERIES} new companies) vs rapidfuzz on the same candidates",
    goal_ratio=None,
    setup=_check_setup,
    contestants={"ours": _check_ours, "reference": _check_reference},
    checks=_check_checks,
)

WORKLOADS = [WORKLOAD_SCAN, WORKLOAD_CHECK]
