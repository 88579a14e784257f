"""The REST API of the organisation: auth, error shape, visibility, writes through services."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.conftest import login
from tests.support.factories import UserFactory, grant, make_role
from tests.support.queries import assert_queries_constant
from xietong.core.choices import DataScope
from xietong.org import services
from xietong.org.models import Team, User

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, data: dict) -> object:
    return client.post(url, data=json.dumps(data), content_type="application/json")


def patch(client: Client, url: str, data: dict) -> object:
    return client.patch(url, data=json.dumps(data), content_type="application/json")


@pytest.fixture
def rep(org):
    user = UserFactory(username="rep", display_name="王芳", primary_team=org["shanghai"])
    grant(user, make_role("rep", {"org": (DataScope.TEAM, {"view"})}))
    return user


def test_anonymous_requests_get_401_in_the_error_shape(db):
    response = Client(headers={"Accept-Language": "en"}).get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication required.", "errors": []}


def test_me_lists_teams_and_grants(rep, org):
    body = login(rep).get("/api/v1/me").json()
    assert body["user"]["username"] == "rep"
    assert body["teams"] == [{"id": org["shanghai"].pk, "name": "上海销售组"}]
    assert body["grants"] == [
        {"module": "org", "role": "rep", "scope": 30, "actions": ["view"], "business_unit_id": None}
    ]


def test_token_authentication_works_and_revocation_stops_it(rep):
    token, raw = services.token_create(actor=rep, name="ERP")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get("/api/v1/me").json()["user"]["username"] == "rep"
    services.token_revoke(actor=rep, token_id=token.pk)
    assert client.get("/api/v1/me").status_code == 401


def test_token_endpoints_show_the_token_once(rep):
    client = login(rep)
    created = post(client, "/api/v1/tokens", {"name": "ERP 对接"})
    assert created.status_code == 201
    raw = created.json()["token"]
    listed = client.get("/api/v1/tokens").json()
    assert len(listed["results"]) == 1
    assert "token" not in listed["results"][0]
    assert raw.startswith(listed["results"][0]["prefix"])
    assert client.delete(f"/api/v1/tokens/{created.json()['id']}").status_code == 204


def test_users_list_is_limited_to_the_scope(rep, org):
    UserFactory(username="colleague", primary_team=org["shanghai"])
    UserFactory(username="stranger", primary_team=org["north"])
    body = login(rep).get("/api/v1/users").json()
    assert [u["username"] for u in body["results"]] == ["colleague", "rep"]
    assert (body["next"], body["previous"]) == (None, None)


def test_users_list_without_org_rights_is_403(org):
    nobody = UserFactory(username="nobody", primary_team=org["east"])
    response = login(nobody).get("/api/v1/users")
    assert response.status_code == 403
    assert set(response.json()) == {"detail", "errors"}


def test_pages_follow_the_cursor_and_the_page_size_is_capped(admin_client, org):
    for i in range(5):
        UserFactory(username=f"u{i}", primary_team=org["east"])
    first = admin_client.get("/api/v1/users?page_size=2").json()
    assert [u["username"] for u in first["results"]] == ["admin", "u0"]
    second = admin_client.get(first["next"]).json()
    assert [u["username"] for u in second["results"]] == ["u1", "u2"]
    assert len(admin_client.get("/api/v1/users?page_size=5000").json()["results"]) == 6  # capped at 200
    from xietong.core.api import Page

    assert Page(ordering=("username",))._get_page_size(5000) == 200
    for cursor in ("@@@", "bz1hYmM="):  # not base64; base64 of "o=abc"
        broken = admin_client.get(f"/api/v1/users?cursor={cursor}")
        assert broken.status_code == 422
        assert [e["field"] for e in broken.json()["errors"]] == ["cursor"]


def test_invisible_and_missing_users_answer_the_same_404(rep, org):
    stranger = UserFactory(username="stranger", primary_team=org["north"])
    client = login(rep)
    invisible = client.get(f"/api/v1/users/{stranger.pk}")
    missing = client.get("/api/v1/users/999999")
    assert invisible.status_code == missing.status_code == 404
    assert invisible.json() == missing.json()


def test_403_when_the_record_is_visible_but_the_action_is_not_granted(rep, org):
    colleague = UserFactory(username="colleague", primary_team=org["shanghai"])
    response = patch(login(rep), f"/api/v1/users/{colleague.pk}", {"title": "经理"})
    assert response.status_code == 403


def test_create_user_returns_the_initial_password_once(admin_client, org):
    response = post(
        admin_client,
        "/api/v1/users",
        {"username": "zhao.lei", "display_name": "赵磊", "primary_team_id": org["pudong"].pk},
    )
    assert response.status_code == 201
    body = response.json()
    assert User.objects.get(username="zhao.lei").check_password(body["initial_password"])
    assert "initial_password" not in admin_client.get(f"/api/v1/users/{body['id']}").json()


def test_invalid_input_is_422_with_field_errors_and_nothing_saved(admin_client, org):
    response = post(admin_client, "/api/v1/users", {"username": "", "display_name": "赵磊"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["username"]
    response = post(admin_client, "/api/v1/users", {"username": "x", "display_name": "X", "primary_team_id": 999999})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["primary_team_id"]
    assert not User.objects.filter(username="x").exists()


def test_duplicate_username_is_422_naming_the_field(admin_client, rep, org):
    response = post(
        admin_client, "/api/v1/users", {"username": "rep", "display_name": "X", "primary_team_id": org["east"].pk}
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["username"]


def test_conflict_is_409(admin_client, admin):
    response = patch(admin_client, f"/api/v1/users/{admin.pk}", {"is_active": False})
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "is_active"


def test_patch_user_moves_and_is_all_or_nothing(admin_client, org):
    user = UserFactory(username="mover", primary_team=org["shanghai"])
    response = patch(admin_client, f"/api/v1/users/{user.pk}", {"title": "主管", "primary_team_id": 999999})
    assert response.status_code == 422
    user.refresh_from_db()
    assert user.title == ""
    response = patch(admin_client, f"/api/v1/users/{user.pk}", {"title": "主管", "primary_team_id": org["north"].pk})
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["business_unit_id"]) == ("主管", org["bu2"].pk)


def test_team_crud_and_move(admin_client, org):
    created = post(
        admin_client,
        "/api/v1/teams",
        {"business_unit_id": org["bu1"].pk, "parent_id": org["east"].pk, "name": "苏州组", "team_type": "sales"},
    )
    assert created.status_code == 201
    team_id = created.json()["id"]
    moved = patch(admin_client, f"/api/v1/teams/{team_id}", {"parent_id": org["shanghai"].pk})
    assert (moved.json()["parent_id"], moved.json()["depth"]) == (org["shanghai"].pk, 2)
    wrong_bu = patch(admin_client, f"/api/v1/teams/{team_id}", {"parent_id": org["north"].pk})
    assert wrong_bu.status_code == 422
    assert Team.objects.get(pk=team_id).parent_id == org["shanghai"].pk


def test_team_managers_via_api(admin_client, org):
    lead = UserFactory(username="lead", display_name="刘洋", primary_team=org["shanghai"])
    response = patch(admin_client, f"/api/v1/teams/{org['shanghai'].pk}", {"manager_ids": [lead.pk]})
    assert response.json()["managers"] == [{"id": lead.pk, "name": "刘洋"}]


def test_business_units_crud(admin_client):
    created = post(admin_client, "/api/v1/business-units", {"code": "energy", "name": "新能源事业部"})
    assert created.status_code == 201
    updated = patch(admin_client, f"/api/v1/business-units/{created.json()['id']}", {"description": "储能"})
    assert updated.json()["description"] == "储能"
    duplicate = post(admin_client, "/api/v1/business-units", {"code": "energy", "name": "另一个"})
    assert duplicate.status_code == 422


def test_roles_crud_and_assignment(admin_client, admin, org):
    created = post(
        admin_client,
        "/api/v1/roles",
        {"code": "viewer", "name": "查看者", "permissions": [{"module": "org", "scope": 30, "actions": ["view"]}]},
    )
    assert created.status_code == 201
    role_id = created.json()["id"]
    target = UserFactory(username="target", primary_team=org["east"])
    assigned = post(
        admin_client, f"/api/v1/users/{target.pk}/roles", {"role_id": role_id, "business_unit_id": org["bu1"].pk}
    )
    assert assigned.status_code == 201
    again = post(
        admin_client, f"/api/v1/users/{target.pk}/roles", {"role_id": role_id, "business_unit_id": org["bu1"].pk}
    )
    assert again.status_code == 409
    revoked = admin_client.delete(f"/api/v1/users/{target.pk}/roles/{assigned.json()['id']}")
    assert revoked.status_code == 204
    deleted = admin_client.delete(f"/api/v1/roles/{role_id}")
    assert deleted.status_code == 204


def test_granting_wider_rights_through_the_api_is_403_and_logged(org):
    from xietong.core.models import AuditEntry

    bu_admin = UserFactory(username="bu_admin", primary_team=org["east"])
    grant(
        bu_admin,
        make_role(
            "bu-admin",
            {"org": (DataScope.BUSINESS_UNIT, {"view", "edit"}), "roles": (DataScope.GROUP, {"view", "administer"})},
        ),
        business_unit=org["bu1"],
    )
    wide = make_role("wide", {"org": (DataScope.GROUP, {"view"})})
    response = post(login(bu_admin), f"/api/v1/users/{bu_admin.pk}/roles", {"role_id": wide.pk})
    assert response.status_code == 403
    assert AuditEntry.objects.filter(kind="denied", actor=bu_admin).count() == 1


def test_why_explains_access(rep, org):
    colleague = UserFactory(username="colleague", primary_team=org["shanghai"])
    body = login(rep).get(f"/api/v1/users/{colleague.pk}/why").json()
    assert len(body["reasons"]) == 1 and "rep" in body["reasons"][0]


def test_openapi_schema_and_local_docs(admin_client):
    schema = admin_client.get("/api/v1/openapi.json").json()
    assert {
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/teams",
        "/api/v1/business-units",
        "/api/v1/roles",
        "/api/v1/tokens",
    } <= set(schema["paths"])
    docs = admin_client.get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "cdn" not in html.lower()


def test_users_list_query_count_does_not_grow_with_rows(admin_client, org):
    def add_rows():
        for i in range(5):
            user = UserFactory(username=f"extra{i}", primary_team=org["pudong"])
            grant(user, make_role(f"extra{i}", {"org": (DataScope.SELF, {"view"})}))

    assert_queries_constant(lambda: admin_client.get("/api/v1/users"), add_rows, max_queries=8)


def test_teams_list_query_count_does_not_grow_with_rows(admin_client, org):
    from tests.support.factories import TeamFactory

    def add_rows():
        for i in range(5):
            team = TeamFactory(parent=org["east"], name=f"新组{i}")
            lead = UserFactory(username=f"lead{i}", primary_team=team)
            from tests.support.factories import manage

            manage(lead, team)

    assert_queries_constant(lambda: admin_client.get("/api/v1/teams"), add_rows, max_queries=8)


def test_a_malformed_id_answers_404_like_a_missing_one(admin_client):
    response = admin_client.get("/api/v1/users/abc")
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "errors"}


def test_the_committed_openapi_schema_is_up_to_date():
    """docs/openapi.json is the API's contract; regenerate it with
    `.venv/bin/python manage.py export_openapi_schema --api xietong.config.api.api --output docs/openapi.json
    --indent 2 --sorted` when an endpoint changes."""
    from pathlib import Path

    from xietong.config.api import api

    committed = json.loads((Path(__file__).resolve().parents[2] / "docs" / "openapi.json").read_text())
    assert committed == json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))
