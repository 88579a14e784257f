"""The organisation's pages: rendering, permissions, visibility, forms through services, htmx."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import login
from tests.core.test_i18n import compiled_catalogue  # noqa: F401 (a fixture the export test uses)
from tests.support.factories import TeamFactory, UserFactory, grant, make_role, manage
from tests.support.queries import assert_queries_constant
from xietong.core.choices import DataScope
from xietong.core.models import AuditEntry
from xietong.org import policies, services
from xietong.org.models import AccessToken, BusinessUnit, Role, Team, TeamMembership, User

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def english(user: User) -> Client:
    """A logged-in client whose pages are in English, so messages can be compared exactly."""
    User.objects.filter(pk=user.pk).update(language="en")
    user.language = "en"
    return login(user)


@pytest.fixture
def admin_client(admin: User) -> Client:
    return english(admin)


@pytest.fixture
def rep(org: dict[str, Any]) -> User:
    """A sales rep in 上海销售组 who sees the users of their own team."""
    user = UserFactory(username="rep", display_name="王芳", primary_team=org["shanghai"])
    grant(user, make_role("rep", {"org": (DataScope.TEAM, {"view"})}))
    return user


@pytest.fixture
def outsider(org: dict[str, Any]) -> User:
    return UserFactory(username="outsider", display_name="外人", primary_team=org["north"])


@pytest.fixture
def nobody(org: dict[str, Any]) -> User:
    """A user with no role at all."""
    return UserFactory(username="nobody", display_name="无权限", primary_team=org["shanghai"])


def audit_of(obj: Any) -> list[tuple[str, str]]:
    from xietong.core.audit import history

    return [(e.kind, e.verb) for e in history(obj)]


# --- every page renders -----------------------------------------------------------------------


def page_urls(org: dict[str, Any], rep: User) -> list[str]:
    role = Role.objects.get(code="rep")
    bu, team = org["bu1"], org["shanghai"]
    return [
        "/",
        "/accounts/profile/",
        "/accounts/password/",
        "/accounts/tokens/",
        "/org/",
        "/org/group/edit/",
        "/org/business-units/new/",
        "/org/teams/new/",
        f"/org/teams/new/?parent={team.pk}",
        "/org/users/",
        "/org/users/new/",
        "/org/roles/",
        "/org/roles/new/",
        "/org/audit/",
        f"/org/business-units/{bu.pk}/",
        f"/org/business-units/{bu.pk}/edit/",
        f"/org/business-units/{bu.pk}/history/",
        f"/org/business-units/{bu.pk}/why/",
        f"/org/teams/{team.pk}/",
        f"/org/teams/{team.pk}/edit/",
        f"/org/teams/{team.pk}/move/",
        f"/org/teams/{team.pk}/managers/",
        f"/org/teams/{team.pk}/history/",
        f"/org/teams/{team.pk}/why/",
        f"/org/users/{rep.pk}/",
        f"/org/users/{rep.pk}/edit/",
        f"/org/users/{rep.pk}/move/",
        f"/org/users/{rep.pk}/teams/",
        f"/org/users/{rep.pk}/password/",
        f"/org/users/{rep.pk}/roles/new/",
        f"/org/users/{rep.pk}/history/",
        f"/org/users/{rep.pk}/why/",
        f"/org/roles/{role.pk}/",
        f"/org/roles/{role.pk}/edit/",
    ]


def test_every_page_renders_for_the_administrator(admin_client, org, rep):
    failures = {url: admin_client.get(url).status_code for url in page_urls(org, rep)}
    assert {url: code for url, code in failures.items() if code != 200} == {}


def test_anonymous_visitors_are_sent_to_the_login_page(db):
    response = Client().get("/org/users/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/org/users/"


def test_login_page_logs_in_and_goes_home(admin, password):
    client = Client()
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": "admin", "password": password})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_logout_is_a_post(admin_client):
    response = admin_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert admin_client.get("/").status_code == 302


def test_too_many_failed_logins_show_the_lockout_page(settings, admin):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    client = Client(headers={"Accept-Language": "en"})
    for _ in range(2):
        client.post("/accounts/login/", {"username": "admin", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "admin", "password": "wrong"})
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]


def test_my_access_shows_my_teams_roles_rights_and_recent_changes(org, rep):
    manage(rep, org["shanghai"])
    services.user_update(actor=rep, user=rep, title="客户经理")
    response = english(rep).get("/accounts/access/")
    assert response.status_code == 200
    assert [m.team.name for m in response.context["memberships"]] == ["上海销售组"]
    assert [ur.role.code for ur in response.context["user_roles"]] == ["rep"]
    assert [(r["module"], [str(a) for a in r["actions"]], r["scope"]) for r in response.context["grant_rows"]] == [
        ("Organisation and users", ["View"], DataScope.TEAM)
    ]
    assert [(e.kind, e.object_repr) for e in response.context["recent"]] == [("update", "王芳")]


# --- who may open what ------------------------------------------------------------------------

ADMIN_PAGES = [
    "/org/",
    "/org/users/",
    "/org/users/new/",
    "/org/business-units/new/",
    "/org/teams/new/",
    "/org/group/edit/",
    "/org/roles/",
    "/org/roles/new/",
    "/org/audit/",
]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_a_user_without_organisation_rights_gets_403(nobody, url):
    assert english(nobody).get(url).status_code == 403


def test_the_403_page_names_what_is_missing(nobody):
    response = english(nobody).get("/org/users/")
    assert response.status_code == 403
    assert "Your roles do not allow “View” in “Organisation and users”." in response.content.decode()


def test_the_navigation_shows_only_what_the_user_may_use(rep, admin_client):
    rep_labels = [i["label"] for g in english(rep).get("/").context["nav_menu"] for i in g["items"]]
    assert [str(label) for label in rep_labels] == [
        "My day",
        "Feed",
        "Notifications",
        "Waiting for my approval",
        "Submitted for approval",
        "Tasks",
        "Calendar",
        "Organisation",
        "Users",
        "My delegations",
    ]
    admin_labels = [str(i["label"]) for g in admin_client.get("/org/users/").context["nav_menu"] for i in g["items"]]
    assert admin_labels == [
        "My day",
        "Feed",
        "Notifications",
        "Waiting for my approval",
        "Submitted for approval",
        "Customers",
        "Contacts",
        "Leads",
        "Lead pools",
        "Public pools",
        "Forgotten customers",
        "Duplicate check",
        "Duplicate review",
        "Ownership conflicts",
        "Imports",
        "Board",
        "Opportunities",
        "Forecast",
        "Pipeline analysis",
        "Products",
        "Quotes",
        "Contracts",
        "Price books",
        "Orders",
        "Operations queue",
        "Payments received",
        "Invoices",
        "Receivables aging",
        "Demand plans",
        "Statistical forecasts",
        "Available to promise",
        "Supply charts",
        "Items and lead times",
        "Inventory",
        "Scheduled receipts",
        "Contingency plans",
        "Tasks",
        "Calendar",
        "Organisation",
        "Users",
        "Roles",
        "Audit trail",
        "Lead assignment",
        "Approval flows",
        "Contract numbers",
        "My delegations",
        "Sales processes",
        "Duplicate rules",
        "Product categories",
    ]
    active = [
        str(i["label"]) for g in admin_client.get("/org/users/").context["nav_menu"] for i in g["items"] if i["active"]
    ]
    assert active == ["Users"]


@pytest.mark.parametrize(
    "path",
    [
        "/org/users/{user}/",
        "/org/users/{user}/edit/",
        "/org/users/{user}/why/",
        "/org/teams/{team}/",
        "/org/teams/{team}/history/",
        "/org/business-units/{bu}/",
    ],
)
def test_a_record_outside_the_scope_answers_404_like_a_missing_one(rep, outsider, org, path):
    client = english(rep)
    foreign = path.format(user=outsider.pk, team=org["north"].pk, bu=org["bu2"].pk)
    missing = path.format(user=999_999, team=999_999, bu=999_999)
    for response in (client.get(foreign), client.get(missing)):
        assert (response.status_code, response.templates[0].name) == (404, "404.html")


def test_a_visible_record_without_the_action_answers_403(rep, org):
    colleague = UserFactory(username="colleague", primary_team=org["shanghai"])
    client = english(rep)
    assert client.get(f"/org/users/{colleague.pk}/").status_code == 200
    assert client.get(f"/org/users/{colleague.pk}/edit/").status_code == 403


def test_teams_the_viewer_does_not_see_are_named_without_a_link(rep, org):
    """The rep sees only their own team: its parent and a colleague's other team are named, not
    linked (their pages would answer 404)."""
    colleague = UserFactory(username="colleague", primary_team=org["shanghai"])
    TeamMembership.objects.create(user=colleague, team=org["north"])
    client = login(rep)
    team_page = client.get(f"/org/teams/{org['shanghai'].pk}/").content.decode()
    assert org["east"].name in team_page and f'href="/org/teams/{org["east"].pk}/"' not in team_page
    assert client.get(f"/org/teams/{org['east'].pk}/").status_code == 404
    user_page = client.get(f"/org/users/{colleague.pk}/").content.decode()
    assert user_page.count(f'href="/org/teams/{org["shanghai"].pk}/"') == 2  # primary team, memberships
    assert org["north"].name in user_page and f'href="/org/teams/{org["north"].pk}/"' not in user_page


def test_the_user_list_shows_only_visible_users(rep, outsider, org):
    UserFactory(username="colleague", primary_team=org["shanghai"])
    response = english(rep).get("/org/users/?sort=username")
    assert [u.username for u in response.context["page_obj"].object_list] == ["colleague", "rep"]


# --- creating through the forms ---------------------------------------------------------------


def test_creating_a_business_unit_through_the_form_redirects_and_audits(admin_client):
    response = admin_client.post(
        "/org/business-units/new/",
        {"code": "energy", "name": "新能源事业部", "description": "", "product_lines": "储能"},
    )
    bu = BusinessUnit.objects.get(code="energy")
    assert response.status_code == 303
    assert response["Location"] == f"/org/business-units/{bu.pk}/"
    assert audit_of(bu) == [("create", "")]


def test_creating_a_team_through_the_form_builds_the_path_and_audits(admin_client, org):
    response = admin_client.post(
        "/org/teams/new/",
        {"business_unit": org["bu1"].pk, "parent": org["east"].pk, "name": "苏州组", "team_type": "sales"},
    )
    team = Team.objects.get(name="苏州组")
    assert response.status_code == 303
    assert response["Location"] == f"/org/teams/{team.pk}/"
    assert team.path == f"{org['east'].path}{team.pk}/"
    assert audit_of(team) == [("create", "")]


def test_creating_a_user_shows_the_generated_password_once(admin_client, org):
    response = admin_client.post(
        "/org/users/new/",
        {
            "username": "li.lei",
            "display_name": "李雷",
            "primary_team": org["shanghai"].pk,
            "email": "",
            "mobile": "13800000000",
            "title": "",
            "language": "zh-hans",
            "password": "",
        },
    )
    user = User.objects.get(username="li.lei")
    assert response.status_code == 303
    assert response["Location"] == f"/org/users/{user.pk}/"
    first = admin_client.get(response["Location"])
    assert user.check_password(first.context["new_password"])
    assert admin_client.get(response["Location"]).context["new_password"] is None
    assert user.primary_team == org["shanghai"]
    assert audit_of(user) == [("create", "")]


def test_creating_a_role_through_the_permission_matrix(admin_client):
    response = admin_client.post(
        "/org/roles/new/",
        {
            "code": "viewer",
            "name": "查看者",
            "description": "",
            "perm__org__view": "on",
            "perm__org__export": "on",
            "scope__org": str(DataScope.TEAM_TREE),
            "perm__audit__view": "on",
        },
    )
    role = Role.objects.get(code="viewer")
    assert response.status_code == 303
    assert response["Location"] == f"/org/roles/{role.pk}/"
    assert policies.role_permissions(role) == {
        "org": (DataScope.TEAM_TREE, {"view", "export"}),
        "audit": (DataScope.GROUP, {"view"}),
    }
    assert audit_of(role) == [("create", "")]


def test_editing_a_role_shows_its_current_permissions_and_saves_changes(admin_client, rep):
    role = Role.objects.get(code="rep")
    form = admin_client.get(f"/org/roles/{role.pk}/edit/").context["form"]
    assert (form["perm__org__view"].value(), form["perm__org__edit"].value(), form["scope__org"].value()) == (
        True,
        None,
        DataScope.TEAM,
    )
    response = admin_client.post(
        f"/org/roles/{role.pk}/edit/",
        {"name": "外勤销售", "description": "", "perm__org__view": "on", "scope__org": str(DataScope.TEAM_TREE)},
    )
    assert response.status_code == 303
    role.refresh_from_db()
    assert (role.name, [(m, scope) for m, (scope, _a) in policies.role_permissions(role).items()]) == (
        "外勤销售",
        [("org", DataScope.TEAM_TREE)],
    )


# --- bad input: the field error is shown and nothing is saved ----------------------------------


def test_a_duplicate_business_unit_code_is_a_field_error_and_keeps_the_input(admin_client, org):
    before = BusinessUnit.objects.count()
    response = admin_client.post(
        "/org/business-units/new/", {"code": "ind", "name": "另一个事业部", "description": "说明", "product_lines": ""}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"code": ["Business unit with this Code already exists."]}
    assert BusinessUnit.objects.count() == before
    html = response.content.decode()
    assert 'value="另一个事业部"' in html
    assert 'id="id_code_error"' in html


def test_a_user_form_with_bad_input_saves_nothing(admin_client, org):
    response = admin_client.post(
        "/org/users/new/",
        {
            "username": "",
            "display_name": "韩梅梅",
            "primary_team": org["shanghai"].pk,
            "email": "not-an-email",
            "language": "zh-hans",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "username": ["This field is required."],
        "email": ["Enter a valid email address."],
    }
    assert not User.objects.filter(display_name="韩梅梅").exists()


def test_a_service_validation_error_lands_on_the_right_field(admin_client, org):
    response = admin_client.post(
        "/org/users/new/",
        {
            "username": "weak",
            "display_name": "弱密码",
            "primary_team": org["shanghai"].pk,
            "language": "zh-hans",
            "password": "123",
        },
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["password"]
    assert not User.objects.filter(username="weak").exists()


def test_a_refused_widening_is_a_form_error_and_is_audited(org):
    bu_admin = UserFactory(username="bu_admin", primary_team=org["east"])
    grant(
        bu_admin,
        make_role(
            "bu-admin",
            {"org": (DataScope.BUSINESS_UNIT, {"view", "create"}), "roles": (DataScope.GROUP, {"view", "create"})},
        ),
    )
    response = english(bu_admin).post(
        "/org/roles/new/",
        {
            "code": "wide",
            "name": "全集团",
            "description": "",
            "perm__org__view": "on",
            "scope__org": str(DataScope.GROUP),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "You cannot grant more than you hold: Organisation and users: the scope “Whole group” is wider "
        "than your own “Team and sub-teams”"
    ]
    assert not Role.objects.filter(code="wide").exists()
    assert AuditEntry.objects.filter(kind="denied", actor=bu_admin, verb="role_create").count() == 1


def test_assigning_a_role_wider_than_ones_own_is_refused_on_the_form(org, rep):
    manager = UserFactory(username="manager", primary_team=org["east"])
    grant(
        manager,
        make_role("mgr", {"org": (DataScope.TEAM_TREE, {"view"}), "roles": (DataScope.GROUP, {"view", "administer"})}),
    )
    admin_like = make_role("big", {"org": (DataScope.GROUP, {"view", "edit"})})
    response = english(manager).post(f"/org/users/{rep.pk}/roles/new/", {"role": admin_like.pk, "business_unit": ""})
    assert response.status_code == 200
    assert len(response.context["form"].non_field_errors()) == 1
    assert list(rep.user_roles.values_list("role__code", flat=True)) == ["rep"]


def test_deactivating_a_team_with_members_is_refused_with_a_message(admin_client, org, rep):
    response = admin_client.post(f"/org/teams/{org['shanghai'].pk}/active/", {"is_active": "0"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Move the active sub-teams and users out of this team before deactivating it."
    ]
    assert Team.objects.get(pk=org["shanghai"].pk).is_active is True


# --- the other changes, through the services --------------------------------------------------


def test_moving_a_team_and_setting_its_managers(admin_client, org, rep):
    team = org["pudong"]
    assert admin_client.post(f"/org/teams/{team.pk}/move/", {"parent": org["east"].pk}).status_code == 303
    team.refresh_from_db()
    assert team.path == f"{org['east'].path}{team.pk}/"
    assert admin_client.post(f"/org/teams/{team.pk}/managers/", {"managers": [rep.pk]}).status_code == 303
    assert list(TeamMembership.objects.filter(team=team, is_manager=True).values_list("user__username", flat=True)) == [
        "rep"
    ]
    assert [v for _k, v in audit_of(team)] == ["managers", "move"]


def test_moving_a_team_under_its_own_subtree_is_a_field_error(admin_client, org):
    response = admin_client.post(f"/org/teams/{org['east'].pk}/move/", {"parent": org["pudong"].pk})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "parent": ["Select a valid choice. That choice is not one of the available choices."]
    }


def test_user_changes_move_teams_password_role_and_deactivation(admin_client, org, rep):
    assert admin_client.post(f"/org/users/{rep.pk}/move/", {"team": org["pudong"].pk}).status_code == 303
    assert admin_client.post(f"/org/users/{rep.pk}/teams/", {"teams": [org["supply"].pk]}).status_code == 303
    response = admin_client.post(f"/org/users/{rep.pk}/password/", {"password": ""})
    assert response.status_code == 303
    shown = admin_client.get(response["Location"]).context["new_password"]
    rep.refresh_from_db()
    assert rep.check_password(shown)
    role = make_role("helper", {"org": (DataScope.SELF, {"view"})})
    assert (
        admin_client.post(
            f"/org/users/{rep.pk}/roles/new/", {"role": role.pk, "business_unit": org["bu1"].pk}
        ).status_code
        == 303
    )
    user_role = rep.user_roles.get(role=role)
    assert admin_client.post(f"/org/users/{rep.pk}/roles/{user_role.pk}/revoke/").status_code == 303
    assert admin_client.post(f"/org/users/{rep.pk}/active/", {"is_active": "0"}).status_code == 303
    rep.refresh_from_db()
    assert (rep.primary_team, rep.is_active) == (org["pudong"], False)
    assert sorted(m.team.name for m in rep.memberships.all()) == ["供应计划组", "浦东小组"]
    assert [v for _k, v in audit_of(rep)] == [
        "deactivate",
        "role_revoke",
        "role_assign",
        "reset_password",
        "teams",
        "move",
    ]


def test_deactivating_oneself_is_refused_with_a_message(admin_client, admin):
    response = admin_client.post(f"/org/users/{admin.pk}/active/", {"is_active": "0"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["You cannot deactivate yourself."]
    assert User.objects.get(pk=admin.pk).is_active is True


def test_group_and_business_unit_edits(admin_client, org):
    assert (
        admin_client.post("/org/group/edit/", {"name": "华信集团", "short_name": "华信", "credit_code": ""}).status_code
        == 303
    )
    assert services.group_get().short_name == "华信"
    bu = org["bu2"]
    assert (
        admin_client.post(
            f"/org/business-units/{bu.pk}/edit/",
            {"code": "med", "name": "医疗事业部", "description": "", "product_lines": ""},
        ).status_code
        == 303
    )
    assert admin_client.post(f"/org/business-units/{bu.pk}/active/", {"is_active": "0"}).status_code == 303
    bu.refresh_from_db()
    assert (bu.name, bu.is_active) == ("医疗事业部", False)


# --- the user's own pages ---------------------------------------------------------------------


def test_profile_changes_go_through_the_service(rep):
    client = english(rep)
    response = client.post(
        "/accounts/profile/",
        {"display_name": "王芳芳", "email": "wf@example.com", "mobile": "139", "title": "客户经理", "language": "en"},
    )
    assert response.status_code == 303
    rep.refresh_from_db()
    assert (rep.display_name, rep.email, rep.title) == ("王芳芳", "wf@example.com", "客户经理")
    assert audit_of(rep) == [("update", "")]


def test_a_token_is_shown_once_and_can_be_revoked(rep):
    client = english(rep)
    response = client.post("/accounts/tokens/", {"name": "ERP", "expires_at": ""})
    assert response.status_code == 303
    raw = client.get("/accounts/tokens/").context["new_token"]
    token = AccessToken.objects.get(user=rep)
    assert services.token_authenticate(raw) == rep
    assert client.get("/accounts/tokens/").context["new_token"] is None
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 303
    assert services.token_authenticate(raw) is None


def test_a_past_expiry_is_a_field_error(rep):
    response = english(rep).post("/accounts/tokens/", {"name": "old", "expires_at": "2000-01-01"})
    assert response.context["form"].errors == {"expires_at": ["The expiry must be in the future."]}
    assert not AccessToken.objects.exists()


def test_switching_the_language_saves_it_and_the_next_page_uses_it(rep):
    client = login(rep)
    assert '<html lang="zh-hans">' in client.get("/").content.decode()
    response = client.post("/accounts/language/", {"language": "en", "next": "/org/users/"})
    assert response.status_code == 303
    assert response["Location"] == "/org/users/"
    assert User.objects.get(pk=rep.pk).language == "en"
    assert '<html lang="en">' in client.get("/org/users/").content.decode()
    client.post("/accounts/language/", {"language": "zh-hans", "next": "https://evil.example/"})
    assert User.objects.get(pk=rep.pk).language == "zh-hans"
    assert '<html lang="zh-hans">' in client.get("/").content.decode()


def test_an_unknown_language_is_refused(rep):
    assert login(rep).post("/accounts/language/", {"language": "xx"}).status_code == 400
    assert User.objects.get(pk=rep.pk).language == "zh-hans"


# --- htmx: one view, two renderings -----------------------------------------------------------


def test_the_user_list_answers_htmx_with_the_results_fragment(admin_client, rep):
    full = admin_client.get("/org/users/?q=rep")
    fragment = admin_client.get("/org/users/?q=rep", headers={**HTMX, "HX-Target": "user-results"})
    assert full.templates[0].name == "org/user_list.html"
    assert b"<html" in full.content
    assert b"<html" not in fragment.content
    assert b'id="user-count" hx-swap-oob="true">1</span>' in fragment.content
    assert [u.username for u in fragment.context["page_obj"].object_list] == ["rep"]
    assert {"HX-Request", "HX-Target"} <= {v.strip() for v in fragment["Vary"].split(",")}
    assert {"HX-Request", "HX-Target"} <= {v.strip() for v in full["Vary"].split(",")}


def test_an_htmx_navigation_to_a_list_gets_the_whole_page(admin_client):
    response = admin_client.get("/org/users/", headers=HTMX)  # HX-Location: no HX-Target
    assert b"<html" in response.content


def test_an_htmx_post_answers_with_hx_location_or_the_form_fragment(admin_client, org):
    headers = {**HTMX, "HX-Target": "xt-form"}
    ok = admin_client.post("/org/business-units/new/", {"code": "new", "name": "新事业部"}, headers=headers)
    bu = BusinessUnit.objects.get(code="new")
    assert ok.status_code == 200
    assert ok["HX-Location"] == f'{{"path": "/org/business-units/{bu.pk}/"}}'
    bad = admin_client.post("/org/business-units/new/", {"code": "new", "name": "重复"}, headers=headers)
    assert bad.status_code == 200
    assert b"<html" not in bad.content
    assert bad.content.decode().lstrip().startswith('<form method="post"')
    assert 'value="重复"' in bad.content.decode()


def test_filters_and_sorting_of_the_user_list(admin_client, org, rep):
    UserFactory(username="amy", display_name="艾米", primary_team=org["north"])
    UserFactory(username="zed", display_name="泽德", primary_team=org["shanghai"], is_active=False)

    def names(query: str) -> list[str]:
        return [u.username for u in admin_client.get(f"/org/users/?{query}").context["page_obj"].object_list]

    assert names(f"business_unit={org['bu2'].pk}") == ["amy"]
    assert names(f"team={org['shanghai'].pk}&status=all&sort=-username") == ["zed", "rep"]
    assert names("status=inactive") == ["zed"]
    assert names(f"role={Role.objects.get(code='rep').pk}") == ["rep"]
    assert names("q=艾") == ["amy"]
    assert names("sort=username") == ["admin", "amy", "rep"]
    assert names("sort=nonsense&page=99") == names("")


def test_history_loads_more_entries_on_demand(admin_client, org):
    team = org["supply"]
    for i in range(12):
        services.team_update(actor=User.objects.get(username="admin"), team=team, name=f"供应计划组{i}")
    page = admin_client.get(f"/org/teams/{team.pk}/")
    assert len(page.context["entries"]) == 10
    assert page.context["more_url"] == f"/org/teams/{team.pk}/history/?offset=10"
    more = admin_client.get(page.context["more_url"], headers=HTMX)
    assert [e.changes["name"][1] for e in more.context["entries"]] == ["供应计划组1", "供应计划组0"]
    assert more.context["more_url"] == ""
    assert b"<html" not in more.content


def test_why_can_i_see_this_lists_the_granting_rules(rep, org):
    colleague = UserFactory(username="colleague", primary_team=org["shanghai"])
    response = english(rep).get(f"/org/users/{colleague.pk}/why/", headers=HTMX)
    assert response.context["reasons"] == ["Role “rep” grants the scope “Team”"]


# --- no N+1 on the list pages -----------------------------------------------------------------


def test_user_list_query_count_does_not_grow_with_rows(admin_client, org):
    role = make_role("extra", {"org": (DataScope.SELF, {"view"})})

    def add_rows() -> None:
        for i in range(5):
            user = UserFactory(username=f"more{i}", primary_team=org["pudong"])
            grant(user, role, org["bu1"])

    assert_queries_constant(lambda: admin_client.get("/org/users/"), add_rows, max_queries=10)


def test_overview_query_count_does_not_grow_with_teams(admin_client, org):
    def add_rows() -> None:
        for i in range(4):
            team = TeamFactory(parent=org["east"], name=f"新组{i}")
            manage(UserFactory(username=f"lead{i}", primary_team=team), team)

    assert_queries_constant(lambda: admin_client.get("/org/"), add_rows, max_queries=8)


def test_record_pages_query_counts_do_not_grow_with_members(admin_client, admin, org, rep):
    team = org["shanghai"]

    def add_team_rows() -> None:
        for i in range(4):
            member = UserFactory(username=f"member{i}", primary_team=team)
            manage(member, TeamFactory(parent=team, name=f"子组{i}"))
            services.team_update(actor=admin, team=team, name=f"上海销售组{i}")

    def add_user_rows() -> None:
        for i in range(4):
            TeamMembership.objects.create(user=rep, team=TeamFactory(parent=team, name=f"项目组{i}"))
            grant(rep, make_role(f"extra{i}", {"org": (DataScope.SELF, {"view"})}), org["bu1"])
            services.user_update(actor=admin, user=rep, title=f"职位{i}")

    # 10 for the page itself, plus the collaboration panels: comments (visibility check, threads)
    # and followers (2)
    # 14 + the timeline panel (record check, audit page, comment threads, their replies)
    # 18 + the files panel (record check, files) and the timeline's files; 22 with its tasks
    assert_queries_constant(lambda: admin_client.get(f"/org/teams/{team.pk}/"), add_team_rows, max_queries=22)
    assert_queries_constant(lambda: admin_client.get(f"/org/users/{rep.pk}/"), add_user_rows, max_queries=8)


def test_audit_log_filters_by_kind_and_actor(admin_client, admin, org, rep):
    services.team_update(actor=admin, team=org["supply"], name="供应链组")
    services.user_update(actor=rep, user=rep, title="经理")
    response = admin_client.get(f"/org/audit/?kind=update&actor={rep.pk}")
    assert [(e.actor.username, e.object_repr) for e in response.context["page_obj"].object_list] == [("rep", "王芳")]


def tree_rows(html: str) -> list[tuple[int, str]]:
    """(level, team name) of each row of the team trees on a page, in order."""
    rows = re.findall(r'xt-tree-row xt-depth-(\d+).*?<a href="/org/teams/\d+/">(.*?)</a>', html, re.S)
    return [(int(depth), name) for depth, name in rows]


def test_the_overview_draws_each_team_tree_indented_by_depth(admin_client, org):
    rows = tree_rows(admin_client.get("/org/").content.decode())
    depths = {name: depth for depth, name in rows}
    assert depths == {"华东销售部": 0, "上海销售组": 1, "浦东小组": 2, "供应计划组": 0, "华北销售部": 0}
    order = [name for _depth, name in rows]
    assert order.index("华东销售部") < order.index("上海销售组") < order.index("浦东小组")


def test_a_team_page_lists_its_sub_teams_from_level_zero(admin_client, org):
    response = admin_client.get(f"/org/teams/{org['east'].pk}/")
    assert [t.name for t in response.context["subteams"]] == ["上海销售组", "浦东小组"]
    assert tree_rows(response.content.decode()) == [(0, "上海销售组"), (1, "浦东小组")]


def test_the_server_error_page_renders_without_a_request():
    from django.template import loader
    from django.utils import translation

    with translation.override("en"):
        html = loader.get_template("500.html").render()
    assert '<html lang="en">' in html
    assert "Something went wrong" in html


def test_changing_ones_password(rep, password):
    client = english(rep)
    response = client.post(
        "/accounts/password/",
        {"old_password": password, "new_password1": "Hx-new-pass-2027", "new_password2": "Hx-new-pass-2027"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    rep.refresh_from_db()
    assert rep.check_password("Hx-new-pass-2027")


def test_choosing_a_business_unit_refreshes_the_parent_choices_in_place(admin_client, org):
    response = admin_client.get(
        f"/org/teams/new/?business_unit={org['bu2'].pk}&name=新组&team_type=service",
        headers={**HTMX, "HX-Target": "xt-form"},
    )
    form = response.context["form"]
    assert b"<html" not in response.content
    assert [t.name for t in form.fields["parent"].queryset] == ["华北销售部"]
    assert (form["name"].value(), form["team_type"].value()) == ("新组", "service")


def test_add_a_sub_team_preselects_the_parent_and_its_business_unit(admin_client, org):
    form = admin_client.get(f"/org/teams/new/?parent={org['shanghai'].pk}").context["form"]
    assert (form["business_unit"].value(), form["parent"].value()) == (org["bu1"].pk, org["shanghai"].pk)


def test_changing_ones_own_password_goes_through_the_service_and_is_audited(org):
    from tests.support.factories import DEFAULT_PASSWORD, UserFactory
    from xietong.core.audit import history

    user = UserFactory(username="changer", primary_team=org["east"])
    client = login(user)
    response = client.post(
        "/accounts/password/",
        {"old_password": DEFAULT_PASSWORD, "new_password1": "Qz-new-pass-2026", "new_password2": "Qz-new-pass-2026"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Qz-new-pass-2026")
    assert [e.verb for e in history(user)] == ["change_password"]
    assert client.get("/accounts/profile/").status_code == 200  # still signed in


def test_a_wrong_old_password_changes_nothing(org):
    from tests.support.factories import DEFAULT_PASSWORD, UserFactory

    user = UserFactory(username="changer", primary_team=org["east"])
    response = login(user).post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": "Qz-new-pass-2026", "new_password2": "Qz-new-pass-2026"},
    )
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_the_role_page_shows_its_history(admin_client, admin):
    from xietong.org import services

    role = services.role_create(
        actor=admin, code="planner", name="计划员", permissions={"org": (DataScope.TEAM, {"view"})}
    )
    page = admin_client.get(f"/org/roles/{role.pk}/")
    assert page.status_code == 200
    assert [e.kind for e in page.context["entries"]] == ["create"]
    more = admin_client.get(f"/org/roles/{role.pk}/history/")
    assert more.status_code == 200
    assert admin_client.get("/org/roles/999999/history/").status_code == 404


# --- the Excel export of the user list ---------------------------------------------------------

EXPORT = "/org/users/export.xlsx"
EXPORT_HEADER = [
    "Name",
    "Username",
    "Team",
    "Business unit",
    "Roles",
    "Job title",
    "Email",
    "Mobile",
    "Active",
    "Last login",
    "Joined",
]


def sheet_rows(response: Any) -> list[list[Any]]:
    """Every row of the exported sheet, the header first, as cell values."""
    import io

    from openpyxl import load_workbook

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


@pytest.fixture
def exporter(org: dict[str, Any]) -> User:
    """A member of 华东销售部 who views the users of the team tree but exports only their own team's."""
    user = UserFactory(username="exporter", display_name="导出员", primary_team=org["east"])
    grant(user, make_role("tree-viewer", {"org": (DataScope.TEAM_TREE, {"view"})}))
    grant(user, make_role("team-exporter", {"org": (DataScope.TEAM, {"export"})}))
    return user


def test_the_user_export_holds_exactly_the_filtered_sorted_rows_with_real_values(settings, admin_client, org, rep):
    import datetime

    settings.TIME_ZONE = "Asia/Shanghai"
    zed = UserFactory(username="zed", display_name="泽德", primary_team=org["shanghai"], is_active=False)
    UserFactory(username="amy", display_name="艾米", primary_team=org["north"])
    joined = datetime.datetime(2026, 3, 1, 2, 0, tzinfo=datetime.UTC)
    User.objects.filter(pk=rep.pk).update(
        date_joined=joined, last_login=joined + datetime.timedelta(days=1), mobile="13800000000", title="客户经理"
    )
    User.objects.filter(pk=zed.pk).update(date_joined=joined)
    grant(rep, make_role("region", {"org": (DataScope.SELF, {"view"})}, name="大区经理"), org["bu1"])

    response = admin_client.get(f"{EXPORT}?team={org['shanghai'].pk}&status=all&sort=-username")
    assert sheet_rows(response) == [
        EXPORT_HEADER,
        ["泽德", "zed", "上海销售组", "工业设备事业部", None, None, "zed@example.com", None, "no", None,
         datetime.datetime(2026, 3, 1, 10, 0)],
        ["王芳", "rep", "上海销售组", "工业设备事业部", "rep、大区经理 · ind", "客户经理", "rep@example.com",
         "13800000000", "yes", datetime.datetime(2026, 3, 2, 10, 0), datetime.datetime(2026, 3, 1, 10, 0)],
    ]  # fmt: skip
    # The same rows, in the same order, as the list page shows with these filters.
    page = admin_client.get(f"/org/users/?team={org['shanghai'].pk}&status=all&sort=-username")
    assert [u.username for u in page.context["page_obj"].object_list] == ["zed", "rep"]


@pytest.mark.usefixtures("compiled_catalogue")
def test_the_user_export_is_an_xlsx_attachment_with_a_chinese_file_name(admin):
    from urllib.parse import quote

    assert admin.language == "zh-hans"
    response = login(admin).get(EXPORT)
    today = timezone.localdate()
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(f'用户-{today:%Y%m%d}.xlsx')}"
    assert sheet_rows(response)[0][:2] == ["姓名", "用户名"]


def test_a_user_without_the_export_action_gets_403_and_no_button(rep):
    client = english(rep)
    assert client.get(EXPORT).status_code == 403
    assert 'id="user-export"' not in client.get("/org/users/").content.decode()


def test_the_export_button_carries_the_current_filters_and_sort(admin_client, org):
    html = admin_client.get(f"/org/users/?team={org['shanghai'].pk}&sort=-username&page=2").content.decode()
    assert (
        f'<a class="btn btn-outline-secondary" id="user-export" '
        f'href="/org/users/export.xlsx?team={org["shanghai"].pk}&amp;sort=-username" download>'
    ) in html
    fragment = admin_client.get("/org/users/?q=rep", headers={**HTMX, "HX-Target": "user-results"})
    assert 'href="/org/users/export.xlsx?q=rep" download hx-swap-oob="true">' in fragment.content.decode()


def test_the_export_scope_not_the_view_scope_decides_the_exported_rows(exporter, org, rep):
    client = english(exporter)
    listed = client.get("/org/users/?sort=username").context["page_obj"].object_list
    assert [u.username for u in listed] == ["exporter", "rep"]  # 华东 and 上海 below it
    assert [row[1] for row in sheet_rows(client.get(f"{EXPORT}?sort=username"))] == ["Username", "exporter"]


def test_a_formula_in_a_name_is_exported_as_text(admin_client, org):
    UserFactory(username="evil", display_name='=HYPERLINK("http://evil.example","点我")', primary_team=org["east"])
    rows = sheet_rows(admin_client.get(f"{EXPORT}?q=evil"))
    assert rows[1][:2] == ['\'=HYPERLINK("http://evil.example","点我")', "evil"]


def test_the_export_is_logged_with_the_user_the_rows_and_the_filters(caplog, admin_client, org, rep):
    import logging

    with caplog.at_level(logging.INFO, logger="xietong.exports"):
        admin_client.get(f"{EXPORT}?team={org['shanghai'].pk}")
    assert [r.getMessage() for r in caplog.records if r.name == "xietong.exports"] == [
        f"export Users-{timezone.localdate():%Y%m%d}.xlsx by admin "
        f"(id {User.objects.get(username='admin').pk}): 1 rows, filters {{'q': '', 'business_unit_id': None, "
        f"'team_id': {org['shanghai'].pk}, 'role_id': None, 'is_active': True, 'sort': 'display_name'}}"
    ]


def test_user_export_query_count_does_not_grow_with_rows(admin_client, org):
    role = make_role("extra", {"org": (DataScope.SELF, {"view"})})

    def add_rows() -> None:
        for i in range(5):
            user = UserFactory(username=f"more{i}", primary_team=org["pudong"])
            grant(user, role, org["bu1"])

    assert_queries_constant(lambda: admin_client.get(EXPORT), add_rows, max_queries=10)
