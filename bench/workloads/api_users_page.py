"""``GET /api/v1/users?page_size=50`` for a BU head, against a bare Django view doing the same page.

Both go through Django's test client with the same session, settings and middleware, so what
differs is what happens inside: ours is the django-ninja endpoint (token-or-session auth, the
viewer's access, the visibility predicate, the keyset page with its next cursor, the roles prefetch,
pydantic serialisation); the bare view is one keyset ``SELECT`` of the page (the BU scope taken
from the viewer's role in SQL), one ``SELECT`` of the page's roles and ``JsonResponse`` — the
floor for an API page on this server configuration. It exists only in the benchmark process,
through ``bench.urls``.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse

from bench import viewers
from bench.core import Context, VerificationError, Workload, placeholders

URL_OURS = "/api/v1/users?page_size=50"
URL_BARE = "/bench/bare/users?limit=50"

BARE_PAGE_SQL = (
    "SELECT u.id, u.username, u.display_name, u.email, u.mobile, u.title, u.is_active, u.language, "
    "u.primary_team_id, u.business_unit_id FROM org_user u "
    "WHERE u.is_active AND u.username > %s AND u.business_unit_id IN ("
    "SELECT ur.business_unit_id FROM org_userrole ur JOIN org_rolepermission rp ON rp.role_id = ur.role_id "
    "WHERE ur.user_id = %s AND rp.module = 'org' AND rp.can_view AND rp.scope >= 50) "
    "ORDER BY u.username LIMIT %s"
)
BARE_ROLES_SQL = (
    "SELECT ur.user_id, ur.id, r.id, r.name, b.id, b.name FROM org_userrole ur JOIN org_role r ON r.id = ur.role_id "
    "LEFT JOIN org_businessunit b ON b.id = ur.business_unit_id WHERE ur.user_id IN ({ids}) ORDER BY ur.id"
)
FIELDS = (
    "id",
    "username",
    "display_name",
    "email",
    "mobile",
    "title",
    "is_active",
    "language",
    "primary_team_id",
    "business_unit_id",
)


def bare_users(request: HttpRequest) -> JsonResponse:
    """The floor: a keyset page of the users in the viewer's BUs, as JSON, with no framework above Django."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "Authentication required.", "errors": []}, status=401)
    limit = min(int(request.GET.get("limit", 50)), 200)
    after = request.GET.get("after", "")
    with connection.cursor() as cursor:
        cursor.execute(BARE_PAGE_SQL, [after, request.user.pk, limit])
        rows = cursor.fetchall()
        roles: dict[int, list[dict[str, Any]]] = {}
        if rows:
            cursor.execute(BARE_ROLES_SQL.format(ids=placeholders(len(rows))), [row[0] for row in rows])
            for user_id, grant_id, role_id, role_name, bu_id, bu_name in cursor.fetchall():
                roles.setdefault(user_id, []).append(
                    {
                        "id": grant_id,
                        "role": {"id": role_id, "name": role_name},
                        "business_unit": {"id": bu_id, "name": bu_name} if bu_id else None,
                    }
                )
    items = [
        {**dict(zip(FIELDS, row, strict=True)), "is_active": bool(row[6]), "roles": roles.get(row[0], [])}
        for row in rows
    ]
    return JsonResponse({"results": items, "next": rows[-1][1] if len(rows) == limit else None})


def setup(ctx: Context) -> Any:
    from django.conf import settings
    from django.test import Client, override_settings

    head = viewers.bu_head(ctx)
    ctx.exit_stack.enter_context(
        override_settings(
            ROOT_URLCONF="bench.urls",
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
            DEBUG=False,
        )
    )
    client = Client()
    client.force_login(head.user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _get(ctx: Context, url: str) -> Any:
    response = ctx.state.get(url)
    if response.status_code != 200:
        raise VerificationError(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
    return response


def ours(ctx: Context) -> Any:
    return _get(ctx, URL_OURS)


def bare(ctx: Context) -> Any:
    return _get(ctx, URL_BARE)


def verify(answers: dict[str, Any]) -> None:
    pages = {name: json.loads(response.content)["results"] for name, response in answers.items()}
    if [u["id"] for u in pages["ours"]] != [u["id"] for u in pages["reference"]] or not pages["ours"]:
        raise VerificationError("api_users_page: the pages differ or are empty")
    if pages["ours"][0].keys() != pages["reference"][0].keys():
        raise VerificationError(
            f"api_users_page: different fields: {sorted(pages['ours'][0])} vs {sorted(pages['reference'][0])}"
        )


WORKLOAD = Workload(
    name="api_users_page",
    description="GET /api/v1/users?page_size=50 as a BU head vs a bare Django view with the same keyset SELECT",
    goal_ratio=5.0,  # ninja + pydantic serialisation of 50 rows costs ~1 ms more than json.dumps of tuples
    setup=setup,
    contestants={"ours": ours, "reference": bare},
    verify=verify,
)
