"""Following records: from the record page and the API, only records one sees, idempotent."""

from __future__ import annotations

import json

import pytest

from tests.conftest import login
from tests.support.factories import UserFactory, grant, make_role
from xietong.collaboration import follows
from xietong.collaboration.models import Follow
from xietong.core.choices import DataScope

pytestmark = pytest.mark.django_db


@pytest.fixture
def planner(org):
    user = UserFactory(username="planner", display_name="供应计划员", primary_team=org["supply"])
    grant(user, make_role("team-viewer", {"org": (DataScope.TEAM, {"view"})}))
    return user


def test_following_is_idempotent_and_unfollowing_too(planner, org):
    assert follows.follow(actor=planner, record=org["supply"]) is True
    assert follows.follow(actor=planner, record=org["supply"]) is False
    assert follows.follower_ids(record=org["supply"]) == [planner.pk]
    assert follows.unfollow(actor=planner, record=org["supply"]) is True
    assert follows.unfollow(actor=planner, record=org["supply"]) is False


def test_the_team_page_offers_follow_and_lists_followers(planner, org):
    client = login(planner)
    page = client.get(f"/org/teams/{org['supply'].pk}/")
    assert f'name="record" value="org.team:{org["supply"].pk}"' in page.content.decode()
    response = client.post(
        "/collaboration/follow/",
        {"record": f"org.team:{org['supply'].pk}", "follow": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "供应计划员" in response.content.decode()
    assert list(Follow.objects.values_list("user__username", flat=True)) == ["planner"]
    client.post("/collaboration/follow/", {"record": f"org.team:{org['supply'].pk}", "follow": "0"})
    assert Follow.objects.count() == 0


def test_records_out_of_sight_or_without_the_surface_are_404(planner, org):
    client = login(planner)
    for key in (f"org.team:{org['north'].pk}", "org.team:999999", f"org.user:{planner.pk}", "nonsense", ""):
        assert client.post("/collaboration/follow/", {"record": key, "follow": "1"}).status_code == 404
        assert client.get(f"/api/v1/followers?record={key}").status_code == 404
    assert Follow.objects.count() == 0


def test_the_api_follows_unfollows_and_lists(planner, org):
    client = login(planner)
    key = f"org.team:{org['supply'].pk}"
    created = client.post("/api/v1/followers", data=json.dumps({"record": key}), content_type="application/json")
    assert created.status_code == 201
    assert created.json() == {"record": key, "following": True, "followers": [{"id": planner.pk, "name": "供应计划员"}]}
    assert client.delete(f"/api/v1/followers?record={key}").json()["following"] is False


def test_followers_one_cannot_see_are_not_listed(planner, org):
    stranger = UserFactory(username="stranger", display_name="外人", primary_team=org["north"])
    follows.follow(actor=stranger, record=org["supply"])  # e.g. they saw it once, through another role
    body = login(planner).get(f"/api/v1/followers?record=org.team:{org['supply'].pk}").json()
    assert body["followers"] == []
