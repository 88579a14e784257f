"""The benchmark plug-in API and runner (see /work/shared/design/benchmarks.md).

Machines here are shared and noisy, so a workload never reports an absolute time alone: it
runs XieTong ("ours") beside a reference (the physical limit: hand-written SQL, a bare view)
and optionally a peer product, in interleaved rounds on the same data, and the ratio of the
medians is what is judged against the goal.

A workload is a module under ``bench/workloads/`` that exposes ``WORKLOAD``::

    WORKLOAD = Workload(
        name="org_visibility_count",
        description="COUNT of visible users",
        goal_ratio=2.0,
        setup=setup,                       # (ctx) -> state, stored as ctx.state
        contestants={"ours": ours, "reference": reference},   # (ctx) -> result
    )

Before timing, every contestant runs once and ``verify`` compares their results (by default:
all equal), so a fast wrong answer can never win.
"""

from __future__ import annotations

import gc
import importlib
import json
import math
import os
import pkgutil
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CONTESTANTS = ("ours", "reference", "peer")

Contestant = Callable[["Context"], Any]


class VerificationError(AssertionError):
    """The contestants disagree about the answer: a bug, never noise."""


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    goal_ratio: float  # ours / reference (or ``goal_against``) must be at most this
    setup: Callable[[Context], Any]
    contestants: dict[str, Contestant]
    verify: Callable[[dict[str, Any]], None] | None = None
    goal_against: str = "reference"

    def __post_init__(self) -> None:
        unknown = set(self.contestants) - set(CONTESTANTS)
        if unknown or "ours" not in self.contestants or self.goal_against not in self.contestants:
            raise ValueError(
                f"{self.name}: contestants must include 'ours' and {self.goal_against!r}, and be among {CONTESTANTS}"
            )

    @property
    def goal(self) -> str:
        return f"≤ {self.goal_ratio:.1f}× {self.goal_against}"


@dataclass
class Context:
    """What a workload gets: the scale, the database, raw SQL, a place for its state and cleanups."""

    scale: str
    rounds: int
    min_time: float
    state: Any = None
    exit_stack: ExitStack = field(default_factory=ExitStack)
    _psycopg: Any = None

    @property
    def vendor(self) -> str:
        from django.db import connection

        return connection.vendor

    def sql(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run raw SQL with ``%s`` placeholders and fetch all rows.

        SQLite goes through Django's connection (the same file and pragmas as ours); PostgreSQL
        goes through its own psycopg 3 connection, with no ORM or Django cursor in between.
        """
        if self.vendor == "postgresql":
            with self.psycopg().cursor() as cursor:
                cursor.execute(query, params)
                return cursor.fetchall()
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()

    def scalar(self, query: str, params: Sequence[Any] = ()) -> Any:
        return self.sql(query, params)[0][0]

    def psycopg(self) -> Any:
        if self._psycopg is None:
            import psycopg
            from django.db import connection

            conf = connection.settings_dict
            self._psycopg = psycopg.connect(
                dbname=conf["NAME"],
                user=conf.get("USER") or None,
                password=conf.get("PASSWORD") or None,
                host=conf.get("HOST") or None,
                port=conf.get("PORT") or None,
                autocommit=True,
            )
        return self._psycopg

    def close(self) -> None:
        self.exit_stack.close()
        if self._psycopg is not None:
            self._psycopg.close()
            self._psycopg = None


def placeholders(count: int) -> str:
    """``%s, %s, …`` for an IN list of ``count`` values."""
    return ", ".join(["%s"] * count)


# --- discovery ---------------------------------------------------------------------------------


def discover(only: Sequence[str] = ()) -> list[Workload]:
    """Every ``WORKLOAD`` under ``bench.workloads``, by name; ``only`` keeps the named ones."""
    from bench import workloads as package

    found: list[Workload] = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        workload = getattr(module, "WORKLOAD", None)
        if isinstance(workload, Workload):
            found.append(workload)
    found.sort(key=lambda w: w.name)
    if only:
        missing = set(only) - {w.name for w in found}
        if missing:
            raise SystemExit(
                f"unknown workload(s): {', '.join(sorted(missing))}; known: {', '.join(w.name for w in found)}"
            )
        found = [w for w in found if w.name in only]
    return found


# --- running -------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    description: str
    goal: str
    goal_ratio: float
    goal_against: str
    medians: dict[str, float]  # seconds per call
    samples: dict[str, list[float]]
    loops: dict[str, int]  # calls per sample
    ratios: dict[str, float]  # ours / other
    ok: bool


def _sample(fn: Contestant, ctx: Context, loops: int) -> float:
    """Seconds per call over ``loops`` calls, with the garbage collector paused as timeit does."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        started = time.perf_counter()
        for _ in range(loops):
            fn(ctx)
        return (time.perf_counter() - started) / loops
    finally:
        if enabled:
            gc.enable()


def run_workload(workload: Workload, ctx: Context) -> Result:
    ctx.exit_stack = ExitStack()
    try:
        ctx.state = workload.setup(ctx)
        order = [name for name in CONTESTANTS if name in workload.contestants]
        answers = {name: workload.contestants[name](ctx) for name in order}  # warm-up and the answer
        if workload.verify is not None:
            workload.verify(answers)
        else:
            expected = answers["ours"]
            for name, answer in answers.items():
                if answer != expected:
                    raise VerificationError(f"{workload.name}: {name} answered {answer!r}, ours {expected!r}")
        loops = {}
        for name in order:  # calibrate: enough calls per sample to last ``min_time``
            once = _sample(workload.contestants[name], ctx, 1)
            loops[name] = max(1, min(100_000, math.ceil(ctx.min_time / max(once, 1e-7))))
        samples: dict[str, list[float]] = {name: [] for name in order}
        for _round in range(ctx.rounds):  # interleaved: ours, reference, peer, ours, …
            for name in order:
                samples[name].append(_sample(workload.contestants[name], ctx, loops[name]))
    finally:
        ctx.close()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    ratios = {name: medians["ours"] / medians[name] for name in order if name != "ours"}
    return Result(
        name=workload.name,
        description=workload.description,
        goal=workload.goal,
        goal_ratio=workload.goal_ratio,
        goal_against=workload.goal_against,
        medians=medians,
        samples=samples,
        loops=loops,
        ratios=ratios,
        ok=ratios[workload.goal_against] <= workload.goal_ratio,
    )


# --- reporting -----------------------------------------------------------------------------------

HEADER = ("workload", "ours", "reference", "peer", "ours/ref", "ours/peer", "goal", "holds")


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.3f} ms"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def table(results: Sequence[Result]) -> str:
    rows = [HEADER] + [
        (
            r.name,
            _ms(r.medians.get("ours")),
            _ms(r.medians.get("reference")),
            _ms(r.medians.get("peer")),
            _ratio(r.ratios.get("reference")),
            _ratio(r.ratios.get("peer")),
            r.goal,
            "yes" if r.ok else "NO",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]

    def line(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(rows[0]), rule, *(line(row) for row in rows[1:])])


def environment(ctx: Context, database_label: str) -> dict[str, Any]:
    import django
    from django.db import connection

    from xietong.org.models import Team, User

    if connection.vendor == "postgresql":
        version = ctx.scalar("SHOW server_version")
        database = f"PostgreSQL {version}"
    else:
        import sqlite3

        database = f"SQLite {sqlite3.sqlite_version}"
    return {
        "cpus": os.cpu_count(),
        "database": database,
        "database_location": database_label,
        "python": platform.python_version(),
        "django": django.get_version(),
        "platform": platform.platform(),
        "scale": ctx.scale,
        "users": User.objects.count(),
        "teams": Team.objects.count(),
        "rounds": ctx.rounds,
        "min_time": ctx.min_time,
    }


def describe_environment(env: dict[str, Any]) -> Iterator[str]:
    yield (
        f"Environment: {env['cpus']} CPUs · {env['database']} ({env['database_location']}) · "
        f"Python {env['python']} · Django {env['django']} · {env['platform']}"
    )
    yield (
        f"Data: scale {env['scale']} ({env['users']:,} users, {env['teams']:,} teams) · "
        f"{env['rounds']} interleaved rounds after a warm-up, samples of ≥ {env['min_time']} s, medians"
    )


def write_results(directory: Path, env: dict[str, Any], results: Sequence[Result]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{stamp}-{env['scale']}.json"
    path.write_text(
        json.dumps({"environment": env, "workloads": [asdict(r) for r in results]}, ensure_ascii=False, indent=2)
    )
    return path


def err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
