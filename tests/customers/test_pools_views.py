"""Public pool pages: the list, a pool's customers with Claim, settings, the preview, release and assign."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import gettext

from tests.conftest import login
from tests.customers.pools_support import make_world
from tests.support.crm import ContactFactory, CustomerPoolFactory, RelationshipFactory
from tests.support.queries import assert_queries_constant
from xietong.customers.models import ClaimLog, OwnershipLimit, PoolMember, RecycleRule, Relationship

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org):
    return make_world(org)


def test_the_pool_list_shows_the_pools_a_member_sees(world):
    CustomerPoolFactory(business_unit=world.org["bu2"], name="医疗公海")
    world.waiting()
    response = login(world.rep).get("/customers/pools/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "工业公海" in body
    assert "医疗公海" not in body
    assert f'href="/customers/pools/{world.pool.pk}/"' in body


def test_the_pool_page_shows_limited_cards_with_claim_buttons_and_no_phones(world):
    rel = world.waiting()
    ContactFactory(customer=rel.customer, mobile="13912345678")
    response = login(world.rep).get(f"/customers/pools/{world.pool.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert rel.customer.name in body
    assert f"/customers/relationships/{rel.pk}/claim/" in body
    assert "13912345678" not in body
    assert f"/customers/relationships/{rel.pk}/assign/" not in body  # not an administrator
    assert login(world.outsider_rep).get(f"/customers/pools/{world.pool.pk}/").status_code == 404


def test_the_pool_page_filters_by_name_and_answers_htmx_with_the_results(world):
    wanted = world.waiting()
    other = world.waiting()
    response = login(world.rep).get(
        f"/customers/pools/{world.pool.pk}/?q={wanted.customer.name}",
        headers={"HX-Request": "true", "HX-Target": "pool-results"},
    )
    body = response.content.decode()
    assert "<html" not in body
    assert wanted.customer.name in body
    assert other.customer.name not in body


def test_the_pool_page_shows_newest_arrivals_first_in_keyset_pages(world):
    now = timezone.now()
    old = [world.waiting(released_at=now - timedelta(days=n + 1)) for n in range(50)]
    never = world.waiting(released_at=None)  # came in on creation: after every release
    newest = world.waiting(released_at=now)
    client = login(world.rep)
    first = client.get(f"/customers/pools/{world.pool.pk}/").content.decode()
    ids = [int(i) for i in re.findall(r'id="pool-rel-(\d+)"', first)]
    assert ids == [newest.pk] + [r.pk for r in old[:49]]
    after = re.search(r'href="\?after=([^"]+)"', first)
    assert after is not None
    second = client.get(f"/customers/pools/{world.pool.pk}/?after={after.group(1)}").content.decode()
    assert [int(i) for i in re.findall(r'id="pool-rel-(\d+)"', second)] == [old[49].pk, never.pk]


def test_list_pages_keep_a_constant_number_of_queries(world):
    client = login(world.rep)
    world.waiting()

    def more() -> None:
        for _ in range(3):
            world.waiting()
        extra = CustomerPoolFactory(business_unit=world.org["bu1"])
        PoolMember.objects.create(pool=extra, user=world.rep)
        RelationshipFactory(pool=extra)

    assert_queries_constant(lambda: client.get("/customers/pools/"), more)
    assert_queries_constant(lambda: client.get(f"/customers/pools/{world.pool.pk}/"), more)


def test_claiming_from_the_pool_page(world):
    rel = world.waiting()
    response = login(world.rep).post(f"/customers/relationships/{rel.pk}/claim/")
    assert response.status_code == 303
    assert response["Location"] == f"/customers/{rel.customer_id}/"
    assert Relationship.objects.get(pk=rel.pk).owner_id == world.rep.pk
    # the loser goes back to the pool page with the holder's name
    client = login(world.rep2)
    lost = client.post(f"/customers/relationships/{rel.pk}/claim/", {"next": "https://evil.example/"})
    assert lost.status_code == 303
    assert lost["Location"] == f"/customers/pools/{world.pool.pk}/"
    page = client.get(lost["Location"]).content.decode()
    assert "王五" in page


def test_the_release_dialog_needs_a_reason_then_returns_the_customer(world):
    rel = RelationshipFactory(owner=world.rep)
    client = login(world.rep)
    assert client.get(f"/customers/relationships/{rel.pk}/release/").status_code == 200
    failed = client.post(
        f"/customers/relationships/{rel.pk}/release/",
        {"reason": ""},
        headers={"HX-Request": "true", "HX-Target": "release-form"},
    )
    assert failed.status_code == 200
    assert 'id="release-form"' in failed.content.decode()
    assert "<html" not in failed.content.decode()
    done = client.post(f"/customers/relationships/{rel.pk}/release/", {"reason": "预算取消"})
    assert done.status_code == 303
    assert done["Location"] == f"/customers/{rel.customer_id}/"  # a member still sees it, in the pool
    assert Relationship.objects.get(pk=rel.pk).owner_id is None
    # another member sees it in the pool but may not release it
    assert login(world.rep2).post(f"/customers/relationships/{rel.pk}/release/", {"reason": "x"}).status_code == 403


def test_assign_page_for_administrators_only(world):
    rel = world.waiting()
    assert login(world.rep).get(f"/customers/relationships/{rel.pk}/assign/").status_code == 403
    client = login(world.head)
    assert client.get(f"/customers/relationships/{rel.pk}/assign/").status_code == 200
    response = client.post(f"/customers/relationships/{rel.pk}/assign/", {"owner": world.rep2.pk})
    assert response.status_code == 303
    assert Relationship.objects.get(pk=rel.pk).owner_id == world.rep2.pk
    assert ClaimLog.objects.get().action == "assign"


def test_settings_pages_need_customers_administer(world):
    client = login(world.rep)
    for page in ("settings", "members", "limits", "rules"):
        assert client.get(f"/customers/pools/{world.pool.pk}/{page}/").status_code == 403
    admin = login(world.head)
    for page in ("settings", "members", "limits", "rules"):
        assert admin.get(f"/customers/pools/{world.pool.pk}/{page}/").status_code == 200, page


def test_an_administrator_edits_the_pool_its_members_limits_and_rules(world):
    client = login(world.head)
    url = f"/customers/pools/{world.pool.pk}/"
    response = client.post(
        f"{url}settings/",
        {
            "name": "工业公海",
            "is_active": "on",
            "is_default": "on",
            "max_owned": "40",
            "claims_per_day": "3",
            "reclaim_block_days": "15",
            "protection_days": "20",
        },
    )
    assert response.status_code == 303
    world.pool.refresh_from_db()
    assert (world.pool.max_owned, world.pool.claims_per_day, world.pool.reclaim_block_days) == (40, 3, 15)
    response = client.post(
        f"{url}members/", {"users": [world.rep.pk], "admins": [world.rep2.pk], "teams": [world.org["east"].pk]}
    )
    assert response.status_code == 303
    assert sorted(PoolMember.objects.values_list("user_id", "is_admin")) == sorted(
        [(world.rep.pk, False), (world.rep2.pk, True)]
    )
    assert client.post(f"{url}limits/", {"role": world.roles["sales_rep"].pk, "max_owned": "25"}).status_code == 303
    limit = OwnershipLimit.objects.get()
    assert (limit.role_id, limit.max_owned) == (world.roles["sales_rep"].pk, 25)
    bad = client.post(f"{url}limits/", {"max_owned": "25"})
    assert bad.status_code == 200
    assert gettext("Choose a role or a person, not both.") in bad.content.decode()
    assert client.post(f"{url}limits/{limit.pk}/delete/").status_code == 303
    assert OwnershipLimit.objects.count() == 0
    assert (
        client.post(
            f"{url}rules/",
            {"kind": "no_follow_up", "level": "", "days": "30", "remind_days_before": "3", "is_active": "on"},
        ).status_code
        == 303
    )
    rule = RecycleRule.objects.get()
    assert (
        client.post(
            f"{url}rules/{rule.pk}/edit/",
            {"kind": "no_follow_up", "level": "A", "days": "45", "remind_days_before": "5", "is_active": "on"},
        ).status_code
        == 303
    )
    rule.refresh_from_db()
    assert (rule.level, rule.days, rule.remind_days_before) == ("A", 45, 5)
    assert client.post(f"{url}rules/{rule.pk}/delete/").status_code == 303
    assert RecycleRule.objects.count() == 0


def test_a_new_pool_from_the_create_page(world):
    client = login(world.head)
    assert client.get("/customers/pools/new/").status_code == 200
    response = client.post(
        "/customers/pools/new/",
        {
            "business_unit": world.org["bu1"].pk,
            "name": "重点行业公海",
            "is_active": "on",
            "reclaim_block_days": "30",
            "protection_days": "30",
        },
    )
    assert response.status_code == 303
    assert login(world.rep).get("/customers/pools/new/").status_code == 403


def test_the_preview_page_lists_the_customers_due_and_why(world):
    RecycleRule.objects.create(pool=world.pool, kind="no_follow_up", days=30)
    rel = RelationshipFactory(
        owner=world.rep,
        claimed_at=timezone.now() - timedelta(days=60),
        last_follow_up_at=timezone.now() - timedelta(days=28),
    )
    response = login(world.head).get(f"/customers/pools/{world.pool.pk}/preview/")
    assert response.status_code == 200
    assert rel.customer.name in response.content.decode()
    assert login(world.rep).get(f"/customers/pools/{world.pool.pk}/preview/").status_code == 403


def test_my_day_shows_customers_about_to_return(world):
    RecycleRule.objects.create(pool=world.pool, kind="no_follow_up", days=30)
    rel = RelationshipFactory(
        owner=world.rep,
        claimed_at=timezone.now() - timedelta(days=60),
        last_follow_up_at=timezone.now() - timedelta(days=28),
    )
    body = login(world.rep).get("/").content.decode()
    assert rel.customer.name in body
    assert gettext("Customers about to return to the pool") in body


def test_every_role_gets_404_on_the_pool_routes_of_another_business_unit(org):
    """This area's rows of the permission matrix, on their own (the full matrix runs them with all areas)."""
    from tests.customers import matrix_pools
    from tests.support.factories import UserFactory
    from tests.support.matrix import assert_invisible
    from tests.test_permission_matrix import role_holders

    outsider = UserFactory(username="outsider", display_name="外人", primary_team=org["north"])
    records = matrix_pools.foreign(org, outsider)
    checked = {"bu_head", "sales_manager", "sales_rep", "operations", "no-role"}  # all roles: the full matrix
    for code, user in role_holders(org):
        if code not in checked:
            continue
        assert_invisible(login(user), matrix_pools.ROUTES, records, who=code)
