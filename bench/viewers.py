"""The demo users the organisation workloads look through, and their scope as plain data.

Ours gets the user object (its ``access`` computed once, as after the first query of a
request); the hand-written references get the same facts — the viewer's id, teams, team paths
and the BU their role is limited to — read here with plain SQL, not through ``Access``, so a
mistake in our access code cannot leak into the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.core import Context
from xietong.org import demo

BU = "ind"  # the industrial BU: the largest at every scale


@dataclass(frozen=True)
class Viewer:
    label: str
    user: Any
    team_ids: tuple[int, ...]
    paths: tuple[str, ...]
    business_unit_id: int


def _viewer(ctx: Context, label: str, user_id: int) -> Viewer:
    from xietong.org.models import User

    user = User.objects.get(pk=user_id)
    _ = user.access  # computed once per request in the app; cached on the object from here on
    rows = ctx.sql(
        "SELECT t.id, t.path FROM org_teammembership m JOIN org_team t ON t.id = m.team_id "
        "WHERE m.user_id = %s AND t.is_active ORDER BY t.id",
        [user_id],
    )
    bu_id = ctx.scalar(
        "SELECT ur.business_unit_id FROM org_userrole ur WHERE ur.user_id = %s AND ur.business_unit_id IS NOT NULL",
        [user_id],
    )
    return Viewer(
        label=label,
        user=user,
        team_ids=tuple(r[0] for r in rows),
        paths=tuple(r[1] for r in rows),
        business_unit_id=bu_id,
    )


def _one(ctx: Context, query: str, params: list[Any]) -> int:
    rows = ctx.sql(query, params)
    if len(rows) != 1:
        raise LookupError(f"expected one demo user, found {len(rows)}: is the demo group loaded?")
    return int(rows[0][0])


def bu_head(ctx: Context) -> Viewer:
    user_id = _one(
        ctx,
        "SELECT ur.user_id FROM org_userrole ur JOIN org_role r ON r.id = ur.role_id "
        "JOIN org_businessunit b ON b.id = ur.business_unit_id "
        "WHERE r.code = 'bu_head' AND b.code = %s",
        [BU],
    )
    return _viewer(ctx, "BU head", user_id)


def sales_director(ctx: Context) -> Viewer:
    """The sales manager who manages the BU's whole sales centre (team + sub-teams: the widest tree)."""
    user_id = _one(
        ctx,
        "SELECT u.id FROM org_user u JOIN org_team t ON t.id = u.primary_team_id "
        "JOIN org_businessunit b ON b.id = t.business_unit_id "
        "WHERE b.code = %s AND t.parent_id IS NULL AND t.name = %s",
        [BU, demo.SALES_CENTER],
    )
    return _viewer(ctx, "sales manager", user_id)


def sales_rep(ctx: Context) -> Viewer:
    """The first rep of the BU's first city group (上海组)."""
    rows = ctx.sql(
        "SELECT u.id FROM org_user u JOIN org_team t ON t.id = u.primary_team_id "
        "JOIN org_businessunit b ON b.id = t.business_unit_id "
        "JOIN org_userrole ur ON ur.user_id = u.id JOIN org_role r ON r.id = ur.role_id "
        "WHERE b.code = %s AND t.name = %s AND r.code = 'sales_rep' ORDER BY u.username LIMIT 1",
        [BU, demo.BUSINESS_UNITS[0].regions[0].groups[0]],
    )
    return _viewer(ctx, "sales rep", int(rows[0][0]))
