"""The assignment rule matrix: each method, the fallbacks, priority order, pool-limited rules, and the
capture paths (form/API service, imports through ``assign_new``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.leads.conftest import LEAD
from tests.support.crm import LeadFactory, LeadPoolFactory
from tests.support.factories import UserFactory
from xietong.leads import assignment, services
from xietong.leads.choices import AssignmentMethod, LeadStatus
from xietong.leads.models import AssignmentRule, Lead

pytestmark = pytest.mark.django_db


def rule(org: dict[str, Any], method: str, *, assignees: list[Any] = (), priority: int = 100, **kwargs: Any) -> Any:
    created = AssignmentRule.objects.create(
        business_unit=org["bu1"], name=f"{method}-{priority}", method=method, priority=priority, **kwargs
    )
    created.assignees.set(assignees)
    return created


def capture(org: dict[str, Any], actor: Any, **fields: Any) -> Lead:
    """A capture through the service (the same company each time: the duplicate warning is passed)."""
    return services.lead_create(
        actor=actor, business_unit=org["bu1"], fields={**LEAD, **fields}, duplicate_reason="同一公司的另一需求"
    )


def test_round_robin_within_a_team_cycles_through_its_active_members_in_order(org, head, rep, rep2, rep3, pool):
    rule(org, AssignmentMethod.ROUND_ROBIN, team=org["shanghai"])  # 上海销售组 and 浦东小组 below it
    inactive = UserFactory(username="gone", primary_team=org["shanghai"], is_active=False)
    owners = [capture(org, head, mobile="").owner for _ in range(4)]
    assert owners == [rep, rep2, rep3, rep]
    assert inactive not in owners


def test_round_robin_remembers_its_cursor_on_the_rule(org, head, rep, rep2, pool):
    created = rule(org, AssignmentMethod.ROUND_ROBIN, assignees=[rep, rep2])
    capture(org, head, mobile="")
    created.refresh_from_db()
    assert created.last_assigned_user == rep


def test_by_region_matches_the_province_with_or_without_its_suffix(org, head, rep, rep2, pool):
    rule(org, AssignmentMethod.REGION, assignees=[rep], values=["浙江", "江苏省"], priority=10)
    rule(org, AssignmentMethod.ROUND_ROBIN, assignees=[rep2], priority=20)
    assert capture(org, head, province="浙江省", mobile="").owner == rep
    assert capture(org, head, province="江苏", mobile="").owner == rep
    assert capture(org, head, province="上海市", mobile="").owner == rep2


def test_by_region_also_matches_the_city(org, head, rep, pool):
    rule(org, AssignmentMethod.REGION, assignees=[rep], values=["苏州"])
    assert capture(org, head, province="江苏省", city="苏州市", mobile="").owner == rep


def test_by_industry_matches_exactly_ignoring_case_and_spaces(org, head, rep, pool):
    rule(org, AssignmentMethod.INDUSTRY, assignees=[rep], values=["制造业", "Auto Parts"])
    assert capture(org, head, industry="制造业", mobile="").owner == rep
    assert capture(org, head, industry="autoparts", mobile="").owner == rep
    assert capture(org, head, industry="医疗", mobile="").owner is None  # no match: the default pool


def test_by_product_line_matches_a_value_within_the_product_interest(org, head, rep, pool):
    rule(org, AssignmentMethod.PRODUCT_LINE, assignees=[rep], values=["数控机床"])
    assert capture(org, head, product_interest="五轴数控机床 2 台", mobile="").owner == rep
    assert capture(org, head, product_interest="工业机器人", mobile="").pool == pool


def test_least_loaded_picks_the_one_with_the_fewest_open_leads(org, head, rep, rep2, rep3, pool):
    for _ in range(2):
        LeadFactory(owner=rep)
    LeadFactory(owner=rep2)
    LeadFactory(owner=rep2, status=LeadStatus.CONVERTED)  # closed leads do not count
    LeadFactory(owner=rep3)
    LeadFactory(owner=rep3)
    rule(org, AssignmentMethod.LEAST_LOADED, assignees=[rep, rep2, rep3])
    assert capture(org, head, mobile="").owner == rep2


def test_a_matching_rule_without_people_falls_back_to_its_owner(org, head, rep, pool):
    empty_team = org["supply"]  # nobody in it
    decided = rule(org, AssignmentMethod.ROUND_ROBIN, team=empty_team, fallback_owner=rep)
    lead = capture(org, head, mobile="")
    assert (lead.owner, lead.assigned_by_rule) == (rep, decided)


def test_then_to_its_pool(org, head, pool):
    other = LeadPoolFactory(business_unit=org["bu1"], name="备用池")
    rule(org, AssignmentMethod.ROUND_ROBIN, team=org["supply"], fallback_pool=other)
    lead = capture(org, head, mobile="")
    assert (lead.owner, lead.pool) == (None, other)


def test_then_to_the_next_rule(org, head, rep2, pool):
    rule(org, AssignmentMethod.ROUND_ROBIN, team=org["supply"], priority=10)
    rule(org, AssignmentMethod.ROUND_ROBIN, assignees=[rep2], priority=20)
    assert capture(org, head, mobile="").owner == rep2


def test_rules_run_in_priority_order_and_inactive_rules_are_skipped(org, head, rep, rep2, rep3, pool):
    rule(org, AssignmentMethod.ROUND_ROBIN, assignees=[rep3], priority=5, is_active=False)
    rule(org, AssignmentMethod.ROUND_ROBIN, assignees=[rep2], priority=50)
    rule(org, AssignmentMethod.ROUND_ROBIN, assignees=[rep], priority=10)
    assert capture(org, head, mobile="").owner == rep


def test_a_rule_limited_to_a_pool_only_places_leads_of_that_pool(org, head, rep, rep2, pool):
    expo = LeadPoolFactory(business_unit=org["bu1"], name="展会线索池")
    rule(org, AssignmentMethod.ROUND_ROBIN, assignees=[rep], priority=10, source_pool=expo)
    rule(org, AssignmentMethod.ROUND_ROBIN, assignees=[rep2], priority=20)
    assert (
        services.lead_create(actor=head, business_unit=org["bu1"], fields={**LEAD, "mobile": ""}, pool=expo).owner
        == rep
    )
    assert capture(org, head, mobile="").owner == rep2


def test_rules_of_another_business_unit_never_apply(org, head, outsider, pool):
    AssignmentRule.objects.create(
        business_unit=org["bu2"], name="BU2", method=AssignmentMethod.ROUND_ROBIN, team=org["north"]
    )
    assert capture(org, head, mobile="").pool == pool


def test_an_explicit_owner_skips_the_rules(org, head, rep, rep2, pool):
    rule(org, AssignmentMethod.ROUND_ROBIN, assignees=[rep2])
    lead = services.lead_create(actor=head, business_unit=org["bu1"], fields=LEAD, owner=rep)
    assert (lead.owner, lead.assigned_by_rule) == (rep, None)


def test_assign_new_on_an_unsaved_lead_only_sets_its_fields_for_a_bulk_import(org, rep, pool):
    rule(org, AssignmentMethod.ROUND_ROBIN, assignees=[rep])
    lead = Lead(business_unit=org["bu1"], contact_name="导入", pool=pool)
    assignment.assign_new(lead)
    assert (lead.pk, lead.owner, lead.pool) == (None, rep, pool)


def test_assign_new_on_a_saved_pool_lead_saves_and_audits_it(org, rep, pool):
    from xietong.core.models import AuditEntry

    rule(org, AssignmentMethod.ROUND_ROBIN, assignees=[rep])
    lead = LeadFactory(pool=pool)
    assignment.assign_new(lead)
    lead.refresh_from_db()
    assert lead.owner == rep
    assert AuditEntry.objects.filter(object_id=str(lead.pk), verb="assigned_by_rule").count() == 1


def test_manual_reassignment_by_rules_picks_someone_other_than_the_current_owner(org, manager, rep, rep2):
    rule(org, AssignmentMethod.ROUND_ROBIN, assignees=[rep, rep2])
    lead = LeadFactory(owner=rep)
    services.lead_assign_by_rules(actor=manager, lead=lead)
    lead.refresh_from_db()
    assert lead.owner == rep2


def test_region_keys_strip_the_administrative_suffix():
    assert [assignment.region_key(v) for v in ("浙江省", "上海市", "内蒙古自治区", "广西壮族自治区", "北京")] == [
        "浙江",
        "上海",
        "内蒙古",
        "广西",
        "北京",
    ]
