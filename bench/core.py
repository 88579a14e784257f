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


class Skip(Exception):
    """Raised by a workload's setup (the whole workload) or by a contestant on its first call (that
    contestant only; ours or the goal's reference: the whole workload) when it cannot run here: no
    PostgreSQL, the peer not installable, an app function not there yet. The reason is printed."""


@dataclass(frozen=True)
class Measured:
    """What a contestant returns when it times itself (a load test's percentile, seconds per row of
    an import that runs in a subprocess): ``seconds`` replaces the wall time of the call, ``info``
    (request counts, errors, peak memory …) is kept per sample for the workload's ``checks``."""

    answer: Any
    seconds: float
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """An absolute goal beside the ratio (p99 ≤ 25 ms, recall ≥ 0.95, 0 double claims …)."""

    label: str
    value: str
    goal: str
    ok: bool


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    goal_ratio: float | None  # ours / reference (or ``goal_against``) must be at most this; None: checks only
    setup: Callable[[Context], Any]
    contestants: dict[str, Contestant]
    verify: Callable[[dict[str, Any]], None] | None = None
    goal_against: str = "reference"
    # more ratio goals, e.g. {"peer": 0.01} (≥ 100× the peer), judged when that contestant ran
    extra_goals: dict[str, float] = field(default_factory=dict)
    # untimed, before every call of a contestant (undo the previous import …); each sample is one call
    prepare: Callable[[Context, str], None] | None = None
    # absolute goals, from the state and the ``Measured.info`` of every sample of every contestant
    checks: Callable[[Context, dict[str, list[dict[str, Any]]]], list[Check]] | None = None

    def __post_init__(self) -> None:
        unknown = set(self.contestants) - set(CONTESTANTS)
        if unknown or "ours" not in self.contestants or self.goal_against not in self.contestants:
            raise ValueError(
                f"{self.name}: contestants must include 'ours' and {self.goal_against!r}, and be among {CONTESTANTS}"
            )

    @property
    def goal(self) -> str:
        goal = "checks" if self.goal_ratio is None else f"≤ {self.goal_ratio:g}× {self.goal_against}"
        for name, ratio in self.extra_goals.items():
            goal += f", ≤ {ratio:g}× {name}"
        return goal


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
        found += [w for w in getattr(module, "WORKLOADS", ()) if isinstance(w, Workload)]  # a family of them
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
    goal_ratio: float | None
    goal_against: str
    medians: dict[str, float]  # seconds per call
    samples: dict[str, list[float]]
    loops: dict[str, int]  # calls per sample
    ratios: dict[str, float]  # ours / other
    ok: bool
    skipped: str = ""  # why the workload did not run (not a failure)
    notes: list[str] = field(default_factory=list)  # contestants that could not run, and why
    checks: list[Check] = field(default_factory=list)


def _sample(fn: Contestant, ctx: Context, loops: int, infos: list[dict[str, Any]] | None = None) -> float:
    """Seconds per call over ``loops`` calls, with the garbage collector paused as timeit does (or
    the contestant's own figure when it returns ``Measured``)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        measured = 0.0
        started = time.perf_counter()
        for _ in range(loops):
            answer = fn(ctx)
            if isinstance(answer, Measured):
                measured += answer.seconds
                if infos is not None:
                    infos.append(answer.info)
        wall = time.perf_counter() - started
        return (measured if measured else wall) / loops
    finally:
        if enabled:
            gc.enable()


def _answer(value: Any) -> Any:
    return value.answer if isinstance(value, Measured) else value


def skipped_result(workload: Workload, reason: str, *, ok: bool = True) -> Result:
    return Result(
        name=workload.name,
        description=workload.description,
        goal=workload.goal,
        goal_ratio=workload.goal_ratio,
        goal_against=workload.goal_against,
        medians={},
        samples={},
        loops={},
        ratios={},
        ok=ok,
        skipped=reason,
    )


def run_workload(workload: Workload, ctx: Context) -> Result:
    ctx.exit_stack = ExitStack()
    notes: list[str] = []
    infos: dict[str, list[dict[str, Any]]] = {}
    try:
        try:
            ctx.state = workload.setup(ctx)
        except Skip as exc:
            return skipped_result(workload, str(exc))
        order = [name for name in CONTESTANTS if name in workload.contestants]
        answers = {}
        for name in list(order):  # warm-up and the answer
            if workload.prepare is not None:
                workload.prepare(ctx, name)
            try:
                answers[name] = _answer(workload.contestants[name](ctx))
            except Skip as exc:
                if name in ("ours", workload.goal_against):
                    return skipped_result(workload, f"{name}: {exc}")
                order.remove(name)
                notes.append(f"{name} did not run: {exc}")
        if workload.verify is not None:
            workload.verify(answers)
        else:
            expected = answers["ours"]
            for name, answer in answers.items():
                if answer != expected:
                    raise VerificationError(f"{workload.name}: {name} answered {answer!r}, ours {expected!r}")
        loops = {}
        for name in order:  # calibrate: enough calls per sample to last ``min_time``
            if workload.prepare is not None:
                loops[name] = 1  # every call needs its preparation
                continue
            once = _sample(workload.contestants[name], ctx, 1)
            loops[name] = max(1, min(100_000, math.ceil(ctx.min_time / max(once, 1e-7))))
        samples: dict[str, list[float]] = {name: [] for name in order}
        infos = {name: [] for name in order}
        for _round in range(ctx.rounds):  # interleaved: ours, reference, peer, ours, …
            for name in order:
                if workload.prepare is not None:
                    workload.prepare(ctx, name)
                samples[name].append(_sample(workload.contestants[name], ctx, loops[name], infos[name]))
        checks = workload.checks(ctx, infos) if workload.checks is not None else []
    finally:
        ctx.close()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    ratios = {name: medians["ours"] / medians[name] for name in order if name != "ours"}
    ok = workload.goal_ratio is None or ratios[workload.goal_against] <= workload.goal_ratio
    ok = ok and all(ratios[name] <= limit for name, limit in workload.extra_goals.items() if name in ratios)
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
        ok=ok and all(check.ok for check in checks),
        notes=notes,
        checks=checks,
    )


# --- reporting -----------------------------------------------------------------------------------

HEADER = ("workload", "ours", "reference", "peer", "ours/ref", "ours/peer", "goal", "holds")


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1e-4:
        return f"{seconds * 1e6:.2f} µs"
    return f"{seconds * 1000:.3f} ms"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def table(results: Sequence[Result]) -> str:
    rows = [HEADER] + [
        (r.name, "skipped" if r.ok else "ERROR", "—", "—", "—", "—", r.goal, "—" if r.ok else "NO")
        if r.skipped
        else (
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


def details(results: Sequence[Result]) -> Iterator[str]:
    """Below the table: why a workload was skipped, which contestant could not run, and the absolute goals."""
    for r in results:
        if r.skipped:
            yield f"{r.name}: {'skipped: ' if r.ok else ''}{r.skipped}"
        for note in r.notes:
            yield f"{r.name}: {note}"
        for check in r.checks:
            yield f"{r.name}: {check.label} = {check.value} (goal {check.goal}) {'yes' if check.ok else 'NO'}"


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
