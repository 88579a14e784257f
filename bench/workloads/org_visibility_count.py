"""COUNT of the users visible to a sales rep (team), a sales manager (team tree) and a BU head (BU).

Ours: ``User.objects.visible_to(viewer).count()`` — the predicate our policy builds from the
viewer's roles. Reference: the same three counts written by hand in SQL. Counting is what every
paginated list and every dashboard tile does, so the predicate's shape matters here alone.
"""

from __future__ import annotations

from typing import Any

from bench import viewers
from bench.core import Context, Workload, placeholders


def setup(ctx: Context) -> dict[str, Any]:
    rep, manager, head = viewers.sales_rep(ctx), viewers.sales_director(ctx), viewers.bu_head(ctx)
    likes = " OR ".join(["t.path LIKE %s"] * len(manager.paths))
    return {
        "viewers": [rep.user, manager.user, head.user],
        "queries": [
            # team scope, role limited to the BU: self or a member of one of the rep's teams
            (
                "SELECT COUNT(*) FROM org_user u WHERE u.business_unit_id = %s AND (u.id = %s OR u.id IN ("
                f"SELECT m.user_id FROM org_teammembership m WHERE m.team_id IN ({placeholders(len(rep.team_ids))})))",
                [rep.business_unit_id, rep.user.pk, *rep.team_ids],
            ),
            # team + sub-teams: a member of any team whose path starts with one of the manager's team paths
            (
                "SELECT COUNT(*) FROM org_user u WHERE u.business_unit_id = %s AND (u.id = %s OR u.id IN ("
                f"SELECT m.user_id FROM org_teammembership m JOIN org_team t ON t.id = m.team_id WHERE {likes}))",
                [manager.business_unit_id, manager.user.pk, *(p + "%" for p in manager.paths)],
            ),
            ("SELECT COUNT(*) FROM org_user u WHERE u.business_unit_id = %s", [head.business_unit_id]),
        ],
    }


def ours(ctx: Context) -> list[int]:
    from xietong.org.models import User

    return [User.objects.visible_to(viewer).count() for viewer in ctx.state["viewers"]]


def reference(ctx: Context) -> list[int]:
    return [ctx.scalar(query, params) for query, params in ctx.state["queries"]]


WORKLOAD = Workload(
    name="org_visibility_count",
    description="COUNT of visible users for a sales rep, a sales manager and a BU head",
    goal_ratio=2.0,
    setup=setup,
    contestants={"ours": ours, "reference": reference},
)
