"""The data-visibility mechanism: each scope, union of roles, BU limits, managers, shares, explain."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.factories import UserFactory, grant, make_role, manage
from xietong.core.choices import DataScope
from xietong.core.models import RecordShare
from xietong.core.visibility import explain, is_seen, seen_by
from xietong.org.models import BusinessUnit, Team, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org):
    """Users on the tree 华东销售部 → 上海销售组 → 浦东小组, the supply team, and BU2's 华北销售部."""
    return {
        "east_head": UserFactory(username="east_head", primary_team=org["east"]),
        "sh_lead": UserFactory(username="sh_lead", primary_team=org["shanghai"]),
        "sh_rep": UserFactory(username="sh_rep", primary_team=org["shanghai"]),
        "pd_rep": UserFactory(username="pd_rep", primary_team=org["pudong"]),
        "planner": UserFactory(username="planner", primary_team=org["supply"]),
        "north_rep": UserFactory(username="north_rep", primary_team=org["north"]),
    }


def role(scope: DataScope, actions=("view",), code=None):
    return make_role(code or f"r{int(scope)}{''.join(actions)}", {"org": (scope, set(actions))})


def visible_usernames(user, action="view"):
    user.__dict__.pop("access", None)
    return sorted(User.objects.visible_to(user, action).values_list("username", flat=True))


def test_no_role_sees_nothing(people):
    assert visible_usernames(people["sh_rep"]) == []


def test_self_scope_sees_only_oneself(people):
    grant(people["sh_rep"], role(DataScope.SELF))
    assert visible_usernames(people["sh_rep"]) == ["sh_rep"]


def test_team_scope_sees_members_of_own_team_only(people):
    grant(people["sh_rep"], role(DataScope.TEAM))
    assert visible_usernames(people["sh_rep"]) == ["sh_lead", "sh_rep"]


def test_team_tree_scope_includes_sub_teams(people):
    grant(people["sh_rep"], role(DataScope.TEAM_TREE))
    assert visible_usernames(people["sh_rep"]) == ["pd_rep", "sh_lead", "sh_rep"]


def test_subordinates_scope_follows_the_teams_one_manages(org, people):
    grant(people["sh_lead"], role(DataScope.SUBORDINATES))
    assert visible_usernames(people["sh_lead"]) == ["sh_lead"]  # manages nothing yet
    manage(people["sh_lead"], org["shanghai"])
    assert visible_usernames(people["sh_lead"]) == ["pd_rep", "sh_lead", "sh_rep"]


def test_manager_of_the_top_team_sees_the_whole_subtree(org, people):
    grant(people["east_head"], role(DataScope.SUBORDINATES))
    manage(people["east_head"], org["east"])
    assert visible_usernames(people["east_head"]) == ["east_head", "pd_rep", "sh_lead", "sh_rep"]


def test_business_unit_scope_uses_the_users_own_bu(people):
    grant(people["planner"], role(DataScope.BUSINESS_UNIT))
    assert visible_usernames(people["planner"]) == ["east_head", "pd_rep", "planner", "sh_lead", "sh_rep"]


def test_bu_limited_role_sees_the_bu_it_is_limited_to(org, people):
    grant(people["planner"], role(DataScope.BUSINESS_UNIT), business_unit=org["bu2"])
    assert visible_usernames(people["planner"]) == ["north_rep"]


def test_group_scope_sees_everyone(people):
    grant(people["sh_rep"], role(DataScope.GROUP))
    assert len(visible_usernames(people["sh_rep"])) == 6


def test_scopes_of_several_roles_combine_by_union(org, people):
    grant(people["sh_rep"], role(DataScope.SELF))
    grant(people["sh_rep"], role(DataScope.BUSINESS_UNIT), business_unit=org["bu2"])
    assert visible_usernames(people["sh_rep"]) == ["north_rep", "sh_rep"]


def test_action_needs_a_role_granting_that_action(people):
    grant(people["sh_rep"], role(DataScope.TEAM, ("view",)))
    grant(people["sh_rep"], role(DataScope.SELF, ("view", "edit")))
    assert visible_usernames(people["sh_rep"], "edit") == ["sh_rep"]
    assert visible_usernames(people["sh_rep"], "delete") == []


def test_moving_a_user_changes_what_managers_see_at_once(org, people):
    from xietong.org.models import TeamMembership

    grant(people["sh_lead"], role(DataScope.SUBORDINATES))
    manage(people["sh_lead"], org["shanghai"])
    TeamMembership.objects.filter(user=people["pd_rep"]).update(team=org["supply"])
    assert visible_usernames(people["sh_lead"]) == ["sh_lead", "sh_rep"]


def test_inactive_or_anonymous_users_see_nothing(people):
    from django.contrib.auth.models import AnonymousUser

    grant(people["sh_rep"], role(DataScope.GROUP))
    people["sh_rep"].is_active = False
    assert visible_usernames(people["sh_rep"]) == []
    assert list(User.objects.visible_to(AnonymousUser())) == []


def test_visibility_is_one_query_whatever_the_scope(org, people):
    grant(people["sh_lead"], role(DataScope.SUBORDINATES))
    grant(people["sh_lead"], role(DataScope.TEAM_TREE))
    manage(people["sh_lead"], org["shanghai"])
    people["sh_lead"].__dict__.pop("access", None)
    _ = people["sh_lead"].access  # two queries: grants and memberships
    with CaptureQueriesContext(connection) as ctx:
        list(User.objects.visible_to(people["sh_lead"]))
    assert len(ctx.captured_queries) == 1


def test_team_visibility_follows_the_scope(org, people):
    grant(people["sh_rep"], role(DataScope.TEAM_TREE))
    names = sorted(Team.objects.visible_to(people["sh_rep"]).values_list("name", flat=True))
    assert names == ["上海销售组", "浦东小组"]


def test_seen_by_asks_once_per_model_and_remembers_the_answers(org, people):
    """Pages link a related record only when its viewer sees it: one query per model for all the
    records a page names, none for a record asked about before in the same request."""
    viewer = people["sh_rep"]
    grant(viewer, role(DataScope.TEAM_TREE))
    _ = viewer.access
    teams = [org["east"], org["shanghai"], org["pudong"], org["north"]]
    with CaptureQueriesContext(connection) as ctx:
        answers = seen_by(viewer, [*teams, people["pd_rep"], people["north_rep"], None])
    assert len(ctx.captured_queries) == 2  # the teams, the users
    assert [answers[(Team, t.pk)] for t in teams] == [False, True, True, False]
    assert (answers[(User, people["pd_rep"].pk)], answers[(User, people["north_rep"].pk)]) == (True, False)
    with CaptureQueriesContext(connection) as ctx:
        assert is_seen(viewer, org["shanghai"]) is True
        assert is_seen(viewer, org["east"]) is False
        assert is_seen(viewer, None) is False
    assert ctx.captured_queries == []
    # no query where the rules settle it: nothing granted, or everything (a group-wide scope)
    everyone = people["north_rep"]
    grant(everyone, role(DataScope.GROUP))
    _ = everyone.access, people["planner"].access
    with CaptureQueriesContext(connection) as ctx:
        assert seen_by(AnonymousUser(), [org["shanghai"]]) == {(Team, org["shanghai"].pk): False}
        assert is_seen(people["planner"], org["supply"]) is False  # no role at all
        assert is_seen(everyone, org["east"]) is True
    assert ctx.captured_queries == []


def test_a_read_that_asked_already_leaves_its_answer_for_the_links(org, people):
    """The team page's breadcrumbs read the visible ancestors; linking its parent asks no more."""
    from xietong.org.selectors import team_ancestors

    viewer = people["sh_rep"]
    grant(viewer, role(DataScope.TEAM_TREE))
    _ = viewer.access
    assert [t.name for t in team_ancestors(user=viewer, team=org["pudong"])] == ["上海销售组"]
    with CaptureQueriesContext(connection) as ctx:
        assert (is_seen(viewer, org["shanghai"]), is_seen(viewer, org["east"])) == (True, False)
    assert ctx.captured_queries == []
    assert is_seen(viewer, org["north"]) is False  # not among the ancestors: asked as before


def test_record_link_links_only_what_the_user_sees_and_escapes_the_name(org, people):
    from django.template import Context, Template

    viewer = people["sh_rep"]
    grant(viewer, role(DataScope.TEAM_TREE))
    Team.objects.filter(pk=org["east"].pk).update(name="华东<大区>")
    org["east"].refresh_from_db()
    page = Template(
        '{% load xt %}[{% record_link seen "org:team_detail" %}]'
        '[{% record_link unseen "org:team_detail" %}][{% record_link none "org:team_detail" %}]'
        '[{% record_link seen "org:team_detail" "别名" %}]'
    ).render(Context({"user": viewer, "seen": org["shanghai"], "unseen": org["east"], "none": None}))
    sh = org["shanghai"]
    assert page == (
        f'[<a href="/org/teams/{sh.pk}/">{sh}</a>][华东&lt;大区&gt;][][<a href="/org/teams/{sh.pk}/">别名</a>]'
    )


def test_business_units_visible_are_those_of_ones_teams(org, people):
    grant(people["north_rep"], role(DataScope.TEAM))
    assert list(BusinessUnit.objects.visible_to(people["north_rep"]).values_list("code", flat=True)) == ["med"]


def test_get_visible_answers_not_found_for_missing_and_invisible_alike(people):
    from xietong.core.errors import NotFound

    grant(people["sh_rep"], role(DataScope.TEAM))
    with pytest.raises(NotFound):
        User.objects.get_visible(people["sh_rep"], people["north_rep"].pk)
    with pytest.raises(NotFound):
        User.objects.get_visible(people["sh_rep"], 999_999)
    with pytest.raises(NotFound):
        User.objects.get_visible(people["sh_rep"], "not-a-number")
    assert User.objects.get_visible(people["sh_rep"], people["sh_lead"].pk) == people["sh_lead"]


def test_explain_lists_every_role_that_grants_access(org, people):
    grant(people["sh_rep"], make_role("team-viewer", {"org": (DataScope.TEAM, {"view"})}, name="团队查看"))
    grant(people["sh_rep"], make_role("bu-viewer", {"org": (DataScope.BUSINESS_UNIT, {"view"})}, name="事业部查看"))
    people["sh_rep"].__dict__.pop("access", None)
    reasons = explain(people["sh_rep"], people["sh_lead"])
    assert len(reasons) == 2
    assert "团队查看" in reasons[0] and "事业部查看" in reasons[1]
    assert len(explain(people["sh_rep"], people["planner"])) == 1
    assert explain(people["sh_rep"], people["north_rep"]) == []


def test_shares_grant_read_or_edit_until_a_date(org, people):
    """Shares apply to shareable business records; exercised here through the generic policy."""
    import datetime

    from xietong.core.visibility import OwnedRecordPolicy, Rule

    policy = OwnedRecordPolicy("org", owner_field="id", bu_field="business_unit")
    policy.model = User
    ct = ContentType.objects.get_for_model(User)
    viewer = people["sh_rep"]
    RecordShare.objects.create(
        content_type=ct, object_id=people["north_rep"].pk, user=viewer, access="read", granted_by=people["north_rep"]
    )
    RecordShare.objects.create(
        content_type=ct,
        object_id=people["planner"].pk,
        team=org["shanghai"],
        access="edit",
        granted_by=people["planner"],
    )
    RecordShare.objects.create(
        content_type=ct,
        object_id=people["east_head"].pk,
        user=viewer,
        access="edit",
        until=datetime.date(2020, 1, 1),
        granted_by=people["east_head"],
    )
    viewer.__dict__.pop("access", None)
    view_rule: Rule = policy.share_rule(viewer.access, "view")
    edit_rule: Rule = policy.share_rule(viewer.access, "edit")
    assert sorted(User.objects.filter(view_rule.q).values_list("username", flat=True)) == ["north_rep", "planner"]
    assert list(User.objects.filter(edit_rule.q).values_list("username", flat=True)) == ["planner"]


def test_a_rule_provider_adds_grants_from_another_app(people):
    """Later apps (deal teams, approvers, pools) extend visibility through add_rule_provider."""
    from django.db.models import Q

    from xietong.core.visibility import Rule

    policy = User.objects.all().policy(User)
    provider = lambda access, action: [Rule("成员", Q(username="north_rep"))] if action == "view" else []  # noqa: E731
    policy.add_rule_provider(provider)
    try:
        grant(people["sh_rep"], role(DataScope.SELF))
        assert visible_usernames(people["sh_rep"]) == ["north_rep", "sh_rep"]
        assert explain(people["sh_rep"], people["north_rep"]) == ["成员"]
    finally:
        policy._providers.remove(provider)


def test_an_action_never_reaches_past_what_one_may_view(people):
    """An export (or edit) scope wider than the view scope is cut down to what the user sees."""
    grant(people["sh_rep"], role(DataScope.SELF, ("view",)))
    grant(people["sh_rep"], role(DataScope.GROUP, ("export",)))
    assert visible_usernames(people["sh_rep"], "export") == ["sh_rep"]
