"""The pipeline data of the benchmarks (B4, the kanban board): opportunities at a scale, seeded, on the
customers of the CRM data set (``crm_data``), in each demo BU's standard process.

``load(scale)`` writes the data set once per database (a marker row in ``bench_pipeline_dataset``;
a changed generator bumps ``DATA_VERSION``), with ``COPY`` on PostgreSQL and ``executemany`` on
SQLite, straight into the app's tables: the board and the stage move are what the workload measures,
not what loads its data. It keeps the services' invariants by hand: the opportunity's BU is its
owner's and its process is that BU's default one, probability and forecast category are the stage's,
a closed opportunity sits in the won or lost stage with ``closed_at`` (and a reason when lost), and
the owner is on the deal team with the whole revenue credit. Stage history (``StageMove``) is not
written: neither the board nor a move reads it.

Owners: ``TEAM_SHARE`` (5 %) of the opportunities go to the members of **the board team** — the
industrial BU's 华东大区 (its regional manager, the demo reps of 上海组 and 杭州组 and, at scale, the
city groups added under it) — so that its manager's team board sees about 50,000 of 1,000,000; the
rest go to the other sales reps and managers of the three BUs (the CRM data's owners first, then up
to ``OTHER_OWNERS`` reps added at scale per BU). Customers are drawn from the CRM data set's range.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bench import crm_data

SEED = 20261204
DATA_VERSION = 1
SCALES: dict[str, int] = {"demo": 1_000, "smoke": 4_000, "100k": 100_000, "1M": 1_000_000}
TEAM_SHARE = 0.05
BOARD_BU = "ind"
BOARD_REGION = "华东大区"  # under the BU's 销售中心; managed by a 大区经理 in the demo group
OTHER_OWNERS = 5_000
CLOSED_SHARE = 0.3  # won or lost, closed over the two years before REFERENCE_NOW
OPEN_WEIGHTS = (30, 25, 20, 15, 10)  # the open stages, first to last
CHUNK = 20_000
MARKER_TABLE = "bench_pipeline_dataset"
PROJECTS = ("采购项目", "扩产项目", "设备更新改造", "二期项目", "年度框架采购", "新厂建设项目")


@dataclass
class Dataset:
    scale: str
    opportunities: int
    first_id: int
    last_id: int
    team_id: int
    team_path: str
    manager_id: int
    team_opportunities: int
    processes: dict[str, int]
    seconds: float = 0.0
    skipped: bool = False
    created: dict[str, int] = field(default_factory=dict)


def _ensure_table(cursor: Any) -> None:
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (scale varchar(10) PRIMARY KEY, info text NOT NULL)")


def loaded(scale: str) -> Dataset | None:
    from django.db import connection

    with connection.cursor() as cursor:
        _ensure_table(cursor)
        cursor.execute(f"SELECT info FROM {MARKER_TABLE} WHERE scale = %s", [scale])
        row = cursor.fetchone()
    if row is None:
        return None
    info = json.loads(row[0])
    if info.pop("version", None) != DATA_VERSION:
        raise RuntimeError(
            f"the pipeline data of scale {scale} in this database was made by an older generator: "
            "delete the database (var/bench-<scale>.sqlite3, or drop the PostgreSQL database) and run again"
        )
    return Dataset(**info, skipped=True)


def board_team() -> tuple[int, str, int]:
    """(team id, path, manager's user id) of the board team: the industrial BU's 华东大区."""
    from xietong.org import demo
    from xietong.org.models import Team, TeamMembership

    team = Team.objects.get(
        business_unit__code=BOARD_BU, name=BOARD_REGION, parent__name=demo.SALES_CENTER, parent__parent__isnull=True
    )
    manager = (
        TeamMembership.objects.filter(team=team, is_manager=True).order_by("user_id").values_list("user_id", flat=True)
    )
    if not manager:
        raise LookupError(f"{BOARD_REGION} has no manager: load the demo group first")
    return team.pk, team.path, int(manager[0])


def _processes() -> dict[str, Any]:
    """Each demo BU's default process (the demo step made the standard one; made here if missing)."""
    from xietong.org.models import BusinessUnit, UserRole
    from xietong.pipeline import configuration, services

    out = {}
    for bu in BusinessUnit.objects.filter(code__in=list(crm_data.BU_WEIGHTS)).order_by("code"):
        process = services.default_process(bu)
        if process is None:
            head = UserRole.objects.filter(role__code="bu_head", business_unit=bu).order_by("user_id").first()
            if head is None:
                raise LookupError(f"{bu} has no head: load the demo group first")
            process = configuration.process_create(actor=head.user, business_unit=bu, name="标准销售流程")
        out[bu.code] = process
    return out


def _owners(team_path: str) -> tuple[list[int], dict[str, list[int]]]:
    """The board team's members (all in the industrial BU) and the other owners of each BU."""
    from django.db.models import Q

    from xietong.org.models import TeamMembership, UserRole

    team = sorted(
        set(
            TeamMembership.objects.filter(team__path__startswith=team_path, user__is_active=True).values_list(
                "user_id", flat=True
            )
        )
    )
    taken = set(team)
    others: dict[str, list[int]] = {}
    for code, ids in crm_data.owners_by_bu().items():
        mine = [pk for pk in ids if pk not in taken]
        extra = (
            UserRole.objects.filter(Q(role__code="sales_rep"), business_unit__code=code, user__is_active=True)
            .exclude(user_id__in=[*taken, *mine])
            .order_by("user_id")
            .values_list("user_id", flat=True)[:OTHER_OWNERS]
        )
        others[code] = mine + [pk for pk in extra if pk not in taken]
    return team, others


def load(scale: str, *, progress: Callable[[str], None] | None = None) -> Dataset:
    """Load the pipeline data set of ``scale`` into the current database, once (idempotent per scale)."""
    from django.db import connection, transaction

    from xietong.pipeline.choices import ForecastCategory, LostReason, MemberAccess, StageKind, TeamRole
    from xietong.pipeline.models import DealTeamMember, Opportunity

    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    found = loaded(scale)
    if found is not None:
        return found
    crm = crm_data.loaded(scale)
    if crm is None:
        raise LookupError(f"no CRM data of scale {scale} in this database: load it first (crm_data.load)")
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    count = SCALES[scale]
    rng = random.Random(f"{SEED}/opportunities")  # reproducible data, not secrets
    with transaction.atomic():
        team_id, team_path, manager_id = board_team()
        processes = _processes()
        bu_ids = {code: p.business_unit_id for code, p in processes.items()}
        stages = {code: list(p.stages.order_by("position")) for code, p in processes.items()}
        team, others = _owners(team_path)
        codes, weights = list(crm_data.BU_WEIGHTS), list(crm_data.BU_WEIGHTS.values())
        first = crm_data._next_id(Opportunity)
        opportunities = crm_data._Writer(
            Opportunity,
            [
                *("id", "name", "customer_id", "business_unit_id", "process_id", "stage_id", "owner_id", "status"),
                *("amount", "expected_close", "probability", "forecast_category", "source", "next_step"),
                *("next_step_date", "stage_entered_at", "last_activity_at", "closed_at", "lost_reason", "lost_to"),
                *("created_at", "updated_at"),
            ],
        )
        members = crm_data._Writer(
            DealTeamMember, ["opportunity_id", "user_id", "role", "access", "split", "added_by_id", "added_at"]
        )
        now = crm_data.REFERENCE_NOW
        span = crm.last_customer_id - crm.first_customer_id
        in_team = 0
        for start in range(0, count, CHUNK):
            rows, team_rows = [], []
            for index in range(start, min(count, start + CHUNK)):
                pk = first + index
                if rng.random() < TEAM_SHARE:
                    code, owner = BOARD_BU, team[index % len(team)]
                    in_team += 1
                else:
                    code = rng.choices(codes, weights)[0]
                    owner = others[code][rng.randrange(len(others[code]))]
                process_stages = stages[code]
                open_stages = [s for s in process_stages if s.kind == StageKind.OPEN]
                closed = rng.random() < CLOSED_SHARE
                if closed:
                    won = rng.random() < 0.45
                    stage = next(s for s in process_stages if s.kind == (StageKind.WON if won else StageKind.LOST))
                    closed_at = now - timedelta(days=rng.uniform(0, 730))
                    created = closed_at - timedelta(days=rng.uniform(10, 200))
                    entered, activity = closed_at, closed_at
                    status = "won" if won else "lost"
                    category = ForecastCategory.CLOSED if won else ForecastCategory.OMITTED
                else:
                    stage = rng.choices(open_stages, OPEN_WEIGHTS[: len(open_stages)])[0]
                    created = now - timedelta(days=rng.uniform(1, 365))
                    entered = created + (now - created) * rng.random()
                    activity = entered + (now - entered) * rng.random()
                    closed_at, status, category = None, "open", stage.forecast_category
                amount = Decimal(rng.randrange(1_000, 500_000) * 100 + rng.randrange(100)) / 100
                close = (closed_at or now + timedelta(days=rng.randint(-30, 180))).date()
                rows.append(
                    {
                        "id": pk,
                        "name": f"基准商机{pk}{rng.choice(PROJECTS)}",
                        "customer_id": crm.first_customer_id + rng.randint(0, span),
                        "business_unit_id": bu_ids[code],
                        "process_id": stage.process_id,
                        "stage_id": stage.pk,
                        "owner_id": owner,
                        "status": status,
                        "amount": amount,
                        "expected_close": close,
                        "probability": stage.probability,
                        "forecast_category": category,
                        "source": rng.choice(crm_data.SOURCES),
                        "next_step": "" if closed else "电话跟进",
                        "next_step_date": None if closed else (activity + timedelta(days=7)).date(),
                        "stage_entered_at": entered,
                        "last_activity_at": activity,
                        "closed_at": closed_at,
                        "lost_reason": LostReason.PRICE if status == "lost" else "",
                        "lost_to": "",
                        "created_at": created,
                        "updated_at": activity,
                    }
                )
                team_rows.append(
                    {
                        "opportunity_id": pk,
                        "user_id": owner,
                        "role": TeamRole.SALES,
                        "access": MemberAccess.EDIT,
                        "split": Decimal("100.00"),
                        "added_by_id": owner,
                        "added_at": created,
                    }
                )
            opportunities.write(rows)
            members.write(team_rows)
            say(f"opportunities {opportunities.count:,}/{count:,}")
        crm_data._reset_sequences([Opportunity, DealTeamMember])
        result = Dataset(
            scale=scale,
            opportunities=count,
            first_id=first,
            last_id=first + count - 1,
            team_id=team_id,
            team_path=team_path,
            manager_id=manager_id,
            team_opportunities=in_team,
            processes={code: p.pk for code, p in processes.items()},
            created={"opportunities": opportunities.count, "deal team members": members.count},
        )
        result.seconds = time.perf_counter() - started
        info = {k: v for k, v in result.__dict__.items() if k != "skipped"} | {"version": DATA_VERSION}
        with connection.cursor() as cursor:
            _ensure_table(cursor)
            cursor.execute(f"INSERT INTO {MARKER_TABLE} (scale, info) VALUES (%s, %s)", [scale, json.dumps(info)])
    if connection.vendor == "postgresql":
        # the steady state autovacuum brings after a bulk load: statistics, and the visibility map
        # that lets the board's covering index answer without reading the table
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) pipeline_opportunity")
            cursor.execute("VACUUM (ANALYZE) pipeline_dealteammember")
    return result
