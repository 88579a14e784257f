"""The demo group, the built-in roles and the bootstrap commands (demo_data, create_admin)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.db.models import F

from tests.support.clock import midday
from xietong.core import modules
from xietong.core.choices import DataScope
from xietong.core.models import AuditEntry
from xietong.core.validators import credit_code_check_char, is_valid_credit_code, validate_credit_code
from xietong.org import defaults, demo
from xietong.org.models import BusinessUnit, Group, Role, RolePermission, Team, TeamMembership, User, UserRole

pytestmark = pytest.mark.django_db

TABLES = (Group, BusinessUnit, Team, User, TeamMembership, Role, RolePermission, UserRole, AuditEntry)


def table_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


def fresh(username: str) -> User:
    """A user as a new request would load it (no cached access)."""
    return User.objects.get(username=username)


def visible_usernames(viewer: User) -> set[str]:
    return set(User.objects.visible_to(viewer).values_list("username", flat=True))


def team_key(team: Team) -> tuple[str, ...]:
    names = []
    node: Team | None = team
    while node is not None:
        names.append(node.name)
        node = node.parent
    return (team.business_unit.code, *reversed(names))


def snapshot() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The loaded data without database ids, in creation order."""
    users = [
        (
            u.username,
            u.display_name,
            u.mobile,
            u.email,
            u.title,
            u.business_unit.code if u.business_unit else None,
            team_key(u.primary_team) if u.primary_team else None,
        )
        for u in User.objects.select_related("business_unit", "primary_team").order_by("pk")
    ]
    teams = [(team_key(t), t.team_type, t.depth) for t in Team.objects.select_related("business_unit").order_by("pk")]
    return users, teams


# --- the demo group ---------------------------------------------------------------------------


def test_demo_group_has_three_business_units_46_teams_and_46_people() -> None:
    # the demo's history is a rolling window of months up to today: its counts change every month
    with midday(date(2026, 11, 30)):
        result = demo.load_demo_data()

    assert result.skipped is False
    assert dict(result.created) == {
        "group": 1,
        "business units": 3,
        "teams": 46 + 1,  # + the project group of the demo collaboration (collaboration/demo.py)
        "users": 46,
        "memberships": 67 + 4,  # + its four members from sales, supply and production
        "role assignments": 46,
        "comments": 3,
        "follows": 4,
        "tasks": 5,
        # the CRM (customers/demo.py, customers/pools.py demo_pools, customers/duplicates.py
        # demo_plant, leads/demo.py): 13 customers waiting in pools, 13 owned with a contact each,
        # 6 planted near-duplicates; one customer worked by two BUs
        "customer pools": 6,
        "recycle rules": 12,
        "pool members": 12,
        "ownership limits": 3,
        "customers": 13 + 13 + 6,
        "relationships": 13 + 13 + 1 + 6,
        "contacts": 13 + 28,  # + a technical lead and a finance head on each customer with deals
        "follow-ups": 18,
        "lead pools": 3,
        "assignment rules": 6,
        "web forms": 3,
        "leads": 12 + 1,  # + a planted duplicate of a customer
        # the catalogue and the pipeline (catalog/demo.py, pipeline/demo.py)
        "product categories": 40,
        "products": 37,
        "sales processes": 3,
        "opportunities": 69,
        "won": 9,
        "lost": 14,
        "opportunity lines": 86,
        "opportunity contacts": 152,
        "deal teams": 17,
        # quote-to-cash (approvals, quotes, contracts, receivables and orders demo.py; tests/test_q2c_demo.py)
        "approval flows": 15,
        "price books": 5,
        "price book entries": 134,
        "quotes": 28,
        "approval decisions": 63,
        "contracts": 15,
        "signed scans": 11,
        "contract amendments": 1,
        "renewal reminders": 2,
        "payment plans": 11,
        "installments": 44,
        "payments": 23,
        "invoices": 13,
        "payment plan changes": 1,
        "partial payments": 1,
        "over-payments": 1,
        "credit limits": 7,
        "refunds": 1,
        "overdue reminders": 8,
        "orders": 9,
        "shipments": 2,
        # sales and operations planning (supply/demo.py)
        "warehouses": 3,
        "production lines": 3,
        "supply items": 33,  # the goods: services and the software licence are not stocked
        "framework contracts": 48,
        "order history: orders": 432,
        "order history: lines": 1092,
        "order history: payment plans": 48,
        "order history: payments": 432,
        "order history: invoices": 432,
        "sales history months": 396,
        "inventory positions": 33,
        "scheduled receipts": 11,
        "forecast runs": 2,
        "demand plans": 2,
        "demand overrides": 6,
        "contingency plans": 2,
    }
    assert list(BusinessUnit.objects.order_by("code").values_list("code", "name", "product_lines")) == [
        ("energy", "新能源事业部", "储能系统、光伏逆变器、充电桩"),
        ("ind", "工业设备事业部", "数控机床、工业机器人、自动化产线"),
        ("med", "医疗器械事业部", "影像设备、体外诊断、手术耗材"),
    ]
    assert dict(Counter(Team.objects.values_list("business_unit__code", flat=True))) == {
        "ind": 16,
        "med": 15,
        "energy": 16,
    }
    assert dict(Counter(Team.objects.values_list("depth", flat=True))) == {0: 26, 1: 9, 2: 12}
    holders = Counter(UserRole.objects.values_list("role__code", flat=True))
    assert dict(holders) == {
        "admin": 1,
        "bu_head": 3,
        "sales_manager": 9,
        "sales_rep": 15,
        "presales": 3,
        "supply_planner": 3,
        "production_planner": 3,
        "operations": 3,
        "finance": 3,
        "service": 3,
    }
    assert UserRole.objects.filter(business_unit__isnull=True).get().user.username == "admin"
    assert list(User.objects.order_by("pk").values_list("username", flat=True)[:6]) == [
        "admin",
        "dong.jie",
        "ding.yuhang",
        "lu.juan",
        "pan.hui",
        "luo.ming",
    ]


def test_demo_people_look_real_and_share_the_demo_password() -> None:
    demo.load_demo_data()
    people = User.objects.exclude(username="admin")

    assert people.count() == 45
    assert len(set(people.values_list("username", flat=True))) == 45
    assert len(set(people.values_list("mobile", flat=True))) == 45
    for user in people:
        assert user.mobile.isdigit() and len(user.mobile) == 11 and user.mobile[0] == "1"
        assert user.mobile[1] in "3456789"
        assert user.email == f"{user.username}@demo.xietong.cn"
        assert user.display_name == user.last_name + user.first_name
        assert user.is_staff is False and user.is_superuser is False
    assert check_password("demo12345", people.get(username="luo.ming").password)
    admin = fresh("admin")
    assert (admin.display_name, admin.is_staff, admin.is_superuser, admin.primary_team_id) == (
        "系统管理员",
        True,
        True,
        None,
    )
    assert check_password("admin12345", admin.password)


def test_every_team_path_is_its_parents_path_plus_its_id() -> None:
    demo.load_demo_data(scale="smoke")

    teams = {t.pk: t for t in Team.objects.all()}
    assert len(teams) == 78
    for team in teams.values():
        prefix = teams[team.parent_id].path if team.parent_id else f"/bu{team.business_unit_id}/"
        assert team.path == f"{prefix}{team.pk}/"
        assert team.depth == Team.depth_of(team.path)
        if team.parent_id:
            assert teams[team.parent_id].business_unit_id == team.business_unit_id


def test_every_user_belongs_to_their_primary_team_and_its_business_unit() -> None:
    demo.load_demo_data(scale="smoke")

    users = User.objects.exclude(username="admin").select_related("primary_team")
    assert users.count() == 545
    memberships = set(TeamMembership.objects.values_list("user_id", "team_id"))
    for user in users:
        assert user.business_unit_id == user.primary_team.business_unit_id
        assert (user.pk, user.primary_team_id) in memberships
    roles_outside_own_bu = UserRole.objects.filter(business_unit__isnull=False).exclude(
        business_unit_id=F("user__business_unit_id")
    )
    assert roles_outside_own_bu.count() == 0


def test_managers_manage_what_the_tree_says() -> None:
    demo.load_demo_data()

    def managed(username: str) -> list[str]:
        return sorted(
            TeamMembership.objects.filter(user__username=username, is_manager=True).values_list("team__name", flat=True)
        )

    assert managed("dong.jie") == sorted(
        ["总经理办公室", "销售中心", "售前技术部", "供应计划部", "生产计划部", "运营交付部", "财务部", "售后服务部"]
    )
    assert managed("ding.yuhang") == ["销售中心"]
    assert managed("lu.juan") == ["华东大区"]
    assert managed("luo.ming") == []
    assert TeamMembership.objects.filter(is_manager=True).count() == 8 + 9 + 8 + 3 * (1 + 2)


# --- idempotency and determinism -----------------------------------------------------------------


def test_a_second_load_creates_nothing_and_says_so(django_assert_num_queries: Any) -> None:
    demo.load_demo_data(scale="smoke")
    before = table_counts()

    with django_assert_num_queries(4 + 4):  # group, roles, role rows, load markers; two savepoints
        again = demo.load_demo_data(scale="smoke")

    assert again.skipped is True
    assert again.created_rows == 0
    assert table_counts() == before


def test_a_forced_load_looks_everything_up_and_creates_nothing() -> None:
    demo.load_demo_data(scale="smoke")
    before = table_counts()

    again = demo.load_demo_data(scale="smoke", force=True)

    assert again.skipped is False
    assert dict(again.created) == {}
    assert table_counts() == before


def test_a_smaller_scale_after_a_larger_one_is_already_covered() -> None:
    demo.load_demo_data(scale="smoke")
    before = table_counts()

    assert demo.load_demo_data(extra_users=200).skipped is True
    assert demo.load_demo_data().skipped is True
    assert table_counts() == before


def test_a_larger_scale_adds_only_the_difference() -> None:
    demo.load_demo_data(extra_users=200)
    assert User.objects.count() == 246

    result = demo.load_demo_data(scale="smoke")

    assert result.created["users"] == 300
    assert User.objects.count() == 546
    assert AuditEntry.objects.filter(verb="demo_data").count() == 2


def test_the_same_plan_gives_the_same_data_on_a_fresh_database() -> None:
    runs = []
    for _ in range(2):
        with transaction.atomic():
            demo.load_demo_data(scale="smoke")
            runs.append(snapshot())
            transaction.set_rollback(True)  # back to an empty database for the next run
        assert User.objects.count() == 0

    assert runs[0] == runs[1]
    users, teams = runs[0]
    assert len(users) == 546 and len(teams) == 78
    assert [u[0] for u in users[-3:]] == ["zhu.bo.498", "ding.yang.499", "feng.zhiwei.500"]


def test_a_smaller_plan_is_a_prefix_of_a_larger_one() -> None:
    small, large = demo.build_plan(300), demo.build_plan(500)

    assert [u.username for u in small.extra_users] == [u.username for u in large.extra_users][:300]
    assert [t.key for t in small.teams] == [t.key for t in large.teams][: len(small.teams)]


def test_loading_over_a_placeholder_group_names_it_and_keeps_its_row() -> None:
    from xietong.org.services import group_get

    placeholder = group_get()

    demo.load_demo_data()

    group = Group.objects.get()
    assert (group.pk, group.name, group.short_name, group.credit_code) == (
        placeholder.pk,
        "华信集团",
        "华信",
        demo.GROUP_CREDIT_CODE,
    )
    marker = AuditEntry.objects.get(verb="demo_data")
    assert (marker.kind, marker.object_id, marker.actor_id) == ("action", str(group.pk), None)
    assert marker.changes["extra_users"] == [None, 0]


# --- the credit code ------------------------------------------------------------------------------


def test_the_group_credit_code_passes_the_gb32100_check() -> None:
    demo.load_demo_data()
    code = Group.objects.get().credit_code

    assert code == "91310115MA1K3Y6N22"
    validate_credit_code(code)


@pytest.mark.parametrize("code", ["91440300708461136T", "91330100799655058B", " 9144 0300 7084 6113 6t "])
def test_real_credit_codes_validate(code: str) -> None:
    assert is_valid_credit_code(code) is True


@pytest.mark.parametrize(
    "code",
    ["91440300708461136X", "9144030070846113", "91440300708461136TT", "9144030O708461136T", "91ABCDEF708461136T"],
)
def test_mistyped_credit_codes_are_refused(code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_credit_code(code)
    assert caught.value.code == "invalid_credit_code"


def test_the_check_character_is_computed_from_the_first_17() -> None:
    assert credit_code_check_char("91440300708461136") == "T"
    assert credit_code_check_char("91330100799655058") == "B"
    with pytest.raises(ValueError):
        credit_code_check_char("9144030070846113I")


# --- who sees whom in the demo group -----------------------------------------------------------


def test_admin_sees_everyone() -> None:
    demo.load_demo_data()

    assert User.objects.visible_to(fresh("admin")).count() == 46


def test_a_bu_head_sees_exactly_the_people_of_their_business_unit() -> None:
    demo.load_demo_data(scale="smoke")
    head = fresh("dong.jie")
    ind = BusinessUnit.objects.get(code="ind")

    seen = visible_usernames(head)

    assert seen == set(User.objects.filter(business_unit=ind).values_list("username", flat=True))
    assert len(seen) == 15 + demo_extra_users_in("ind")
    assert "admin" not in seen and "xiao.junjie" not in seen  # the group admin; the medical BU's head


def demo_extra_users_in(bu_code: str) -> int:
    return sum(1 for spec in demo.build_plan(500).extra_users if spec.role_bu == bu_code)


def test_a_sales_rep_sees_exactly_the_members_of_their_team() -> None:
    demo.load_demo_data(scale="smoke")
    rep = fresh("luo.ming")

    assert rep.primary_team is not None and rep.primary_team.name == "上海组"
    assert visible_usernames(rep) == {"luo.ming", "liang.yong"}
    assert visible_usernames(rep) == set(
        TeamMembership.objects.filter(team=rep.primary_team).values_list("user__username", flat=True)
    )


def test_a_sales_manager_sees_their_team_and_every_team_below_it() -> None:
    demo.load_demo_data()
    regional = fresh("lu.juan")  # 华东大区 of the industrial BU: 上海组 (2 reps) and 杭州组 (1 rep)

    assert visible_usernames(regional) == {"lu.juan", "luo.ming", "liang.yong", "zheng.zihan"}


def test_a_support_role_sees_its_department_and_the_head_who_manages_it() -> None:
    demo.load_demo_data()

    assert visible_usernames(fresh("ye.peng")) == {"ye.peng", "dong.jie"}  # 财务部 of the industrial BU


# --- built-in roles --------------------------------------------------------------------------------


def test_built_in_roles_are_created_with_their_defaults() -> None:
    roles = defaults.ensure_default_roles()

    assert sorted(roles) == sorted(
        [
            "admin",
            "bu_head",
            "sales_manager",
            "sales_rep",
            "presales",
            "supply_planner",
            "production_planner",
            "operations",
            "finance",
            "service",
        ]
    )
    assert all(role.is_system for role in roles.values())
    assert roles["bu_head"].name == "事业部总经理"
    perms = {(p.role.code, p.module): (p.scope, p.actions()) for p in RolePermission.objects.select_related("role")}
    assert perms[("admin", "org")] == (DataScope.GROUP, {"view", "create", "edit", "delete", "export", "administer"})
    assert perms[("admin", "roles")] == (DataScope.GROUP, {"view", "create", "edit", "delete", "administer"})
    assert perms[("admin", "audit")] == (DataScope.GROUP, {"view", "export"})
    assert perms[("bu_head", "org")] == (
        DataScope.BUSINESS_UNIT,
        {"view", "create", "edit", "delete", "export", "administer"},
    )
    assert perms[("bu_head", "roles")] == (DataScope.GROUP, {"view", "administer"})
    assert perms[("bu_head", "audit")] == (DataScope.GROUP, {"view"})
    assert perms[("sales_manager", "org")] == (DataScope.TEAM_TREE, {"view"})
    for code in ("sales_rep", "presales", "supply_planner", "production_planner", "operations", "finance", "service"):
        assert perms[(code, "org")] == (DataScope.TEAM, {"view"})
    # tasks (collaboration/modules.py): managers over their tree or BU, everyone else their own
    assert perms[("admin", "tasks")] == (DataScope.GROUP, {"view", "create", "edit", "delete", "export"})
    assert perms[("bu_head", "tasks")] == (DataScope.BUSINESS_UNIT, {"view", "create", "edit"})
    assert perms[("sales_manager", "tasks")] == (DataScope.TEAM_TREE, {"view", "create", "edit"})
    for code in ("sales_rep", "presales", "supply_planner", "production_planner", "operations", "finance", "service"):
        assert perms[(code, "tasks")] == (DataScope.SELF, {"view", "create", "edit"})
    # (the test-only module "sample" of tests/sampleapp: the administrator holds every module)
    assert perms.pop(("admin", "sample")) == (DataScope.GROUP, {"view", "create", "edit", "delete"})
    # customers and leads (customers/modules.py, leads/modules.py)
    everything = {"view", "create", "edit", "delete", "export", "approve", "administer"}
    assert perms[("admin", "customers")] == (DataScope.GROUP, everything)
    assert perms[("bu_head", "customers")] == (DataScope.BUSINESS_UNIT, everything)
    assert perms[("sales_manager", "customers")] == (DataScope.TEAM_TREE, {"view", "create", "edit", "export"})
    assert perms[("sales_rep", "customers")] == (DataScope.SELF, {"view", "create", "edit"})
    assert perms[("presales", "customers")] == (DataScope.TEAM, {"view"})
    for code in ("operations", "finance"):
        assert perms[(code, "customers")] == (DataScope.BUSINESS_UNIT, {"view"})
    assert perms[("service", "customers")] == (DataScope.BUSINESS_UNIT, {"view", "create"})
    assert perms[("admin", "leads")] == (DataScope.GROUP, everything - {"approve"})
    assert perms[("bu_head", "leads")] == (DataScope.BUSINESS_UNIT, everything - {"approve"})
    assert perms[("sales_manager", "leads")] == (DataScope.TEAM_TREE, {"view", "create", "edit", "export"})
    assert perms[("sales_rep", "leads")] == (DataScope.SELF, {"view", "create", "edit"})
    # the catalogue (catalog/modules.py): every built-in role reads its BU's products; the BU head keeps them
    assert perms[("bu_head", "catalog")] == (DataScope.BUSINESS_UNIT, {"view", "create", "edit", "delete", "export"})
    assert perms[("sales_rep", "catalog")] == (DataScope.BUSINESS_UNIT, {"view"})
    # opportunities (pipeline/modules.py)
    assert perms[("admin", "opportunities")] == (DataScope.GROUP, everything)
    assert perms[("bu_head", "opportunities")] == (DataScope.BUSINESS_UNIT, everything)
    assert perms[("sales_manager", "opportunities")] == (
        DataScope.TEAM_TREE,
        {"view", "create", "edit", "export", "approve"},
    )
    assert perms[("sales_rep", "opportunities")] == (DataScope.SELF, {"view", "create", "edit"})
    assert perms[("presales", "opportunities")] == (DataScope.SELF, {"view", "edit"})
    # + quote-to-cash (each with the admin's row): approvals 3, quotes 5, contracts 5, orders 7, receivables 4
    # + S&OP (each with the admin's row): supply 8, demand 6
    assert len(perms) == (
        3 + 3 + 8 + 10 + (7 + 1) + 4 + 10 + 5 + (3 + 1) + (5 + 1) + (5 + 1) + (7 + 1) + (4 + 1) + (8 + 1) + (6 + 1)
    )
    assert AuditEntry.objects.filter(verb="builtin", kind="create").count() == 10


def test_ensuring_roles_again_keeps_what_an_administrator_changed(django_assert_num_queries: Any) -> None:
    roles = defaults.ensure_default_roles()
    RolePermission.objects.filter(role=roles["sales_rep"], module="org").update(scope=DataScope.SELF)
    Role.objects.filter(code="finance").update(name="财务部会计")
    before = table_counts()

    with django_assert_num_queries(2 + 2):  # roles, role rows; a savepoint
        defaults.ensure_default_roles()

    assert table_counts() == before
    assert RolePermission.objects.get(role__code="sales_rep", module="org").scope == DataScope.SELF
    assert Role.objects.get(code="finance").name == "财务部会计"


def test_a_module_registered_later_adds_its_rows_to_the_built_in_roles() -> None:
    defaults.ensure_default_roles()
    modules.register("demo_leads", "Leads", actions=("view", "create", "edit"))
    defaults.add_module_defaults("demo_leads", {"sales_rep": (DataScope.SELF, {"view", "create"})})
    try:
        defaults.ensure_default_roles()
        rows = {
            p.role.code: (p.scope, p.actions())
            for p in RolePermission.objects.filter(module="demo_leads").select_related("role")
        }
    finally:
        modules._registry.pop("demo_leads")
        defaults.DEFAULT_PERMISSIONS["sales_rep"].pop("demo_leads")

    assert rows == {
        "admin": (DataScope.GROUP, {"view", "create", "edit"}),
        "sales_rep": (DataScope.SELF, {"view", "create"}),
    }
    assert AuditEntry.objects.filter(verb="default_permissions").count() == 2


def test_defaults_for_unknown_roles_or_actions_are_programming_errors() -> None:
    with pytest.raises(ValueError):
        defaults.add_module_defaults("org", {"nobody": (DataScope.SELF, {"view"})})
    defaults.DEFAULT_PERMISSIONS["sales_rep"]["org"] = (DataScope.TEAM, frozenset({"view", "approve"}))
    try:
        with pytest.raises(ValueError):
            defaults.default_permissions("sales_rep")
    finally:
        defaults.DEFAULT_PERMISSIONS["sales_rep"]["org"] = (DataScope.TEAM, frozenset({"view"}))


def test_a_custom_role_with_a_built_in_name_keeps_its_name() -> None:
    Role.objects.filter(code="finance").delete()  # as on a database from before the built-in existed
    Role.objects.create(code="accounting", name="财务")

    roles = defaults.ensure_default_roles()

    assert roles["finance"].name == "财务（内置）"


# --- the commands ---------------------------------------------------------------------------------


def test_demo_data_command_prints_the_logins_then_says_it_is_done() -> None:
    out = StringIO()
    call_command("demo_data", stdout=out)
    first = out.getvalue()

    assert "Demo data loaded" in first
    assert "admin          admin12345  系统管理员" in first
    assert "dong.jie       demo12345   事业部总经理  董杰  工业设备事业部  事业部总经理" in first

    out = StringIO()
    call_command("demo_data", "--no-logins", stdout=out)
    assert out.getvalue().startswith("Demo data already loaded (it covers 0 extra users): nothing to do")


def test_create_admin_makes_a_working_administrator_on_an_empty_install() -> None:
    out = StringIO()
    call_command("create_admin", "--username", "root", "--password", "Correct-Horse-42", stdout=out)

    user = fresh("root")
    assert "Administrator root created." in out.getvalue()
    assert (user.is_staff, user.is_superuser, user.check_password("Correct-Horse-42")) == (True, True, True)
    assert list(user.user_roles.values_list("role__code", "business_unit")) == [("admin", None)]
    assert user.access.widest_scope("org", "administer") == DataScope.GROUP
    assert Group.objects.count() == 1
    assert set(
        AuditEntry.objects.filter(object_id=str(user.pk), content_type__model="user").values_list("verb", flat=True)
    ) == {"create_admin", "role_assign"}


def test_create_admin_without_a_password_generates_one_and_prints_it() -> None:
    out = StringIO()
    call_command("create_admin", "--username", "root", stdout=out)

    printed = out.getvalue().split("Password (shown once, change it after logging in): ")[1].strip()
    assert fresh("root").check_password(printed)


def test_create_admin_again_changes_nothing() -> None:
    call_command("create_admin", "--username", "root", "--password", "Correct-Horse-42", stdout=StringIO())
    before = table_counts()

    out = StringIO()
    call_command("create_admin", "--username", "root", "--password", "Another-Horse-43", stdout=out)

    assert "already an administrator; nothing changed" in out.getvalue()
    assert table_counts() == before
    assert fresh("root").check_password("Correct-Horse-42")


def test_create_admin_refuses_a_weak_password() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("create_admin", "--username", "root", "--password", "12345678", stdout=StringIO())
    assert User.objects.count() == 0


def test_migrate_leaves_the_built_in_roles_in_place() -> None:
    """post_migrate runs ensure_default_roles, so a new module's defaults reach every installation."""
    assert sorted(Role.objects.filter(is_system=True).values_list("code", flat=True)) == sorted(defaults.BUILTIN_ROLES)
