"""The lead services: capture, edit, assign and transfer, claim, return to the pool, invalid, bulk."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.leads.conftest import LEAD
from tests.support.crm import LeadFactory
from xietong.core.errors import Conflict, NotFound
from xietong.core.models import AuditEntry
from xietong.customers.matching import DuplicateFound
from xietong.leads import services
from xietong.leads.choices import LeadStatus
from xietong.leads.models import Lead

pytestmark = pytest.mark.django_db


def errors_of(exc: Any) -> dict[str, list[str]]:
    return exc.value.message_dict


# --- create -----------------------------------------------------------------------------------


def test_a_rep_captures_a_lead_of_their_own_with_normalised_keys_and_an_audit_entry(org, rep, pool):
    lead = services.lead_create(
        actor=rep,
        business_unit=org["bu1"],
        fields={**LEAD, "mobile": "+86 138-0013-8000", "email": "Chen@Example.COM"},
        owner=rep,
        tags=["展会", "重点"],
    )
    assert (lead.owner, lead.pool, lead.status) == (rep, None, LeadStatus.NEW)
    assert lead.company_key == "测试机械"
    assert lead.mobile_key == "13800138000"
    assert lead.email == "chen@example.com"
    assert lead.tag_list == ["展会", "重点"]
    assert lead.created_by == rep
    assert lead.assigned_at is not None
    entry = AuditEntry.objects.get(object_id=str(lead.pk), content_type__model="lead")
    assert entry.kind == AuditEntry.Kind.CREATE


def test_a_lead_without_owner_and_rules_waits_in_the_default_pool(org, rep, pool):
    lead = services.lead_create(actor=rep, business_unit=org["bu1"], fields=LEAD)
    assert (lead.owner, lead.pool) == (None, pool)


def test_a_lead_without_owner_in_a_business_unit_without_pools_is_refused_naming_the_pool(org, rep):
    with pytest.raises(ValidationError) as exc:
        services.lead_create(actor=rep, business_unit=org["bu1"], fields=LEAD)
    assert list(errors_of(exc)) == ["pool"]


def test_bad_mobile_phone_and_email_are_refused_with_the_fields_named(org, rep):
    with pytest.raises(ValidationError) as exc:
        services.lead_create(
            actor=rep,
            business_unit=org["bu1"],
            fields={"contact_name": "陈", "mobile": "12345", "phone": "12", "email": "not-an-email"},
            owner=rep,
        )
    assert sorted(errors_of(exc)) == ["email", "mobile", "phone"]
    assert Lead.objects.count() == 0


def test_the_contact_name_is_required(org, rep):
    with pytest.raises(ValidationError) as exc:
        services.lead_create(actor=rep, business_unit=org["bu1"], fields={"company": "某公司"}, owner=rep)
    assert list(errors_of(exc)) == ["contact_name"]


def test_an_unknown_field_is_refused_by_name(org, rep):
    with pytest.raises(ValidationError) as exc:
        services.lead_create(actor=rep, business_unit=org["bu1"], fields={**LEAD, "status": "converted"}, owner=rep)
    assert list(errors_of(exc)) == ["status"]


def test_nobody_captures_leads_in_a_business_unit_outside_their_roles(org, rep):
    with pytest.raises(ValidationError) as exc:
        services.lead_create(actor=rep, business_unit=org["bu2"], fields=LEAD, owner=rep)
    assert list(errors_of(exc)) == ["business_unit"]


def test_an_owner_outside_the_business_unit_is_refused(org, rep, outsider):
    with pytest.raises(ValidationError) as exc:
        services.lead_create(actor=rep, business_unit=org["bu1"], fields=LEAD, owner=outsider)
    assert list(errors_of(exc)) == ["owner"]


def test_a_rep_cannot_capture_a_lead_for_a_colleague_they_would_not_see(org, rep, rep2):
    with pytest.raises(PermissionDenied):
        services.lead_create(actor=rep, business_unit=org["bu1"], fields=LEAD, owner=rep2)
    assert Lead.objects.count() == 0


def test_a_user_without_the_create_permission_is_refused(org, pool):
    from tests.support.factories import UserFactory

    nobody = UserFactory(username="nobody", primary_team=org["shanghai"])
    with pytest.raises(PermissionDenied):
        services.lead_create(actor=nobody, business_unit=org["bu1"], fields=LEAD)


def test_the_same_mobile_warns_and_passes_with_a_reason_that_is_recorded(org, rep, pool):
    from xietong.customers.models import DuplicateOverride

    first = LeadFactory(owner=rep, mobile="13800138000", company="另一家公司")
    with pytest.raises(DuplicateFound) as exc:
        services.lead_create(actor=rep, business_unit=org["bu1"], fields=LEAD, owner=rep)
    assert "mobile" in exc.value.message_dict
    assert [c.pk for c in exc.value.candidates] == [first.pk]
    lead = services.lead_create(
        actor=rep, business_unit=org["bu1"], fields=LEAD, owner=rep, duplicate_reason="同一人换了公司"
    )
    override = DuplicateOverride.objects.get(object_id=lead.pk)
    assert (override.matched_ids, override.reason, override.actor) == ([first.pk], "同一人换了公司", rep)


# --- update -----------------------------------------------------------------------------------


def test_an_edit_changes_details_tags_and_status_and_audits_the_change(rep):
    lead = LeadFactory(owner=rep, company="旧名称有限公司")
    services.lead_update(
        actor=rep,
        lead=lead,
        fields={"company": "新名称有限公司", "budget": "120000.50"},
        tags=["重点"],
        status=LeadStatus.QUALIFIED,
    )
    lead.refresh_from_db()
    assert (lead.company, lead.company_key, str(lead.budget), lead.status) == (
        "新名称有限公司",
        "新名称",
        "120000.50",
        LeadStatus.QUALIFIED,
    )
    entry = AuditEntry.objects.filter(object_id=str(lead.pk), kind=AuditEntry.Kind.UPDATE).get()
    assert set(entry.changes) == {"company", "budget", "status", "tags"}


def test_an_edit_cannot_close_a_lead(rep):
    lead = LeadFactory(owner=rep)
    with pytest.raises(ValidationError) as exc:
        services.lead_update(actor=rep, lead=lead, fields={}, status=LeadStatus.CONVERTED)
    assert list(errors_of(exc)) == ["status"]


def test_nobody_edits_a_lead_outside_their_scope(rep, rep2):
    lead = LeadFactory(owner=rep2)
    with pytest.raises(NotFound):
        services.lead_update(actor=rep, lead=lead, fields={"company": "改"})


# --- assign, transfer, claim, return ----------------------------------------------------------


def test_a_manager_assigns_a_pool_lead_and_the_new_owner_is_told(
    manager, rep, pool, django_capture_on_commit_callbacks
):
    from xietong.collaboration.models import Notification

    pool.admins.add(manager)  # a pool's administrators hand out its leads
    lead = LeadFactory(pool=pool)
    with django_capture_on_commit_callbacks(execute=True):
        services.lead_assign(actor=manager, lead=lead, owner=rep)
    lead.refresh_from_db()
    assert (lead.owner, lead.pool) == (rep, pool)
    assert AuditEntry.objects.filter(object_id=str(lead.pk), verb="lead_assign").count() == 1
    notification = Notification.objects.get(recipient=rep, kind="lead_assigned")
    assert (notification.object_id, notification.params["actor"]) == (str(lead.pk), str(manager))


def test_a_manager_transfers_a_lead_between_reps_of_the_team(manager, rep, rep2):
    lead = LeadFactory(owner=rep)
    services.lead_assign(actor=manager, lead=lead, owner=rep2)
    lead.refresh_from_db()
    assert lead.owner == rep2
    assert AuditEntry.objects.filter(object_id=str(lead.pk), verb="lead_transfer").count() == 1


def test_a_rep_cannot_transfer_a_lead_out_of_their_own_scope(rep, rep2):
    lead = LeadFactory(owner=rep)
    with pytest.raises(PermissionDenied):
        services.lead_assign(actor=rep, lead=lead, owner=rep2)
    lead.refresh_from_db()
    assert lead.owner == rep


def test_assigning_to_the_current_owner_is_refused(manager, rep):
    lead = LeadFactory(owner=rep)
    with pytest.raises(ValidationError) as exc:
        services.lead_assign(actor=manager, lead=lead, owner=rep)
    assert list(errors_of(exc)) == ["owner"]


def test_a_pool_member_claims_a_lead(rep, pool):
    lead = LeadFactory(pool=pool)
    claimed = services.lead_claim(actor=rep, lead_id=lead.pk)
    assert (claimed.owner, claimed.pool) == (rep, pool)
    assert AuditEntry.objects.get(object_id=str(lead.pk), verb="lead_claim").changes == {"owner": [None, str(rep)]}


def test_a_claimed_lead_cannot_be_claimed_again_and_the_answer_names_the_holder(rep, rep2, pool):
    lead = LeadFactory(pool=pool)
    services.lead_claim(actor=rep, lead_id=lead.pk)
    with pytest.raises((Conflict, NotFound)):
        services.lead_claim(actor=rep2, lead_id=lead.pk)  # no longer in the pool: rep2 does not even see it


def test_the_claim_is_a_conditional_update_so_a_lost_race_is_a_conflict_naming_the_winner(rep, rep2, pool):
    lead = LeadFactory(pool=pool)
    # rep2 read the lead while it was in the pool; rep wins meanwhile (the UPDATE sees the new row)
    Lead.objects.filter(pk=lead.pk).update(owner=rep)
    from unittest import mock

    in_pool = Lead.objects.select_related("pool", "owner").get(pk=lead.pk)
    in_pool.owner = None
    in_pool.owner_id = None
    with (
        mock.patch("xietong.core.visibility.VisibleQuerySet.get_visible", return_value=in_pool),
        pytest.raises(Conflict) as exc,
    ):
        services.lead_claim(actor=rep2, lead_id=lead.pk)
    assert str(rep) in str(exc.value)
    lead.refresh_from_db()
    assert lead.owner == rep


def test_someone_outside_the_pool_cannot_claim(org, roles, pool):
    from tests.support.factories import UserFactory, grant

    supply = UserFactory(username="supply_rep", primary_team=org["supply"])  # not under 上海销售组
    grant(supply, roles["sales_rep"])
    lead = LeadFactory(pool=pool)
    with pytest.raises(NotFound):
        services.lead_claim(actor=supply, lead_id=lead.pk)


def test_the_people_of_a_member_teams_sub_teams_are_members_too(rep3, pool):
    lead = LeadFactory(pool=pool)  # the pool's member team is 上海销售组; rep3 is in 浦东小组 below it
    assert services.lead_claim(actor=rep3, lead_id=lead.pk).owner == rep3


def test_returning_a_lead_puts_it_back_into_its_pool_with_the_reason(rep, pool):
    lead = LeadFactory(owner=rep, pool=pool)
    services.lead_return_to_pool(actor=rep, lead=lead, reason="客户暂无需求")
    lead.refresh_from_db()
    assert (lead.owner, lead.pool, lead.assigned_at) == (None, pool, None)
    entry = AuditEntry.objects.get(object_id=str(lead.pk), verb="return_to_pool")
    assert entry.changes["reason"] == [None, "客户暂无需求"]
    assert entry.changes["owner"] == [str(rep), None]


def test_marking_a_lead_invalid_needs_a_reason_and_closes_it(rep):
    lead = LeadFactory(owner=rep)
    with pytest.raises(ValidationError) as exc:
        services.lead_mark_invalid(actor=rep, lead=lead, reason="  ")
    assert list(errors_of(exc)) == ["reason"]
    services.lead_mark_invalid(actor=rep, lead=lead, reason="空号")
    lead.refresh_from_db()
    assert (lead.status, lead.invalid_reason) == (LeadStatus.INVALID, "空号")
    with pytest.raises(Conflict):
        services.lead_assign(actor=rep, lead=lead, owner=rep)


# --- bulk ---------------------------------------------------------------------------------------


def test_bulk_tag_assign_and_return_act_on_every_chosen_lead(manager, rep, rep2, pool):
    leads = [LeadFactory(owner=rep, pool=pool), LeadFactory(owner=rep2, pool=pool)]
    ids = [lead.pk for lead in leads]
    assert services.lead_bulk(actor=manager, lead_ids=ids, action="tag", tags=["展会"]) == 2
    assert [Lead.objects.get(pk=pk).tag_list for pk in ids] == [["展会"], ["展会"]]
    services.lead_bulk(actor=manager, lead_ids=ids, action="assign", owner=rep2)
    assert [Lead.objects.get(pk=pk).owner for pk in ids] == [rep2, rep2]
    services.lead_bulk(actor=manager, lead_ids=ids, action="return", reason="重新分配")
    assert [Lead.objects.get(pk=pk).owner for pk in ids] == [None, None]


def test_bulk_is_all_or_nothing_when_one_lead_is_out_of_reach(rep, rep2):
    mine, theirs = LeadFactory(owner=rep), LeadFactory(owner=rep2)
    with pytest.raises(NotFound):
        services.lead_bulk(actor=rep, lead_ids=[mine.pk, theirs.pk], action="tag", tags=["x"])
    mine.refresh_from_db()
    assert mine.tag_list == []


def test_a_return_reason_too_long_is_refused_and_the_lead_stays(rep, pool):
    """It was cut to 200 characters in the audit trail without a word."""
    from django.utils.translation import gettext

    lead = LeadFactory(owner=rep, pool=pool)
    with pytest.raises(ValidationError) as exc:
        services.lead_return_to_pool(actor=rep, lead=lead, reason="因" * 201)
    assert exc.value.message_dict == {"reason": [gettext("At most %(n)d characters.") % {"n": 200}]}
    lead.refresh_from_db()
    assert lead.owner == rep
