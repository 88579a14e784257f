"""Every page and endpoint × every built-in role × a record outside the role's scope → 404, nothing changed.

Later apps add their routes to ROUTES (and their record kinds to ``foreign_records``);
``test_every_route_with_an_id_is_in_the_matrix`` fails when a page or endpoint is missing here.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from openpyxl import load_workbook

from tests.approvals import matrix as matrix_approvals
from tests.catalog import matrix as matrix_catalog
from tests.conftest import login
from tests.contracts import matrix as matrix_contracts
from tests.customers import matrix_customers, matrix_duplicates, matrix_pools
from tests.imports import matrix as matrix_imports
from tests.leads import matrix as matrix_leads
from tests.orders import matrix as matrix_orders
from tests.pipeline import matrix_analytics as matrix_pipeline_analytics
from tests.pipeline import matrix_api as matrix_pipeline_api
from tests.pipeline import matrix_board as matrix_pipeline_board
from tests.pipeline import matrix_forecast as matrix_pipeline_forecast
from tests.pipeline import matrix_pages as matrix_pipeline_pages
from tests.quotes import matrix as matrix_quotes
from tests.receivables import matrix as matrix_receivables
from tests.sampleapp.services import deal_create
from tests.supply import matrix as matrix_supply
from tests.support.factories import UserFactory, grant, make_role, png_bytes, upload
from tests.support.matrix import Route, assert_invisible, normalise, uncovered_routes
from xietong.collaboration import attachments, comments, tasks_services
from xietong.collaboration import services as collab
from xietong.collaboration.models import Notification
from xietong.core.choices import DataScope
from xietong.core.exports import CONTENT_TYPE
from xietong.core.models import RecordShare
from xietong.org import services
from xietong.org.defaults import ensure_default_roles
from xietong.org.models import TeamMembership

pytestmark = pytest.mark.django_db

API_ROUTES = [
    Route("GET", "/api/v1/business-units/{pk}", "business_unit", api=True),
    Route("PATCH", "/api/v1/business-units/{pk}", "business_unit", {"name": "改名"}, api=True),
    Route("GET", "/api/v1/teams/{pk}", "team", api=True),
    Route("PATCH", "/api/v1/teams/{pk}", "team", {"name": "改名"}, api=True),
    Route("GET", "/api/v1/teams/{pk}/why", "team", api=True),
    Route("GET", "/api/v1/users/{pk}", "user", api=True),
    Route("PATCH", "/api/v1/users/{pk}", "user", {"title": "改"}, api=True),
    Route("POST", "/api/v1/users/{pk}/reset-password", "user", {}, api=True),
    Route("GET", "/api/v1/users/{pk}/why", "user", api=True),
    Route("POST", "/api/v1/users/{pk}/roles", "user", {"role_id": 0}, api=True, extra={}),
    Route(
        "DELETE",
        "/api/v1/users/{pk}/roles/{grant_id}",
        "user",
        api=True,
        extra={"grant_id": lambda rec: rec.user_roles.first().pk},
    ),
    Route("DELETE", "/api/v1/tokens/{pk}", "token", api=True),
    Route("GET", "/api/v1/notifications/{pk}", "notification", api=True),
    Route("POST", "/api/v1/notifications/{pk}/read", "notification", api=True),
    Route("GET", "/api/v1/comments/{pk}", "comment", api=True),
    Route("PATCH", "/api/v1/comments/{pk}", "comment", {"body": "改"}, api=True),
    Route("DELETE", "/api/v1/comments/{pk}", "comment", api=True),
    Route("GET", "/api/v1/attachments/{pk}", "attachment", api=True),
    Route("GET", "/api/v1/attachments/{pk}/download", "attachment", api=True),
    Route("DELETE", "/api/v1/attachments/{pk}", "attachment", api=True),
    Route("GET", "/api/v1/tasks/{pk}", "task", api=True),
    Route("PATCH", "/api/v1/tasks/{pk}", "task", {"title": "改"}, api=True),
    Route("POST", "/api/v1/tasks/{pk}/status", "task", {"status": "done"}, api=True),
    Route("DELETE", "/api/v1/shares/{pk}", "share", api=True),
]

PAGE_ROUTES: list[Route] = [
    Route("GET", "/org/business-units/{pk}/", "business_unit"),
    Route("GET", "/org/business-units/{pk}/edit/", "business_unit"),
    Route("POST", "/org/business-units/{pk}/edit/", "business_unit", {"code": "x", "name": "改名"}),
    Route("POST", "/org/business-units/{pk}/active/", "business_unit", {"is_active": "0"}),
    Route("GET", "/org/business-units/{pk}/history/", "business_unit"),
    Route("GET", "/org/business-units/{pk}/why/", "business_unit"),
    Route("GET", "/org/teams/{pk}/", "team"),
    Route("GET", "/org/teams/{pk}/edit/", "team"),
    Route("POST", "/org/teams/{pk}/edit/", "team", {"name": "改名", "team_type": "sales"}),
    Route("GET", "/org/teams/{pk}/move/", "team"),
    Route("POST", "/org/teams/{pk}/move/", "team", {"parent": ""}),
    Route("GET", "/org/teams/{pk}/managers/", "team"),
    Route("POST", "/org/teams/{pk}/managers/", "team", {}),
    Route("POST", "/org/teams/{pk}/active/", "team", {"is_active": "0"}),
    Route("GET", "/org/teams/{pk}/history/", "team"),
    Route("GET", "/org/teams/{pk}/why/", "team"),
    Route("GET", "/org/users/{pk}/", "user"),
    Route("GET", "/org/users/{pk}/edit/", "user"),
    Route("POST", "/org/users/{pk}/edit/", "user", {"username": "x", "display_name": "改名", "language": "en"}),
    Route("GET", "/org/users/{pk}/move/", "user"),
    Route("POST", "/org/users/{pk}/move/", "user", {"team": ""}),
    Route("GET", "/org/users/{pk}/teams/", "user"),
    Route("POST", "/org/users/{pk}/teams/", "user", {}),
    Route("POST", "/org/users/{pk}/active/", "user", {"is_active": "0"}),
    Route("GET", "/org/users/{pk}/password/", "user"),
    Route("POST", "/org/users/{pk}/password/", "user", {}),
    Route("GET", "/org/users/{pk}/roles/new/", "user"),
    Route("POST", "/org/users/{pk}/roles/new/", "user", {"role": ""}),
    Route(
        "POST",
        "/org/users/{pk}/roles/{grant_id}/revoke/",
        "user",
        extra={"grant_id": lambda rec: rec.user_roles.first().pk},
    ),
    Route("GET", "/org/users/{pk}/history/", "user"),
    Route("GET", "/org/users/{pk}/why/", "user"),
    Route("POST", "/accounts/tokens/{pk}/revoke/", "token", {}),
    Route("GET", "/notifications/{pk}/open/", "notification"),
    Route("GET", "/collaboration/comments/{pk}/edit/", "comment"),
    Route("POST", "/collaboration/comments/{pk}/edit/", "comment", {"body": "改"}),
    Route("POST", "/collaboration/comments/{pk}/delete/", "comment", {}),
    Route("GET", "/collaboration/attachments/{pk}/download/", "attachment"),
    Route("GET", "/collaboration/attachments/{pk}/preview/", "attachment"),
    Route("GET", "/collaboration/attachments/{pk}/thumbnail/", "attachment"),
    Route("POST", "/collaboration/attachments/{pk}/delete/", "attachment", {}),
    Route("GET", "/tasks/{pk}/", "task"),
    Route("GET", "/tasks/{pk}/edit/", "task"),
    Route("POST", "/tasks/{pk}/edit/", "task", {"title": "改", "priority": "normal"}),
    Route("POST", "/tasks/{pk}/status/", "task", {"status": "done"}),
    Route("GET", "/tasks/{pk}/history/", "task"),
    Route("GET", "/tasks/{pk}/why/", "task"),
    Route("GET", "/sample/deals/{pk}/", "deal"),  # the test-only model with the collaboration surface
]

# each area of the CRM keeps its part of the matrix beside its tests
AREAS = [
    matrix_customers,
    matrix_pools,
    matrix_duplicates,
    matrix_leads,
    matrix_imports,
    matrix_catalog,
    matrix_pipeline_api,
    matrix_pipeline_board,
    matrix_pipeline_forecast,
    matrix_pipeline_pages,
    matrix_pipeline_analytics,
    matrix_approvals,
    matrix_quotes,
    matrix_contracts,
    matrix_receivables,
    matrix_orders,
    matrix_supply,
]

ROUTES = API_ROUTES + PAGE_ROUTES + [route for area in AREAS for route in area.ROUTES]


# Routes with an id that address no scoped record, and why.
NOT_SCOPED = {
    "api/v1/roles/*": "roles are configuration, the same for every holder of roles.view (missing → 404 in test_api)",
    "org/roles/*/": "role pages: configuration, like api/v1/roles/* (missing → 404 in test_views)",
    "org/roles/*/edit/": "role pages: configuration, like api/v1/roles/*",
    "org/roles/*/delete/": "role pages: configuration, like api/v1/roles/*",
    "org/roles/*/history/": "role pages: configuration, like api/v1/roles/*",
    "saved-views/*/delete/": "a person's own saved view: another user's answers 404 (tests/core/test_saved_views.py)",
}
for _area in AREAS:
    NOT_SCOPED.update(_area.NOT_SCOPED)


@pytest.fixture
def foreign(org, attachment_storage) -> dict[str, Any]:
    """Records in BU2 (outside every non-group scope of a user in BU1), including a token of a BU2 user."""
    outsider = UserFactory(username="outsider", display_name="外人", primary_team=org["north"])
    grant(outsider, make_role("foreign-viewer", {"org": (DataScope.SELF, {"view"})}))
    token, _raw = services.token_create(actor=outsider, name="外部")
    # also a member of a BU1 team: that team's page and counts must still not show them
    TeamMembership.objects.create(user=outsider, team=org["supply"])
    services.user_update(actor=outsider, user=outsider, title="外部职位")  # an audit entry on the record
    collab.notifications_deliver(
        event_key="audit:matrix",
        kind="user_moved",
        recipient_ids=[outsider.pk],
        record=("org.user", outsider.pk),
        params={"actor": "系统", "team": "华北销售部"},
    )
    notification = Notification.objects.get(recipient=outsider)
    comment = comments.comment_create(actor=outsider, record=org["north"], body="外部讨论")
    (attachment,) = attachments.attachments_add(
        actor=outsider, record=org["north"], files=[upload("外部图纸.png", png_bytes())]
    )  # an image: download, preview and thumbnail all have something to serve
    # created by and assigned to the outsider, due now: it would be on this month's and week's calendar
    task = tasks_services.task_create(actor=outsider, title="外部任务", due_at=timezone.now())
    deal = deal_create(actor=outsider, name="外部商机", owner=outsider, business_unit=org["bu2"])
    partner = UserFactory(username="partner", display_name="外部伙伴", primary_team=org["north"])
    share = RecordShare.objects.create(
        content_type=ContentType.objects.get_for_model(deal), object_id=deal.pk, user=partner, granted_by=outsider
    )
    found = {
        "business_unit": org["bu2"],
        "team": org["north"],
        "user": outsider,
        "token": token,
        "notification": notification,
        "comment": comment,
        "attachment": attachment,
        "task": task,
        "deal": deal,
        "share": share,
    }
    for area in AREAS:
        found.update(area.foreign(org, outsider))
    return found


def role_holders(org) -> list[tuple[str, Any]]:
    roles = ensure_default_roles()
    holders = []
    for code, role in sorted(roles.items()):
        grants = {p.module: p.scope for p in role.permissions.all()}
        if grants.get("org") == DataScope.GROUP:
            continue  # a whole-group role has no record outside its scope
        user = UserFactory(username=f"holder_{code}", primary_team=org["shanghai"])
        grant(user, role)
        holders.append((code, user))
    holders.append(("no-role", UserFactory(username="holder_none", primary_team=org["shanghai"])))
    return holders


def test_every_role_gets_404_on_records_outside_its_scope(org, foreign):
    holders = role_holders(org)
    assert len(holders) >= 9  # every built-in role but the administrator, plus a user with no role
    for code, user in holders:
        assert_invisible(login(user), ROUTES, foreign, who=code)


def test_every_route_with_an_id_is_in_the_matrix():
    missing = [p for p in uncovered_routes(ROUTES) if normalise(p) not in NOT_SCOPED]
    assert missing == []


LIST_ROUTES: list[str | tuple[str, dict[str, str]]] = [
    "/org/users/",
    "/org/",
    "/api/v1/users",
    "/api/v1/teams",
    "/api/v1/business-units",
    "/api/v1/users?q=outsider",
    "/org/users/?q=outsider",
    "/org/users/export.xlsx",
    "/org/users/export.xlsx?q=outsider",
    # the global search, the page and the top-bar dropdown, by name, username, team and BU
    "/search/?q=外",
    "/search/?q=outsider",
    "/search/?q=华北",
    "/search/?q=医疗",
    "/search/?q=med",
    ("/search/?q=外", {"HX-Request": "true", "HX-Target": "search-results"}),
    "/notifications/",
    "/api/v1/notifications",
    "/tasks/?view=team",
    "/tasks/?view=overdue",
    "/api/v1/tasks",
    "/tasks/calendar/?scope=all",
    "/tasks/calendar/?scope=team&view=week",
    "/tasks/calendar.ics?scope=all",
    "/api/v1/calendar.ics?scope=all",
]


def body_text(response: Any) -> str:
    """What a response shows: the page or JSON, or for an Excel export every cell's text."""
    if response.get("Content-Type") != CONTENT_TYPE:
        return response.content.decode()
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return "\n".join(str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None)


def test_lists_and_searches_never_show_records_outside_the_scope(org, foreign):
    """The same rule on every path: a list, a search or a count never reveals the foreign records."""
    pages_with_people = [f"/org/teams/{org['supply'].pk}/", f"/org/business-units/{org['bu1'].pk}/", "/org/audit/", "/"]
    for code, user in role_holders(org):
        client = login(user)
        for route in [*LIST_ROUTES, *pages_with_people]:
            url, headers = route if isinstance(route, tuple) else (route, {})
            response = client.get(url, headers=headers)
            assert response.status_code in (200, 403, 404), f"{code}: {url} → {response.status_code}"
            body = body_text(response)
            secrets = (
                "外人",
                "外部职位",
                "外部任务",
                "外部图纸",
                "华北销售部",
                "医疗器械事业部",
                f"/org/users/{foreign['user'].pk}/",
                '"username": "outsider"',
                f"/org/teams/{foreign['team'].pk}/",
            )
            for secret in secrets:
                assert secret not in body, f"{code}: {url} shows {secret}"


def test_records_of_the_same_business_unit_outside_a_narrow_scope_are_404_too(org):
    """Not only other BUs: a team-scoped role does not reach a colleague in another team of its BU."""
    colleague = UserFactory(username="colleague", display_name="隔壁同事", primary_team=org["supply"])
    grant(colleague, make_role("colleague-viewer", {"org": (DataScope.SELF, {"view"})}))
    token, _raw = services.token_create(actor=colleague, name="同事令牌")
    same_bu = {"business_unit": org["bu1"], "team": org["supply"], "user": colleague, "token": token}
    org_scope = {
        code: {p.module: p.scope for p in role.permissions.all() if p.actions()}.get("org", 0)
        for code, role in ensure_default_roles().items()
    }
    narrow = [(code, user) for code, user in role_holders(org) if org_scope.get(code, 0) < DataScope.BUSINESS_UNIT]
    assert [code for code, _user in narrow] == [
        "finance",
        "operations",
        "presales",
        "production_planner",
        "sales_manager",
        "sales_rep",
        "service",
        "supply_planner",
        "no-role",
    ]
    routes = [r for r in ROUTES if r.record in ("user", "team", "token")]
    for code, user in narrow:
        assert_invisible(login(user), routes, same_bu, who=code)
