"""The foundation's main journey in Chromium: an administrator builds a piece of the organisation,
the new user sees exactly what the role's scope allows, and switches the language."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from tests.e2e.conftest import log_in, open_page, shot
from xietong.org.models import BusinessUnit, Role, Team, User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Xt-e2e-pass-2026"


def submit(page, lands_on: str) -> None:
    """Submit the page's form and wait until the redirect has landed: only then is the write committed."""
    with page.expect_navigation(url=re.compile(lands_on)):
        page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")


def test_admin_builds_the_org_and_the_new_user_sees_only_their_scope(live_server, browser, page):
    call_command("demo_data", "--no-logins", verbosity=0)
    base = live_server.url

    # 1. The administrator logs in: Chinese by default.
    log_in(page, base, "admin", "admin12345")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    shot(page, "01-home-admin")

    # 2. A new business unit.
    page.goto(f"{base}/org/business-units/new/")
    page.fill("input[name=code]", "retail")
    page.fill("input[name=name]", "零售事业部")
    page.fill("input[name=product_lines]", "智能终端")
    submit(page, r"/org/business-units/\d+/$")
    bu = BusinessUnit.objects.get(code="retail")
    page.wait_for_url(re.compile(rf"/org/business-units/{bu.pk}/$"))
    shot(page, "02-business-unit")

    # 3. A team in it.
    page.goto(f"{base}/org/teams/new/?business_unit={bu.pk}")
    page.fill("input[name=name]", "零售华东组")
    page.select_option("select[name=team_type]", "sales")
    submit(page, r"/org/teams/\d+/$")
    team = Team.objects.get(name="零售华东组")
    assert (team.business_unit_id, team.depth) == (bu.pk, 0)
    page.wait_for_url(re.compile(rf"/org/teams/{team.pk}/$"))
    shot(page, "03-team")

    # 4. A user in that team.
    page.goto(f"{base}/org/users/new/?team={team.pk}")
    page.fill("input[name=username]", "chen.jie")
    page.fill("input[name=display_name]", "陈杰")
    page.fill("input[name=mobile]", "13812345678")
    page.fill("input[name=password]", NEW_PASSWORD)
    submit(page, r"/org/users/\d+/$")
    new_user = User.objects.get(username="chen.jie")
    assert (new_user.primary_team_id, new_user.business_unit_id) == (team.pk, bu.pk)
    page.wait_for_url(re.compile(rf"/org/users/{new_user.pk}/$"))

    # 5. ... with the sales-rep role, limited to the new BU.
    rep_role = Role.objects.get(code="sales_rep")
    page.goto(f"{base}/org/users/{new_user.pk}/roles/new/")
    page.select_option("select[name=role]", str(rep_role.pk))
    page.select_option("select[name=business_unit]", str(bu.pk))
    submit(page, rf"/org/users/{new_user.pk}/$")
    assert list(new_user.user_roles.values_list("role__code", "business_unit__code")) == [("sales_rep", "retail")]
    page.goto(f"{base}/org/users/{new_user.pk}/")
    page.click("#tab-roles")
    assert page.locator("#pane-roles").get_by_text("销售代表").first.is_visible()
    shot(page, "04-user-record")
    page.goto(f"{base}/org/users/")
    shot(page, "05-user-list-admin")
    page.goto(f"{base}/org/roles/")
    shot(page, "06-roles")
    page.goto(f"{base}/org/audit/")
    shot(page, "07-audit")

    # 6. The new user logs in (a fresh browser context) and sees exactly their team.
    rep = open_page(browser)
    log_in(rep, base, "chen.jie", NEW_PASSWORD)
    # the role assignment reached them as a notification: the bell counts it without a reload
    rep.locator("#xt-bell .xt-bell-count").wait_for()
    assert rep.locator("#xt-bell .xt-bell-count").inner_text().strip() == "1"
    rep.goto(f"{base}/notifications/")
    assert "系统管理员为你分配了角色“销售代表 · 零售事业部”。" in rep.locator("main").inner_text()
    shot(rep, "08a-notifications")
    rep.goto(f"{base}/org/users/")
    rows = rep.locator("#user-results tbody tr")
    assert rows.count() == 1
    assert "陈杰" in rows.first.inner_text()
    assert rep.locator("#user-count").inner_text().strip() == "1"
    shot(rep, "08-user-list-sales-rep")
    admin = User.objects.get(username="admin")
    outsider = rep.goto(f"{base}/org/users/{admin.pk}/")
    assert outsider is not None and outsider.status == 404
    assert rep.goto(f"{base}/org/roles/").status == 403
    # the navigation offers what the role allows, and nothing else
    nav = rep.locator("nav").first.inner_text()
    assert "角色" not in nav and "审计" not in nav

    # 7. ... and switches to English: saved on the user, the page follows.
    rep.goto(f"{base}/")
    rep.locator("button[aria-label][data-bs-toggle=dropdown] .bi-translate").click()
    with rep.expect_navigation():
        rep.locator("button[name=language][value=en]").click()
    rep.wait_for_load_state("networkidle")
    assert rep.locator("html").get_attribute("lang") == "en"
    assert User.objects.get(username="chen.jie").language == "en"
    shot(rep, "09-home-english")
    rep.context.close()


def test_phone_layout_folds_the_navigation(live_server, phone):
    call_command("demo_data", "--no-logins", verbosity=0)
    log_in(phone, live_server.url, "admin", "admin12345")
    phone.goto(f"{live_server.url}/org/users/")
    shot(phone, "10-phone-user-list")
    sidebar = phone.locator("#xt-sidebar, .xt-sidebar").first
    assert not sidebar.is_visible() or sidebar.bounding_box()["x"] < 0
