"""The organisation's write path: permissions, the no-wider-than-your-own rule, audit, atomicity."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from tests.support.factories import TeamFactory, UserFactory, grant, make_role, manage
from xietong.core.audit import history
from xietong.core.choices import Action, DataScope
from xietong.core.errors import Conflict, NotFound
from xietong.core.models import AuditEntry, AuditImmutableError
from xietong.org import services
from xietong.org.models import AccessToken, Team, TeamMembership, User, UserRole

pytestmark = pytest.mark.django_db


@pytest.fixture
def bu_admin(org):
    """Administers org and roles in BU1 only."""
    user = UserFactory(username="bu_admin", primary_team=org["east"])
    role = make_role(
        "bu-admin",
        {
            "org": (DataScope.BUSINESS_UNIT, {"view", "create", "edit", "delete", "administer"}),
            "roles": (DataScope.GROUP, {"view", "administer"}),
        },
    )
    grant(user, role, business_unit=org["bu1"])
    return user


def test_business_unit_create_is_audited(admin):
    bu = services.business_unit_create(actor=admin, code="energy", name="新能源事业部", product_lines="储能系统")
    entry = history(bu).get()
    assert entry.kind == "create"
    assert entry.actor == admin
    assert entry.changes == {
        "code": [None, "energy"],
        "name": [None, "新能源事业部"],
        "product_lines": [None, "储能系统"],
        "is_active": [None, True],
    }


def test_business_unit_create_needs_group_administration(bu_admin):
    with pytest.raises(PermissionDenied):
        services.business_unit_create(actor=bu_admin, code="x", name="X")


def test_duplicate_business_unit_names_the_field(admin):
    with pytest.raises(ValidationError) as exc:
        services.business_unit_create(actor=admin, code="ind", name="另一个")
    assert set(exc.value.message_dict) == {"code"}


def test_team_create_builds_the_path_and_audits(admin, org):
    team = services.team_create(
        actor=admin, business_unit=org["bu1"], parent=org["pudong"], name="陆家嘴", team_type="sales"
    )
    assert team.path == f"{org['pudong'].path}{team.pk}/"
    assert team.depth == 3
    assert history(team).get().changes["parent"] == [None, "浦东小组"]


def test_team_parent_must_be_in_the_same_bu(admin, org):
    with pytest.raises(ValidationError) as exc:
        services.team_create(actor=admin, business_unit=org["bu2"], parent=org["east"], name="x", team_type="sales")
    assert set(exc.value.message_dict) == {"parent"}
    assert not Team.objects.filter(name="x").exists()


def test_team_move_rewrites_the_subtree_paths(admin, org):
    services.team_move(actor=admin, team=org["shanghai"], parent=org["supply"])
    org["pudong"].refresh_from_db()
    shanghai = Team.objects.get(pk=org["shanghai"].pk)
    assert shanghai.path == f"{org['supply'].path}{shanghai.pk}/"
    assert org["pudong"].path == f"{shanghai.path}{org['pudong'].pk}/"
    assert org["pudong"].depth == 2
    assert history(shanghai).get().changes == {"parent": ["华东销售部", "供应计划组"]}


def test_team_cannot_move_under_its_own_subtree(admin, org):
    with pytest.raises(ValidationError) as exc:
        services.team_move(actor=admin, team=org["east"], parent=org["pudong"])
    assert set(exc.value.message_dict) == {"parent"}


def test_bu_admin_cannot_touch_another_bu(bu_admin, org):
    with pytest.raises(NotFound):
        services.team_update(actor=bu_admin, team=org["north"], name="改名")
    with pytest.raises(NotFound):
        services.team_create(actor=bu_admin, business_unit=org["bu2"], name="x", team_type="sales")


def test_user_create_generates_a_password_and_membership(admin, org):
    user, initial = services.user_create(
        actor=admin, username="li.na", display_name="李娜", primary_team=org["shanghai"]
    )
    assert user.check_password(initial)
    assert user.business_unit == org["bu1"]
    assert list(TeamMembership.objects.filter(user=user).values_list("team__name", flat=True)) == ["上海销售组"]
    assert history(user).get().kind == "create"


def test_user_create_with_a_weak_password_names_the_field_and_saves_nothing(admin, org):
    with pytest.raises(ValidationError) as exc:
        services.user_create(
            actor=admin, username="li.na", display_name="李娜", primary_team=org["shanghai"], password="123"
        )
    assert set(exc.value.message_dict) == {"password"}
    assert not User.objects.filter(username="li.na").exists()


def test_user_create_outside_ones_scope_is_refused(bu_admin, org):
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=bu_admin, username="x", display_name="X", primary_team=org["north"])
    assert set(exc.value.message_dict) == {"primary_team"}


def test_user_move_changes_primary_team_bu_and_membership(admin, org):
    user = UserFactory(username="mover", primary_team=org["shanghai"])
    services.user_move(actor=admin, user=user, team=org["north"])
    user.refresh_from_db()
    assert (user.primary_team, user.business_unit) == (org["north"], org["bu2"])
    assert list(user.memberships.values_list("team__name", flat=True)) == ["华北销售部"]
    assert history(user).get().changes == {"primary_team": ["上海销售组", "华北销售部"]}


def test_deactivate_keeps_the_user_and_is_audited(admin, org):
    user = UserFactory(username="leaver", primary_team=org["shanghai"])
    services.user_set_active(actor=admin, user=user, is_active=False)
    user.refresh_from_db()
    assert user.is_active is False
    assert history(user).get().changes == {"is_active": [True, False]}


def test_nobody_deactivates_themselves(admin):
    with pytest.raises(Conflict):
        services.user_set_active(actor=admin, user=admin, is_active=False)


def test_reset_password_is_audited_without_the_password(admin, org):
    user = UserFactory(username="forgetful", primary_team=org["shanghai"])
    new = services.user_reset_password(actor=admin, user=user)
    user.refresh_from_db()
    assert user.check_password(new)
    entry = history(user).get()
    assert (entry.verb, entry.changes) == ("reset_password", {})


def test_team_managers_are_set_and_audited(admin, org):
    a = UserFactory(username="a", display_name="甲", primary_team=org["shanghai"])
    b = UserFactory(username="b", display_name="乙", primary_team=org["shanghai"])
    services.team_set_managers(actor=admin, team=org["shanghai"], managers=[a, b])
    services.team_set_managers(actor=admin, team=org["shanghai"], managers=[b])
    assert list(org["shanghai"].memberships.filter(is_manager=True).values_list("user__username", flat=True)) == ["b"]
    assert [e.changes["managers"] for e in history(org["shanghai"])] == [["乙、甲", "乙"], ["", "乙、甲"]]


def test_role_assign_within_ones_own_rights(bu_admin, org):
    target = UserFactory(username="rep", primary_team=org["shanghai"])
    viewer = make_role("viewer", {"org": (DataScope.TEAM, {"view"})})
    user_role = services.role_assign(actor=bu_admin, user=target, role=viewer, business_unit=org["bu1"])
    assert user_role.role == viewer
    assert history(target).get().changes == {"roles": [None, "viewer · 工业设备事业部"]}


def test_granting_a_wider_scope_than_ones_own_is_refused_and_logged(bu_admin, org):
    target = UserFactory(username="rep", primary_team=org["shanghai"])
    group_viewer = make_role("group-viewer", {"org": (DataScope.GROUP, {"view"})})
    with pytest.raises(PermissionDenied):
        services.role_assign(actor=bu_admin, user=target, role=group_viewer)
    assert not UserRole.objects.filter(user=target).exists()
    entry = history(target).get()
    assert (entry.kind, entry.verb, entry.actor) == ("denied", "role_assign", bu_admin)


def test_granting_an_action_one_lacks_is_refused(bu_admin, org):
    target = UserFactory(username="rep", primary_team=org["shanghai"])
    exporter = make_role("exporter", {"org": (DataScope.SELF, {"view", "export"})})
    with pytest.raises(PermissionDenied) as exc:
        services.role_assign(actor=bu_admin, user=target, role=exporter, business_unit=org["bu1"])
    assert str(Action.EXPORT.label) in str(exc.value)


def test_widening_ones_own_rights_is_refused_and_logged(bu_admin):
    admin_like = make_role("admin-like", {"org": (DataScope.GROUP, {"view", "administer"})})
    with pytest.raises(PermissionDenied):
        services.role_assign(actor=bu_admin, user=bu_admin, role=admin_like)
    assert history(bu_admin).filter(kind="denied").count() == 1


def test_editing_a_role_wider_than_ones_own_is_refused(bu_admin):
    role = make_role("editable", {"org": (DataScope.SELF, {"view"})})
    bu_admin_role = bu_admin.user_roles.get().role
    from xietong.org.models import RolePermission

    RolePermission.objects.filter(role=bu_admin_role, module="roles").update(can_edit=True)
    bu_admin.__dict__.pop("access", None)
    with pytest.raises(PermissionDenied):
        services.role_update(actor=bu_admin, role=role, permissions={"org": (DataScope.GROUP, {"view"})})
    assert role.permissions.get().scope == DataScope.SELF


def test_role_create_validates_modules_and_actions(admin):
    with pytest.raises(ValidationError) as exc:
        services.role_create(actor=admin, code="bad", name="坏", permissions={"nope": (DataScope.SELF, {"view"})})
    assert set(exc.value.message_dict) == {"permissions"}
    with pytest.raises(ValidationError):
        services.role_create(actor=admin, code="bad", name="坏", permissions={"audit": (DataScope.GROUP, {"edit"})})


def test_role_create_and_update_are_audited(admin):
    role = services.role_create(
        actor=admin, code="planner", name="计划员", permissions={"org": (DataScope.TEAM, {"view"})}
    )
    services.role_update(actor=admin, role=role, permissions={"org": (DataScope.BUSINESS_UNIT, {"view", "export"})})
    update, create = list(history(role))
    assert create.kind == "create"
    # written in the installation's default language (zh-hans), whatever the actor's language
    assert update.changes == {"org": ["本团队：查看", "本事业部：查看、导出"]}


def test_role_in_use_cannot_be_deleted(admin, org):
    role = make_role("used", {"org": (DataScope.SELF, {"view"})})
    grant(UserFactory(username="holder", primary_team=org["east"]), role)
    with pytest.raises(Conflict):
        services.role_delete(actor=admin, role=role)


def test_tokens_are_stored_hashed_and_authenticate_until_revoked(admin):
    token, raw = services.token_create(actor=admin, name="ERP")
    assert raw.startswith("xt_") and raw not in token.token_hash
    assert services.token_authenticate(raw) == admin
    services.token_revoke(actor=admin, token_id=token.pk)
    assert services.token_authenticate(raw) is None


def test_expired_tokens_do_not_authenticate(admin):
    token, raw = services.token_create(actor=admin, name="ERP", expires_at=timezone.now() + datetime.timedelta(days=1))
    AccessToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert services.token_authenticate(raw) is None


def test_token_expiry_must_be_in_the_future(admin):
    with pytest.raises(ValidationError) as exc:
        services.token_create(actor=admin, name="x", expires_at=timezone.now() - datetime.timedelta(days=1))
    assert set(exc.value.message_dict) == {"expires_at"}


def test_one_cannot_revoke_another_users_token(admin, org):
    other = UserFactory(username="other", primary_team=org["east"])
    token, _ = services.token_create(actor=other, name="mine")
    with pytest.raises(NotFound):
        services.token_revoke(actor=admin, token_id=token.pk)


def test_audit_entries_cannot_be_changed_or_deleted_by_the_application(admin):
    bu = services.business_unit_create(actor=admin, code="x1", name="X1")
    entry = history(bu).get()
    entry.verb = "tampered"
    with pytest.raises(AuditImmutableError):
        entry.save()
    with pytest.raises(AuditImmutableError):
        entry.delete()
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.filter(pk=entry.pk).update(verb="tampered")
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.filter(pk=entry.pk).delete()


def test_the_database_refuses_to_update_audit_rows(admin):
    bu = services.business_unit_create(actor=admin, code="x2", name="X2")
    entry = history(bu).get()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET verb = 'x' WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).verb == ""


def test_audit_entries_carry_the_request_id(admin):
    from xietong.core.context import request_id_var

    token = request_id_var.set("req-12345678")
    try:
        bu = services.business_unit_create(actor=admin, code="x3", name="X3")
    finally:
        request_id_var.reset(token)
    assert history(bu).get().request_id == "req-12345678"


def test_manager_of_a_team_edits_its_members_but_not_others(org):
    lead = UserFactory(username="lead", primary_team=org["shanghai"])
    manage(lead, org["shanghai"])
    grant(lead, make_role("lead", {"org": (DataScope.SUBORDINATES, {"view", "edit"})}))
    member = UserFactory(username="member", primary_team=org["pudong"])
    outsider = UserFactory(username="outsider", primary_team=org["supply"])
    services.user_update(actor=lead, user=member, title="高级销售")
    with pytest.raises(NotFound):
        services.user_update(actor=lead, user=outsider, title="x")


def test_everyone_edits_their_own_profile(org):
    user = UserFactory(username="self", primary_team=org["east"])
    services.user_set_language(actor=user, language="en")
    user.refresh_from_db()
    assert user.language == "en"
    with pytest.raises(ValidationError):
        services.user_set_language(actor=user, language="fr")


def test_team_with_active_members_cannot_be_deactivated(admin, org):
    UserFactory(username="stay", primary_team=org["pudong"])
    with pytest.raises(Conflict):
        services.team_update(actor=admin, team=org["pudong"], is_active=False)
    empty = TeamFactory(parent=org["pudong"], name="空组")
    services.team_update(actor=admin, team=empty, is_active=False)
    empty.refresh_from_db()
    assert empty.is_active is False


def test_a_permission_removed_from_a_built_in_role_stays_removed(admin):
    from xietong.org.defaults import ensure_default_roles

    rep = ensure_default_roles()["sales_rep"]
    services.role_update(actor=admin, role=rep, permissions={})
    ensure_default_roles()
    from xietong.org import policies

    assert policies.role_permissions(rep) == {}


def test_sibling_team_names_are_a_field_error(admin, org):
    with pytest.raises(ValidationError) as exc:
        services.team_create(actor=admin, business_unit=org["bu1"], name="华东销售部", team_type="sales")
    assert set(exc.value.message_dict) == {"name"}
    with pytest.raises(ValidationError) as exc:
        services.team_create(
            actor=admin, business_unit=org["bu1"], parent=org["east"], name="上海销售组", team_type="sales"
        )
    assert set(exc.value.message_dict) == {"name"}
    services.team_create(actor=admin, business_unit=org["bu2"], name="华东销售部", team_type="sales")  # other BU


def test_a_lost_race_for_a_username_is_a_field_error_not_a_crash(admin, org, monkeypatch):
    """The loser of two simultaneous creations passes validation before the winner commits."""
    from xietong.org.models import User as UserModel

    real_clean = services._clean
    calls = {"n": 0}

    def clean_then_someone_wins(obj, *, exclude=None):
        real_clean(obj, exclude=exclude)
        if isinstance(obj, UserModel) and calls["n"] == 0:
            calls["n"] += 1
            UserModel.objects.create(username=obj.username, display_name="抢先者")

    monkeypatch.setattr(services, "_clean", clean_then_someone_wins)
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=admin, username="race", display_name="慢一步", primary_team=org["east"])
    assert set(exc.value.message_dict) == {"username"}  # (the stand-in winner shared our transaction)
