"""The first page of the user list (50 rows by username) for a sales manager and a BU head.

Ours: ``selectors.user_list`` fully evaluated — the visibility predicate from the viewer's roles,
``select_related`` of team and BU, the roles prefetched — as the list page and the API use it.
Reference: the same page written by hand in SQL (the subtree as ``path LIKE 'prefix%'`` over
``org_teammembership``/``org_team``), plus one query for the page's roles.
"""

from __future__ import annotations

from typing import Any

from bench import viewers
from bench.core import Context, VerificationError, Workload, placeholders

PAGE = 50

COLUMNS = (
    "SELECT u.id, u.username, u.display_name, u.email, u.mobile, u.title, u.is_active, "
    "t.id, t.name, b.id, b.name FROM org_user u "
    "LEFT JOIN org_team t ON t.id = u.primary_team_id "
    "LEFT JOIN org_businessunit b ON b.id = u.business_unit_id "
)


def team_tree_page_sql(paths: int) -> str:
    """A team + sub-teams viewer whose role is limited to one BU: self, or a member of a team in the subtrees."""
    likes = " OR ".join(["mt.path LIKE %s"] * paths)
    return (
        COLUMNS + "WHERE u.is_active AND u.business_unit_id = %s AND (u.id = %s OR u.id IN ("
        "SELECT m.user_id FROM org_teammembership m JOIN org_team mt ON mt.id = m.team_id WHERE " + likes + ")) "
        f"ORDER BY u.username LIMIT {PAGE}"
    )


BU_PAGE_SQL = COLUMNS + f"WHERE u.is_active AND u.business_unit_id = %s ORDER BY u.username LIMIT {PAGE}"

ROLES_SQL = (
    "SELECT ur.user_id, ur.id, r.id, r.name, b.id, b.name FROM org_userrole ur "
    "JOIN org_role r ON r.id = ur.role_id LEFT JOIN org_businessunit b ON b.id = ur.business_unit_id "
    "WHERE ur.user_id IN ({ids})"
)


def setup(ctx: Context) -> dict[str, Any]:
    manager, head = viewers.sales_director(ctx), viewers.bu_head(ctx)
    return {
        "viewers": [manager.user, head.user],
        "queries": [
            (
                team_tree_page_sql(len(manager.paths)),
                [manager.business_unit_id, manager.user.pk, *(p + "%" for p in manager.paths)],
            ),
            (BU_PAGE_SQL, [head.business_unit_id]),
        ],
    }


def ours(ctx: Context) -> list[list[int]]:
    from xietong.org import selectors

    pages = []
    for viewer in ctx.state["viewers"]:
        page = list(selectors.user_list(user=viewer)[:PAGE])
        for user in page:  # what a row shows; select_related and the prefetch make these free
            _ = (user.primary_team, user.business_unit, [ur.role.name for ur in user.role_badges])
        pages.append([user.pk for user in page])
    return pages


def reference(ctx: Context) -> list[list[int]]:
    pages = []
    for query, params in ctx.state["queries"]:
        rows = ctx.sql(query, params)
        ids = [row[0] for row in rows]
        roles: dict[int, list[tuple[Any, ...]]] = {}
        if ids:
            for role in ctx.sql(ROLES_SQL.format(ids=placeholders(len(ids))), ids):
                roles.setdefault(role[0], []).append(role)
        pages.append(ids)
    return pages


def verify(answers: dict[str, Any]) -> None:
    if answers["ours"] != answers["reference"] or not all(answers["ours"]):
        raise VerificationError(f"org_user_list_visible: the pages differ or are empty: {answers}")


WORKLOAD = Workload(
    name="org_user_list_visible",
    description="user list, first page of 50 by username, for a sales manager (team tree) and a BU head",
    goal_ratio=3.0,
    setup=setup,
    contestants={"ours": ours, "reference": reference},
    verify=verify,
)
