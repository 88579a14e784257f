"""The global search: the registry, the organisation's providers, visibility, the page and the dropdown."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import login
from tests.support.factories import TeamFactory, UserFactory, grant, make_role
from tests.support.queries import assert_queries_constant
from xietong.core import search
from xietong.core.choices import DataScope
from xietong.core.search import SearchHit, SearchProvider, clean_query, highlight, is_too_short, search_all
from xietong.org.models import User

pytestmark = pytest.mark.django_db

DROPDOWN = {"HX-Request": "true", "HX-Target": "search-results"}
XSS = "<img src=x onerror=alert(1)>"


def english(user: User) -> Client:
    User.objects.filter(pk=user.pk).update(language="en")
    user.language = "en"
    return login(user)


def found(results: list[tuple[SearchProvider, list[SearchHit]]]) -> list[tuple[str, list[str]]]:
    """(provider key, hit titles) of each group, to compare exactly."""
    return [(provider.key, [hit.title for hit in hits]) for provider, hits in results]


@pytest.fixture
def wang(org: dict[str, Any]) -> User:
    return UserFactory(
        username="wangxw", display_name="王小伟", mobile="13912345678", email="xw@corp.cn", primary_team=org["shanghai"]
    )


@pytest.fixture
def rep(org: dict[str, Any]) -> User:
    """A sales rep in 上海销售组 who sees the users of their own team."""
    user = UserFactory(username="rep", display_name="王芳", primary_team=org["shanghai"])
    grant(user, make_role("rep", {"org": (DataScope.TEAM, {"view"})}))
    return user


# --- the query --------------------------------------------------------------------------------


def test_one_chinese_character_is_a_query_and_one_latin_letter_is_too_short():
    assert is_too_short("王") is False
    assert is_too_short("a") is True
    assert is_too_short("7") is True
    assert is_too_short("ab") is False
    assert is_too_short("") is True


def test_the_query_is_stripped_and_capped_at_100_characters():
    assert clean_query("  王小伟 \n") == "王小伟"
    assert clean_query("x" * 150) == "x" * 100
    assert clean_query(None) == ""
    assert clean_query("上\x00海 \x00") == "上海"


def test_a_nul_character_in_the_query_is_dropped_not_a_crash(admin, org):
    """PostgreSQL refuses NUL in text: the search page answered 500 there."""
    response = english(admin).get("/search/", {"q": "上\x00海"})
    assert response.status_code == 200
    assert '<span class="xt-search-hit-title"><mark>上海</mark>销售组</span>' in response.content.decode()


def test_highlight_escapes_first_and_marks_every_match_case_insensitively():
    assert highlight("<b>Wang</b> & wang", "wang") == "&lt;b&gt;<mark>Wang</mark>&lt;/b&gt; &amp; <mark>wang</mark>"
    assert highlight("a & b", "amp") == "a &amp; b"  # never inside an entity
    assert highlight("x<y", "<") == "x<mark>&lt;</mark>y"
    assert highlight(XSS, "") == "&lt;img src=x onerror=alert(1)&gt;"


# --- the registry -----------------------------------------------------------------------------


def test_search_all_asks_providers_in_order_caps_their_hits_and_leaves_out_empty_ones(monkeypatch, admin):
    hit = SearchHit("甲", "", "/a/")
    calls: list[tuple[str, str, int]] = []

    def answering(key: str, hits: list[SearchHit]) -> Any:
        def provider(user: Any, q: str, limit: int) -> list[SearchHit]:
            calls.append((key, q, limit))
            return hits

        return provider

    monkeypatch.setattr(search, "_providers", {})
    search.register(SearchProvider("late", "Late", "x", answering("late", [hit] * 9), order=90))
    search.register(SearchProvider("empty", "Empty", "x", answering("empty", []), order=50))
    search.register(SearchProvider("early", "Early", "x", answering("early", [hit]), order=10))

    assert found(search_all(admin, "  王 ", limit_per_provider=3)) == [("early", ["甲"]), ("late", ["甲", "甲", "甲"])]
    assert calls == [("early", "王", 3), ("empty", "王", 3), ("late", "王", 3)]
    calls.clear()
    assert search_all(admin, "a") == []
    assert search_all(admin, "   ") == []
    assert calls == []  # a too short query asks nobody


# --- the organisation's providers -------------------------------------------------------------


def test_the_admin_finds_a_user_by_part_of_the_chinese_name_by_mobile_and_by_email(admin, org, wang):
    results = search_all(admin, "小伟")
    assert results[0][0].key == "users"
    assert results[0][1] == [SearchHit("王小伟", "上海销售组 · 工业设备事业部", f"/org/users/{wang.pk}/")]
    assert len(results) == 1
    assert found(search_all(admin, "3912345")) == [("users", ["王小伟"])]
    assert found(search_all(admin, "XW@CORP")) == [("users", ["王小伟"])]


def test_the_admin_finds_a_team_and_a_business_unit(admin, org):
    [(teams, hits)] = search_all(admin, "上海")
    assert (teams.key, hits) == (
        "teams",
        [SearchHit("上海销售组", "工业设备事业部", f"/org/teams/{org['shanghai'].pk}/")],
    )
    [(units, hits)] = search_all(admin, "med")
    assert (units.key, hits) == (
        "business_units",
        [SearchHit("医疗器械事业部", "med", f"/org/business-units/{org['bu2'].pk}/")],
    )
    assert found(search_all(admin, "IND")) == [("business_units", ["工业设备事业部"])]  # by code


def test_inactive_records_come_last_and_say_so(admin, org):
    UserFactory(username="wang_a", display_name="王甲", primary_team=org["shanghai"], is_active=False)
    UserFactory(username="wang_b", display_name="王乙", primary_team=org["shanghai"])
    [(_users, hits)] = search_all(admin, "王")
    assert [(h.title, h.subtitle) for h in hits] == [
        ("王乙", "上海销售组 · 工业设备事业部"),
        ("王甲", "上海销售组 · 工业设备事业部 · 已停用"),
    ]


def test_a_sales_rep_never_finds_users_teams_or_units_outside_their_scope(org, rep, wang):
    UserFactory(username="wangwu", display_name="王五", primary_team=org["north"])  # BU2
    assert found(search_all(rep, "王")) == [("users", ["王芳", "王小伟"])]
    assert found(search_all(rep, "华北")) == []
    assert found(search_all(rep, "医疗")) == []
    assert found(search_all(rep, "销售")) == [("teams", ["上海销售组"])]  # their own team only


def test_a_user_without_org_view_gets_no_organisation_results(org, wang):
    nobody = UserFactory(username="nobody", display_name="无权限", primary_team=org["shanghai"])
    assert search_all(nobody, "王") == []
    response = english(nobody).get("/search/?q=王")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nothing found for “王”." in body
    assert "王小伟" not in body


# --- the page and the dropdown ----------------------------------------------------------------


def test_the_page_groups_the_hits_under_each_kind_and_marks_the_query(admin, org, wang):
    response = english(admin).get("/search/?q=上海")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<!doctype html>" in body
    assert '<h2 class="xt-search-group-title"><i class="bi bi-diagram-3" aria-hidden="true"></i> Teams</h2>' in body
    assert f'<a class="xt-search-hit" href="/org/teams/{org["shanghai"].pk}/">' in body
    assert '<span class="xt-search-hit-title"><mark>上海</mark>销售组</span>' in body
    assert '<span class="xt-search-hit-subtitle">工业设备事业部</span>' in body
    assert f"/org/users/{wang.pk}/" not in body  # users are found by name, username, mobile or email
    assert 'value="上海"' in body
    assert response["Vary"].count("HX-Request") == 1
    body = english(admin).get("/search/?q=ind").content.decode()
    assert '<span class="xt-search-hit-subtitle"><mark>ind</mark></span>' in body


def test_the_dropdown_is_the_same_results_as_a_fragment_with_fewer_hits(admin, org):
    for i in range(7):
        UserFactory(username=f"wang{i}", display_name=f"王{i}", primary_team=org["shanghai"])
    client = english(admin)
    dropdown = client.get("/search/?q=王", headers=DROPDOWN).content.decode()
    assert "<html" not in dropdown
    assert dropdown.count('class="xt-search-hit"') == 5
    assert '<a class="xt-search-all" href="/search/?q=%E7%8E%8B">All results' in dropdown
    page = client.get("/search/?q=王").content.decode()
    assert page.count('class="xt-search-hit"') == 7
    assert "xt-search-all" not in page


def test_a_too_short_query_asks_for_more_and_an_empty_one_explains_the_search(admin, org):
    client = english(admin)
    for headers in ({}, DROPDOWN):
        body = client.get("/search/?q=a", headers=headers).content.decode()
        assert "Type at least two letters or digits, or one Chinese character." in body
        assert "xt-search-hit" not in body  # "admin" contains "a", but one letter searches nothing
    assert "Find users by name, username, mobile or email" in client.get("/search/").content.decode()
    assert client.get("/search/?q=", headers=DROPDOWN).content.decode().strip() == ""


def test_a_nothing_found_answer_in_both_renderings(admin, org):
    client = english(admin)
    for headers in ({}, DROPDOWN):
        body = client.get("/search/?q=不存在的人", headers=headers).content.decode()
        assert "Nothing found for “不存在的人”." in body


def test_markup_in_a_name_or_in_the_query_is_shown_as_text_in_both_renderings(admin, org):
    UserFactory(username="xss", display_name=XSS, primary_team=org["shanghai"])
    client = english(admin)
    for headers in ({}, DROPDOWN):
        body = client.get("/search/?q=onerror", headers=headers).content.decode()
        assert '<span class="xt-search-hit-title">&lt;img src=x <mark>onerror</mark>=alert(1)&gt;</span>' in body
        assert "<img" not in body
        body = client.get("/search/", {"q": "<script>alert(1)</script>"}, headers=headers).content.decode()
        assert "<script>alert" not in body
        assert "Nothing found for “&lt;script&gt;alert(1)&lt;/script&gt;”." in body


def test_search_needs_a_login(org):
    response = Client().get("/search/?q=王")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_top_bar_has_the_search_box_and_the_search_page_does_not_repeat_it(admin_client):
    home = admin_client.get("/").content.decode()
    assert 'hx-get="/search/" hx-trigger="input changed delay:250ms, search" hx-target="#search-results"' in home
    assert '<div id="search-results" class="xt-search-panel"' in home
    page = admin_client.get("/search/?q=王").content.decode()
    assert 'id="search-results"' not in page
    assert 'id="search-page-q"' in page


def test_the_number_of_queries_does_not_grow_with_the_matches(admin_client, org):
    added = iter(range(100))

    def add_rows() -> None:
        for _ in range(6):
            i = next(added)
            team = TeamFactory(parent=org["east"], name=f"王组{i}")
            UserFactory(username=f"wang{i}", display_name=f"王{i}", primary_team=team)

    for headers in ({}, DROPDOWN):
        assert_queries_constant(
            lambda headers=headers: admin_client.get("/search/?q=王", headers=headers),
            add_rows,
            max_queries=4 + len(search.providers()),  # the request (4), one query per provider
        )
