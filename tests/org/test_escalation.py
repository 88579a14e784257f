"""Nobody widens rights by the side doors: account takeover, self-promotion, BU scope stretching,
saves that drop what the actor cannot see (each found in review, each proved here)."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from tests.conftest import login
from tests.support.factories import UserFactory, grant, make_role, manage
from xietong.core.audit import history
from xietong.core.choices import DataScope
from xietong.core.models import AuditEntry
from xietong.org import selectors, services
from xietong.org.defaults import ensure_default_roles
from xietong.org.models import TeamMembership

pytestmark = pytest.mark.django_db

ORG_ALL = {"view", "create", "edit", "delete", "export", "administer"}


@pytest.fixture
def bu_head(org):
    """The built-in BU head of BU1, limited to BU1 (as the demo data gives it)."""
    user = UserFactory(username="bu_head", primary_team=org["east"])
    grant(user, ensure_default_roles()["bu_head"], business_unit=org["bu1"])
    return user


@pytest.fixture
def group_admin_in_bu1(org):
    user = UserFactory(username="it_admin", display_name="信息部管理员", primary_team=org["supply"])
    grant(user, ensure_default_roles()["admin"])
    return user


def test_a_bu_head_cannot_reset_the_password_of_a_group_admin_in_their_bu(bu_head, group_admin_in_bu1):
    with pytest.raises(PermissionDenied):
        services.user_reset_password(actor=bu_head, user=group_admin_in_bu1, password="Xt-takeover-2026")
    group_admin_in_bu1.refresh_from_db()
    assert not group_admin_in_bu1.check_password("Xt-takeover-2026")
    entry = history(group_admin_in_bu1).get()
    assert (entry.kind, entry.verb, entry.actor) == ("denied", "user_reset_password", bu_head)


def test_a_bu_head_cannot_rename_or_deactivate_a_group_admin(bu_head, group_admin_in_bu1):
    with pytest.raises(PermissionDenied):
        services.user_update(actor=bu_head, user=group_admin_in_bu1, username="it_admin2")
    with pytest.raises(PermissionDenied):
        services.user_set_active(actor=bu_head, user=group_admin_in_bu1, is_active=False)
    group_admin_in_bu1.refresh_from_db()
    assert (group_admin_in_bu1.username, group_admin_in_bu1.is_active) == ("it_admin", True)


def test_a_bu_head_still_manages_the_ordinary_users_of_their_bu(bu_head, org):
    rep = UserFactory(username="rep", primary_team=org["pudong"])
    grant(rep, ensure_default_roles()["sales_rep"], business_unit=org["bu1"])
    new_password = services.user_reset_password(actor=bu_head, user=rep)
    rep.refresh_from_db()
    assert rep.check_password(new_password)


def test_a_password_reset_by_someone_else_revokes_the_users_tokens(admin, org):
    rep = UserFactory(username="rep", primary_team=org["pudong"])
    _token, raw = services.token_create(actor=rep, name="ERP")
    services.user_reset_password(actor=admin, user=rep)
    assert services.token_authenticate(raw) is None


def test_an_unlimited_bu_scope_does_not_reach_other_business_units(org):
    """H holds bu_head without a BU limit (BU1 through his team) and a group-wide phone book."""
    h = UserFactory(username="h", primary_team=org["east"])
    roles = ensure_default_roles()
    grant(h, roles["bu_head"])
    grant(h, make_role("phone-book", {"org": (DataScope.GROUP, {"view"})}))
    with pytest.raises(PermissionDenied):
        services.role_assign(actor=h, user=h, role=roles["bu_head"], business_unit=org["bu2"])
    assert list(h.user_roles.values_list("business_unit", flat=True)) == [None, None]
    # inside his own BU the same grant is fine
    services.role_assign(actor=h, user=h, role=roles["sales_rep"], business_unit=org["bu1"])


def test_nobody_makes_themselves_manager_and_the_attempt_is_logged(org):
    lead = UserFactory(username="lead", primary_team=org["shanghai"])
    grant(lead, make_role("self-sub-editor", {"org": (DataScope.SUBORDINATES, {"view", "edit"})}))
    # the team is visible (own team) and editable through a team-scoped edit grant
    grant(lead, make_role("team-editor", {"org": (DataScope.TEAM, {"view", "edit"})}))
    with pytest.raises(PermissionDenied):
        services.team_set_managers(actor=lead, team=org["shanghai"], managers=[lead])
    assert not TeamMembership.objects.filter(user=lead, is_manager=True).exists()
    assert AuditEntry.objects.filter(kind="denied", actor=lead, verb="team_set_managers").count() == 1


def test_nobody_changes_their_own_teams(org):
    member = UserFactory(username="member", primary_team=org["shanghai"])
    grant(member, make_role("tree-editor", {"org": (DataScope.TEAM_TREE, {"view", "edit"})}))
    with pytest.raises(PermissionDenied):
        services.user_set_teams(actor=member, user=member, teams=[org["pudong"]])
    with pytest.raises(PermissionDenied):
        services.user_move(actor=member, user=member, team=org["pudong"])
    assert list(member.memberships.values_list("team__name", flat=True)) == ["上海销售组"]


def test_saving_teams_keeps_memberships_the_actor_cannot_see(admin, bu_head, org):
    rep = UserFactory(username="rep", primary_team=org["pudong"])
    services.user_set_teams(actor=admin, user=rep, teams=[org["north"]])  # a BU2 team
    services.user_set_teams(actor=bu_head, user=rep, teams=[org["supply"]])
    assert sorted(rep.memberships.values_list("team__name", flat=True)) == ["供应计划组", "华北销售部", "浦东小组"]


def test_saving_managers_keeps_the_managers_the_actor_cannot_edit(admin, bu_head, org):
    outsider = UserFactory(username="outsider", primary_team=org["north"])
    local = UserFactory(username="local", primary_team=org["east"])
    services.team_set_managers(actor=admin, team=org["east"], managers=[outsider])
    services.team_set_managers(actor=bu_head, team=org["east"], managers=[local])
    assert sorted(org["east"].memberships.filter(is_manager=True).values_list("user__username", flat=True)) == [
        "local",
        "outsider",
    ]


def test_a_manager_must_be_someone_the_actor_may_edit(org):
    editor = UserFactory(username="editor", primary_team=org["east"])
    grant(editor, make_role("viewer-editor", {"org": (DataScope.BUSINESS_UNIT, {"view"})}))
    grant(editor, make_role("team-edit", {"org": (DataScope.TEAM, {"view", "edit"})}))
    viewed_only = UserFactory(username="viewed", primary_team=org["supply"])  # visible, not editable
    with pytest.raises(ValidationError) as exc:
        services.team_set_managers(actor=editor, team=org["east"], managers=[viewed_only])
    assert set(exc.value.message_dict) == {"managers"}


def test_the_audit_log_shows_only_entries_of_records_one_sees(admin, bu_head, org):
    stranger = UserFactory(username="stranger", display_name="外人", primary_team=org["north"])
    services.user_update(actor=admin, user=stranger, title="秘密职位")
    local = UserFactory(username="local", primary_team=org["east"])
    services.user_update(actor=admin, user=local, title="主管")
    seen = [e.object_repr for e in selectors.audit_list(user=bu_head)]
    assert "外人" not in seen and str(local) in seen
    page = login(bu_head).get("/org/audit/")
    assert page.status_code == 200
    assert "秘密职位" not in page.content.decode() and "外人" not in page.content.decode()
    assert "外人" in login(admin).get("/org/audit/").content.decode()


def test_team_pages_list_only_members_one_sees(org):
    viewer = UserFactory(username="viewer", primary_team=org["shanghai"])
    grant(viewer, make_role("self-only", {"org": (DataScope.SELF, {"view"})}))
    UserFactory(username="mate", display_name="同事甲", primary_team=org["shanghai"])
    manage(UserFactory(username="boss", display_name="老板乙", primary_team=org["shanghai"]), org["shanghai"])
    page = login(viewer).get(f"/org/teams/{org['shanghai'].pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "同事甲" not in body and "老板乙" not in body
    assert [m.user.username for m in page.context["members"]] == ["viewer"]


def test_a_token_cannot_create_tokens(org):
    rep = UserFactory(username="rep", primary_team=org["east"])
    _token, raw = services.token_create(actor=rep, name="ERP")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    response = client.post("/api/v1/tokens", data=json.dumps({"name": "forever"}), content_type="application/json")
    assert response.status_code == 403
    assert rep.access_tokens.count() == 1


def test_api_nulls_that_would_do_nothing_are_422(admin_client, org):
    rep = UserFactory(username="rep", primary_team=org["east"])
    for url, body, field in (
        (f"/api/v1/users/{rep.pk}", {"primary_team_id": None, "title": "x"}, "primary_team_id"),
        (f"/api/v1/teams/{org['pudong'].pk}", {"parent_id": None}, "parent_id"),
    ):
        response = admin_client.patch(url, data=json.dumps(body), content_type="application/json")
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == [field]
    rep.refresh_from_db()
    assert rep.title == ""
