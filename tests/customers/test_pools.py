"""Public pools: claim, release, assign, the limits, recycle, reminders and the preview (services)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from tests.customers.pools_support import make_world
from tests.support.crm import CustomerPoolFactory, RelationshipFactory
from tests.support.factories import TeamFactory, UserFactory, grant, make_role
from xietong.collaboration.models import Notification
from xietong.core.choices import DataScope
from xietong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from xietong.core.models import AuditEntry
from xietong.customers import pools
from xietong.customers.models import ClaimLog, CustomerPool, OwnershipLimit, PoolMember, RecycleRule, Relationship
from xietong.org.models import BusinessUnit

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org):
    return make_world(org)


def days_ago(n: int):
    return timezone.now() - timedelta(days=n)


# --- claim ------------------------------------------------------------------------------------------


def test_a_member_claims_a_pool_customer_and_becomes_its_owner_with_protection(world):
    world.pool.protection_days = 15
    world.pool.save()
    rel = world.waiting()
    claimed = pools.customer_claim(relationship_id=rel.pk, actor=world.rep)
    assert claimed.owner_id == world.rep.pk
    assert claimed.pool_id == world.pool.pk  # the home pool stays
    assert claimed.protected_until == timezone.localdate() + timedelta(days=15)
    assert list(ClaimLog.objects.values_list("action", "user_id", "actor_id", "pool_id")) == [
        ("claim", world.rep.pk, world.rep.pk, world.pool.pk)
    ]
    entry = AuditEntry.objects.get(verb="claim")
    assert entry.changes["owner"] == [None, "王五"]


def test_a_second_claim_answers_conflict_naming_the_holder(world):
    rel = world.waiting()
    pools.customer_claim(relationship_id=rel.pk, actor=world.rep)
    with pytest.raises(Conflict) as exc:
        pools.customer_claim(relationship_id=rel.pk, actor=world.rep2)
    assert "王五" in str(exc.value)
    assert Relationship.objects.get(pk=rel.pk).owner_id == world.rep.pk


def test_fifty_claims_of_one_customer_one_after_another_exactly_one_succeeds(world):
    """The sequential variant of the race (the parallel one runs on PostgreSQL: test_pools_race.py)."""
    rel = world.waiting()
    claimers = [UserFactory(username=f"rep{i}", primary_team=world.org["shanghai"]) for i in range(50)]
    for user in claimers:
        grant(user, world.roles["sales_rep"])
        PoolMember.objects.create(pool=world.pool, user=user)
    won, lost = [], []
    for user in claimers:
        try:
            pools.customer_claim(relationship_id=rel.pk, actor=user)
            won.append(user)
        except Conflict as exc:
            lost.append(str(exc))
    assert len(won) == 1
    assert len(lost) == 49
    assert all(str(won[0]) in message for message in lost)
    assert ClaimLog.objects.filter(action="claim").count() == 1


def test_a_claim_that_loses_the_race_after_reading_answers_conflict_with_the_holder(world, monkeypatch):
    """Between reading the pool customer and the conditional UPDATE someone else claims it."""
    rel = world.waiting()
    real = pools._check_claim_limits

    def someone_else_claims_first(actor, relationship, pool, now):
        real(actor, relationship, pool, now)
        Relationship.objects.filter(pk=relationship.pk).update(owner=world.rep2)

    monkeypatch.setattr(pools, "_check_claim_limits", someone_else_claims_first)
    with pytest.raises(Conflict) as exc:
        pools.customer_claim(relationship_id=rel.pk, actor=world.rep)
    assert str(exc.value) == pools.held_message(world.rep2)
    assert ClaimLog.objects.count() == 0


def test_a_rep_who_is_not_a_member_does_not_see_the_pool_customer(world):
    rel = world.waiting()
    with pytest.raises(NotFound):
        pools.customer_claim(relationship_id=rel.pk, actor=world.outsider_rep)


def test_a_bu_head_who_sees_the_pool_but_is_not_a_member_may_not_claim(world):
    rel = world.waiting()
    with pytest.raises(PermissionDenied):
        pools.customer_claim(relationship_id=rel.pk, actor=world.head)


def test_a_closed_pool_refuses_claims(world):
    rel = world.waiting()
    world.pool.is_active = False
    world.pool.save()
    with pytest.raises(Conflict) as exc, translation.override("en"):
        pools.customer_claim(relationship_id=rel.pk, actor=world.rep)
    assert str(exc.value) == "The public pool “工业公海” is closed."


def test_a_claim_over_the_pool_limit_names_the_limit(world):
    world.pool.max_owned = 2
    world.pool.save()
    RelationshipFactory(owner=world.rep)
    RelationshipFactory(owner=world.rep)
    rel = world.waiting()
    with pytest.raises(Conflict) as exc:
        pools.customer_claim(relationship_id=rel.pk, actor=world.rep)
    message = str(exc.value)
    assert "2" in message and "工业公海" in message
    assert pools.ownership_limit(user=world.rep, pool=world.pool).limit == 2


def test_the_most_generous_role_limit_overrides_the_pool_and_a_personal_limit_wins(world):
    world.pool.max_owned = 1
    world.pool.save()
    extra_role = make_role("big-accounts", {"customers": (DataScope.SELF, {"view"})}, name="大客户经理")
    grant(world.rep, extra_role)
    OwnershipLimit.objects.create(pool=world.pool, role=world.roles["sales_rep"], max_owned=3)
    OwnershipLimit.objects.create(pool=world.pool, role=extra_role, max_owned=5)
    assert pools.ownership_limit(user=world.rep, pool=world.pool).limit == 5
    OwnershipLimit.objects.create(pool=world.pool, user=world.rep, max_owned=2)
    with translation.override("en"):
        assert pools.ownership_limit(user=world.rep, pool=world.pool) == (2, "your personal limit")
    assert pools.ownership_limit(user=world.rep2, pool=world.pool).limit == 3


def test_customers_who_bought_count_towards_the_limit_only_when_the_pool_says_so(world):
    world.pool.max_owned = 1
    world.pool.save()
    RelationshipFactory(owner=world.rep, status="active")
    first = world.waiting()
    pools.customer_claim(relationship_id=first.pk, actor=world.rep)  # the active customer does not count
    world.pool.count_won_customers = True
    world.pool.save()
    second = world.waiting()
    with pytest.raises(Conflict):
        pools.customer_claim(relationship_id=second.pk, actor=world.rep)


def test_claims_per_day_stop_the_next_claim_and_name_the_limit(world):
    world.pool.claims_per_day = 2
    world.pool.save()
    for _ in range(2):
        pools.customer_claim(relationship_id=world.waiting().pk, actor=world.rep)
    with pytest.raises(Conflict) as exc:
        pools.customer_claim(relationship_id=world.waiting().pk, actor=world.rep)
    assert "2" in str(exc.value)
    # yesterday's claims do not count
    ClaimLog.objects.update(created_at=days_ago(1))
    pools.customer_claim(relationship_id=world.waiting().pk, actor=world.rep)


def test_the_previous_owner_cannot_claim_back_before_the_blocking_days(world):
    world.pool.reclaim_block_days = 10
    world.pool.save()
    rel = RelationshipFactory(owner=world.rep, pool=world.pool, business_unit=world.org["bu1"])
    pools.customer_release(relationship=rel, actor=world.rep, reason="客户暂无需求")
    with pytest.raises(Conflict):
        pools.customer_claim(relationship_id=rel.pk, actor=world.rep)
    pools.customer_claim(relationship_id=rel.pk, actor=world.rep2)  # someone else may
    Relationship.objects.filter(pk=rel.pk).update(
        owner=None, previous_owner=world.rep, previous_owner_blocked_until=days_ago(1)
    )
    assert pools.customer_claim(relationship_id=rel.pk, actor=world.rep).owner_id == world.rep.pk


def test_check_can_own_raises_conflict_naming_the_limit_of_the_default_pool(world):
    world.pool.max_owned = 1
    world.pool.save()
    pools.check_can_own(user=world.rep, business_unit=world.org["bu1"])
    RelationshipFactory(owner=world.rep)
    with pytest.raises(Conflict) as exc:
        pools.check_can_own(user=world.rep, business_unit=world.org["bu1"])
    assert "王五" in str(exc.value)
    pools.check_can_own(user=world.rep, business_unit=world.org["bu2"])  # no pool there: no limit


def test_default_pool_is_the_marked_one_else_the_oldest_active(world):
    bu = world.org["bu1"]
    other = CustomerPoolFactory(business_unit=bu, name="重点公海")
    assert pools.default_pool(bu) == world.pool
    CustomerPool.objects.filter(pk=world.pool.pk).update(is_default=False)
    assert pools.default_pool(bu) == world.pool  # oldest
    CustomerPool.objects.filter(pk=world.pool.pk).update(is_active=False)
    assert pools.default_pool(bu) == other
    assert pools.default_pool(world.org["bu2"]) is None


# --- release -----------------------------------------------------------------------------------------


def test_release_needs_a_reason(world):
    rel = RelationshipFactory(owner=world.rep)
    with pytest.raises(ValidationError) as exc:
        pools.customer_release(relationship=rel, actor=world.rep, reason="  ")
    assert list(exc.value.message_dict) == ["reason"]


def test_release_returns_the_customer_to_the_default_pool_and_blocks_the_previous_owner(world):
    rel = RelationshipFactory(owner=world.rep, protected_until=timezone.localdate())
    released = pools.customer_release(relationship=rel, actor=world.rep, reason="客户预算取消")
    assert (released.owner_id, released.pool_id, released.previous_owner_id) == (None, world.pool.pk, world.rep.pk)
    assert released.release_reason == "客户预算取消"
    assert released.protected_until is None
    assert released.previous_owner_blocked_until is not None
    assert released.previous_owner_blocked_until > timezone.now() + timedelta(days=29)
    assert list(ClaimLog.objects.values_list("action", "user_id", "actor_id", "reason")) == [
        ("release", world.rep.pk, world.rep.pk, "客户预算取消")
    ]


def test_release_by_a_manager_tells_the_owner(world, django_capture_on_commit_callbacks):
    manager = UserFactory(username="mgr", display_name="孙经理", primary_team=world.org["east"])
    grant(manager, world.roles["sales_manager"])
    rel = RelationshipFactory(owner=world.rep)
    with django_capture_on_commit_callbacks(execute=True):
        pools.customer_release(relationship=rel, actor=manager, reason="长期未跟进")
    note = Notification.objects.get(recipient=world.rep)
    assert note.kind == "customer_released"
    assert note.params["reason"] == "长期未跟进"


def test_release_refuses_a_pool_of_another_business_unit_and_open_business(world):
    rel = RelationshipFactory(owner=world.rep)
    foreign_pool = CustomerPoolFactory(business_unit=world.org["bu2"])
    with pytest.raises(ValidationError) as exc:
        pools.customer_release(relationship=rel, actor=world.rep, reason="x", pool=foreign_pool)
    assert list(exc.value.message_dict) == ["pool"]
    Relationship.objects.filter(pk=rel.pk).update(has_open_business=True)
    with pytest.raises(Conflict):
        pools.customer_release(relationship=rel, actor=world.rep, reason="x")


def test_release_without_any_pool_names_the_pool_field(org):
    rep = UserFactory(username="rep-med", primary_team=org["north"])
    from xietong.org.defaults import ensure_default_roles

    grant(rep, ensure_default_roles()["sales_rep"])
    rel = RelationshipFactory(owner=rep)
    with pytest.raises(ValidationError) as exc:
        pools.customer_release(relationship=rel, actor=rep, reason="x")
    assert list(exc.value.message_dict) == ["pool"]


def test_someone_who_cannot_edit_the_relationship_cannot_release_it(world):
    rel = RelationshipFactory(owner=world.rep)
    with pytest.raises(NotFound):
        pools.customer_release(relationship=rel, actor=world.rep2, reason="x")


# --- assign ------------------------------------------------------------------------------------------


def test_a_pool_administrator_assigns_a_pool_customer_and_the_new_owner_hears_of_it(
    world, django_capture_on_commit_callbacks
):
    PoolMember.objects.filter(user=world.rep2).update(is_admin=True)
    rel = world.waiting()
    with django_capture_on_commit_callbacks(execute=True):
        assigned = pools.customer_assign(relationship=rel, actor=world.rep2, owner=world.rep)
    assert assigned.owner_id == world.rep.pk
    assert ClaimLog.objects.get().action == "assign"
    assert Notification.objects.get(recipient=world.rep).kind == "customer_assigned"


def test_a_member_who_is_not_administrator_may_not_assign(world):
    rel = world.waiting()
    with pytest.raises(PermissionDenied):
        pools.customer_assign(relationship=rel, actor=world.rep2, owner=world.rep)


def test_assign_respects_the_new_owners_limit_and_business_unit(world):
    world.pool.max_owned = 0
    world.pool.save()
    rel = world.waiting()
    with pytest.raises(Conflict):
        pools.customer_assign(relationship=rel, actor=world.head, owner=world.rep)
    stranger = UserFactory(username="med-rep", primary_team=world.org["north"])
    with pytest.raises(ValidationError) as exc:
        pools.customer_assign(relationship=rel, actor=world.head, owner=stranger)
    assert list(exc.value.message_dict) == ["owner"]


def test_a_manager_may_not_hand_a_customer_outside_their_scope(world):
    manager = UserFactory(username="mgr2", display_name="周经理", primary_team=world.org["pudong"])
    grant(manager, world.roles["sales_manager"])
    rel = RelationshipFactory(owner=world.rep2)  # in 浦东, under the manager
    supply_person = UserFactory(username="sup", primary_team=world.org["supply"])
    with pytest.raises(PermissionDenied):
        pools.customer_assign(relationship=rel, actor=manager, owner=supply_person)
    assert Relationship.objects.get(pk=rel.pk).owner_id == world.rep2.pk
    third = UserFactory(username="pd2", primary_team=world.org["pudong"])
    assert pools.customer_assign(relationship=rel, actor=manager, owner=third).owner_id == third.pk
    assert ClaimLog.objects.get().action == "transfer"


# --- settings ----------------------------------------------------------------------------------------


def test_pool_settings_need_customers_administer_over_the_business_unit(world):
    with pytest.raises(PermissionDenied):
        pools.pool_update(actor=world.rep, pool=world.pool, max_owned=5)
    pools.pool_update(actor=world.head, pool=world.pool, max_owned=5, claims_per_day=3)
    world.pool.refresh_from_db()
    assert (world.pool.max_owned, world.pool.claims_per_day) == (5, 3)
    assert AuditEntry.objects.filter(object_id=str(world.pool.pk), kind="update").count() == 1


def test_a_new_default_pool_takes_over_and_names_are_unique_per_bu(world):
    new = pools.pool_create(actor=world.head, business_unit=world.org["bu1"], name="重点公海", is_default=True)
    assert list(CustomerPool.objects.filter(is_default=True).values_list("pk", flat=True)) == [new.pk]
    with pytest.raises(ValidationError) as exc:
        pools.pool_create(actor=world.head, business_unit=world.org["bu1"], name="重点公海")
    assert list(exc.value.message_dict) == ["name"]
    with pytest.raises(PermissionDenied):
        pools.pool_create(actor=world.head, business_unit=world.org["bu2"], name="医疗公海")


def test_pool_members_must_work_in_the_business_unit(world):
    pools.pool_set_members(
        actor=world.head, pool=world.pool, users=[world.rep], admins=[world.rep2], teams=[world.org["east"]]
    )
    assert sorted(PoolMember.objects.values_list("user_id", "is_admin")) == sorted(
        [(world.rep.pk, False), (world.rep2.pk, True)]
    )
    assert list(world.pool.member_teams.all()) == [world.org["east"]]
    stranger = UserFactory(username="med2", primary_team=world.org["north"])
    with pytest.raises(ValidationError) as exc:
        pools.pool_set_members(actor=world.head, pool=world.pool, users=[stranger])
    assert list(exc.value.message_dict) == ["users"]
    with pytest.raises(ValidationError) as exc:
        pools.pool_set_members(actor=world.head, pool=world.pool, users=[], teams=[world.org["north"]])
    assert list(exc.value.message_dict) == ["teams"]


def test_a_member_team_makes_its_people_members(world):
    PoolMember.objects.all().delete()
    world.pool.member_teams.add(world.org["pudong"])
    rel = world.waiting()
    assert pools.customer_claim(relationship_id=rel.pk, actor=world.outsider_rep).owner_id == world.outsider_rep.pk


def test_ownership_limits_and_rules_validate_their_fields(world):
    with pytest.raises(ValidationError) as exc:
        pools.ownership_limit_save(actor=world.head, pool=world.pool, max_owned=3)
    assert list(exc.value.message_dict) == ["role"]
    limit = pools.ownership_limit_save(actor=world.head, pool=world.pool, max_owned=3, user=world.rep)
    again = pools.ownership_limit_save(actor=world.head, pool=world.pool, max_owned=4, user=world.rep)
    assert (again.pk, again.max_owned) == (limit.pk, 4)
    with pytest.raises(ValidationError) as exc:
        pools.recycle_rule_save(actor=world.head, pool=world.pool, kind="no_follow_up", days=3, remind_days_before=3)
    assert list(exc.value.message_dict) == ["remind_days_before"]
    with pytest.raises(ValidationError) as exc:
        pools.recycle_rule_save(actor=world.head, pool=world.pool, kind="bogus", days=3)
    assert list(exc.value.message_dict) == ["kind"]
    rule = pools.recycle_rule_save(actor=world.head, pool=world.pool, kind="no_follow_up", days=30, level="A")
    assert (rule.kind, rule.days, rule.level, rule.remind_days_before) == ("no_follow_up", 30, "A", 3)
    pools.recycle_rule_delete(actor=world.head, rule=rule)
    pools.ownership_limit_delete(actor=world.head, limit=again)
    assert (RecycleRule.objects.count(), OwnershipLimit.objects.count()) == (0, 0)


# --- recycle -----------------------------------------------------------------------------------------


def owned(world, *, owner=None, **kwargs):
    kwargs.setdefault("claimed_at", days_ago(100))
    rel = RelationshipFactory(owner=owner or world.rep, **kwargs)
    Relationship.objects.filter(pk=rel.pk).update(created_at=days_ago(200))
    rel.refresh_from_db()
    return rel


def test_recycle_returns_idle_customers_to_their_home_pool_and_logs_the_rule(world, django_capture_on_commit_callbacks):
    RecycleRule.objects.create(pool=world.pool, kind="no_follow_up", days=30)
    idle = owned(world, last_follow_up_at=days_ago(40))
    never = owned(world, owner=world.rep2)  # never followed up since claimed 100 days ago
    recent = owned(world, last_follow_up_at=days_ago(10))
    just_claimed = owned(world, claimed_at=days_ago(3))
    protected = owned(world, last_follow_up_at=days_ago(40), protected_until=timezone.localdate())
    busy = owned(world, last_follow_up_at=days_ago(40), has_open_business=True)
    second_pool = CustomerPoolFactory(business_unit=world.org["bu1"], name="重点公海")
    elsewhere = owned(world, last_follow_up_at=days_ago(40), pool=second_pool)  # home: another pool
    with django_capture_on_commit_callbacks(execute=True):
        assert pools.pool_recycle() == 2
    back = set(Relationship.objects.filter(owner__isnull=True).values_list("pk", flat=True))
    assert back == {idle.pk, never.pk}
    kept = {recent.pk, just_claimed.pk, protected.pk, busy.pk, elsewhere.pk}
    assert set(Relationship.objects.filter(owner__isnull=False).values_list("pk", flat=True)) == kept
    idle.refresh_from_db()
    assert (idle.pool_id, idle.previous_owner_id) == (world.pool.pk, world.rep.pk)
    assert idle.previous_owner_blocked_until is not None
    logs = sorted(ClaimLog.objects.values_list("relationship_id", "action", "user_id", "pool_id"))
    assert logs == sorted(
        [(idle.pk, "recycle", world.rep.pk, world.pool.pk), (never.pk, "recycle", world.rep2.pk, world.pool.pk)]
    )
    assert all("30" in reason for reason in ClaimLog.objects.values_list("reason", flat=True))
    assert sorted(Notification.objects.values_list("recipient_id", "kind", "params")) == sorted(
        [(world.rep.pk, "customers_recycled", {"count": 1}), (world.rep2.pk, "customers_recycled", {"count": 1})]
    )


def test_recycle_rules_per_level_and_kind(world):
    RecycleRule.objects.create(pool=world.pool, kind="no_follow_up", days=30, level="A")
    RecycleRule.objects.create(pool=world.pool, kind="no_opportunity", days=60)
    level_a = owned(world, level="A", last_follow_up_at=days_ago(40), last_opportunity_at=days_ago(5))
    level_c = owned(world, level="C", last_follow_up_at=days_ago(40), last_opportunity_at=days_ago(5))
    no_opp = owned(world, level="C", last_follow_up_at=days_ago(1), last_opportunity_at=days_ago(70))
    assert pools.pool_recycle() == 2
    assert set(Relationship.objects.filter(owner__isnull=True).values_list("pk", flat=True)) == {level_a.pk, no_opp.pk}
    assert Relationship.objects.get(pk=level_c.pk).owner_id == world.rep.pk


def test_recycle_is_one_update_per_rule_and_idempotent_within_the_day(world):
    RecycleRule.objects.create(pool=world.pool, kind="no_follow_up", days=30)
    RecycleRule.objects.create(pool=world.pool, kind="no_won_deal", days=90)
    for _ in range(5):
        owned(world, last_follow_up_at=days_ago(40))
    with CaptureQueriesContext(connection) as ctx:
        assert pools.pool_recycle() == 5
    updates = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 2
    assert pools.pool_recycle() == 0
    assert ClaimLog.objects.count() == 5


def test_an_owned_customer_without_home_belongs_to_the_default_pool(world):
    RecycleRule.objects.create(pool=world.pool, kind="no_follow_up", days=30)
    rel = owned(world, last_follow_up_at=days_ago(31))
    assert rel.pool_id is None
    # day-granular: idle since before the start of the local day 30 days ago
    assert pools.pool_recycle() == 1
    assert Relationship.objects.get(pk=rel.pk).pool_id == world.pool.pk


def test_reminders_go_once_per_idle_stretch(world, django_capture_on_commit_callbacks):
    RecycleRule.objects.create(pool=world.pool, kind="no_follow_up", days=30, remind_days_before=3)
    soon = owned(world, last_follow_up_at=days_ago(28))
    later = owned(world, last_follow_up_at=days_ago(20))
    with django_capture_on_commit_callbacks(execute=True):
        assert pools.recycle_reminders() == 1
    assert Notification.objects.get().kind == "customers_recycle_due"
    assert pools.recycle_reminders() == 0
    # a follow-up, then another idle stretch: reminded again
    Relationship.objects.filter(pk=soon.pk).update(last_follow_up_at=timezone.now() + timedelta(days=1))
    assert pools.recycle_reminders(now=timezone.now() + timedelta(days=30)) == 2  # soon again, and later
    assert Relationship.objects.get(pk=later.pk).recycle_reminded_at is not None


def test_the_preview_lists_what_each_rule_recycles_within_seven_days_and_why(world):
    RecycleRule.objects.create(pool=world.pool, kind="no_follow_up", days=30)
    RecycleRule.objects.create(pool=world.pool, kind="no_opportunity", days=60)
    overdue = owned(world, last_follow_up_at=days_ago(35), last_opportunity_at=days_ago(1))
    in_five = owned(world, last_follow_up_at=days_ago(26), last_opportunity_at=days_ago(1))
    in_ten = owned(world, last_follow_up_at=days_ago(21), last_opportunity_at=days_ago(1))
    by_opportunity = owned(world, last_follow_up_at=days_ago(1), last_opportunity_at=days_ago(57))
    items = pools.recycle_preview(pool=world.pool)
    assert [i.relationship.pk for i in items] == [overdue.pk, by_opportunity.pk, in_five.pk]
    today = timezone.localdate()
    assert [timezone.localdate(i.due_at) for i in items] == [
        today,
        timezone.localdate(days_ago(57)) + timedelta(days=61),
        timezone.localdate(days_ago(26)) + timedelta(days=31),
    ]
    assert items[1].rule.kind == "no_opportunity"
    assert "60" in items[1].why
    assert in_ten.pk not in {i.relationship.pk for i in items}
    # what the preview says is due today is what the run takes
    assert pools.pool_recycle() == 1
    assert Relationship.objects.get(pk=overdue.pk).owner_id is None


def test_my_day_lists_my_customers_about_to_return(world):
    RecycleRule.objects.create(pool=world.pool, kind="no_follow_up", days=30)
    mine = owned(world, last_follow_up_at=days_ago(27))
    owned(world, owner=world.rep2, last_follow_up_at=days_ago(27))
    section = pools.myday_returns(world.rep)
    assert section is not None
    assert [i.relationship.pk for i in section["items"]] == [mine.pk]
    assert pools.myday_returns(world.head) is None


# --- demo --------------------------------------------------------------------------------------------


def test_demo_pools_creates_pools_rules_members_and_waiting_customers_once(db):
    bu = BusinessUnit.objects.create(code="ind", name="工业设备事业部")
    sales = TeamFactory(business_unit=bu, name="销售中心")
    group = TeamFactory(parent=sales, name="上海组")
    created: Counter[str] = Counter()
    pools.demo_pools(created)
    assert created["customer pools"] == 2
    main = CustomerPool.objects.get(business_unit=bu, is_default=True)
    assert set(main.member_teams.all()) == {sales, group}
    assert main.recycle_rules.count() == 3
    assert Relationship.objects.filter(pool=main, owner__isnull=True).count() == 5
    again: Counter[str] = Counter()
    pools.demo_pools(again)
    assert +again == Counter()


def test_claiming_a_customer_another_bu_owns_tells_both_owners_after_commit(world, org, monkeypatch):
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, *a, **k: func())
    rel = world.waiting()
    other_owner = UserFactory(username="med_rep", display_name="医疗销售", primary_team=org["north"])
    RelationshipFactory(customer=rel.customer, owner=other_owner)
    pools.customer_claim(relationship_id=rel.pk, actor=world.rep)
    told = set(Notification.objects.filter(kind="customer_cross_bu").values_list("recipient__username", flat=True))
    assert told == {"med_rep"}  # the other BU's owner (the claimer is not told of their own claim)


def test_a_member_team_includes_the_people_of_its_sub_teams(org):
    pool = CustomerPoolFactory(business_unit=org["bu1"])
    pool.member_teams.set([org["east"]])  # 华东销售部 → 上海销售组 → 浦东小组
    deep = UserFactory(username="pudong_rep", primary_team=org["pudong"])
    elsewhere = UserFactory(username="supply_person", primary_team=org["supply"])
    assert pools.is_member(deep, pool) is True
    assert pools.is_member(elsewhere, pool) is False
