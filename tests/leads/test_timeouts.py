"""Leads not contacted in time: a reminder after N hours, then reassign by the rules or return to the pool."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.support.crm import LeadFactory
from xietong.collaboration.models import Notification
from xietong.core import scheduling
from xietong.leads import timeouts
from xietong.leads.choices import AssignmentMethod, LeadStatus, TimeoutAction
from xietong.leads.models import AssignmentRule, Lead

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def overdue_lead(owner, pool, hours_ago: float) -> Lead:
    return LeadFactory(owner=owner, pool=pool, assigned_at=NOW - timedelta(hours=hours_ago))


@pytest.fixture
def timed_pool(pool):
    pool.contact_within_hours = 24
    pool.timeout_action = TimeoutAction.REASSIGN
    pool.save()
    return pool


def test_the_owner_is_reminded_once_after_the_contact_window(rep, timed_pool):
    late = overdue_lead(rep, timed_pool, 25)
    fresh = overdue_lead(rep, timed_pool, 2)
    contacted = overdue_lead(rep, timed_pool, 30)
    Lead.objects.filter(pk=contacted.pk).update(first_contacted_at=NOW - timedelta(hours=1))
    assert timeouts.process(now=NOW) == 1
    assert timeouts.process(now=NOW) == 0  # idempotent
    late.refresh_from_db()
    fresh.refresh_from_db()
    assert (late.timeout_reminded_at, fresh.timeout_reminded_at) == (NOW, None)
    reminders = Notification.objects.filter(kind="lead_contact_overdue")
    assert [(n.recipient, n.object_id, n.params["hours"]) for n in reminders] == [(rep, str(late.pk), 24)]


def test_after_another_window_the_rules_reassign_it_to_someone_else(org, rep, rep2, timed_pool):
    rule = AssignmentRule.objects.create(business_unit=org["bu1"], name="rr", method=AssignmentMethod.ROUND_ROBIN)
    rule.assignees.set([rep, rep2])
    lead = overdue_lead(rep, timed_pool, 60)
    timeouts.process(now=NOW - timedelta(hours=30))  # reminded 30 hours ago
    assert timeouts.process(now=NOW) == 1
    lead.refresh_from_db()
    assert (lead.owner, lead.assigned_at, lead.timeout_reminded_at, lead.assigned_by_rule) == (rep2, NOW, None, rule)
    assert Notification.objects.filter(kind="lead_taken_back", recipient=rep).count() == 1


def test_with_no_one_else_found_it_returns_to_the_pool(rep, timed_pool):
    lead = overdue_lead(rep, timed_pool, 60)
    timeouts.process(now=NOW - timedelta(hours=30))
    timeouts.process(now=NOW)
    lead.refresh_from_db()
    assert (lead.owner, lead.pool) == (None, timed_pool)


def test_the_return_action_puts_it_back_into_the_pool(rep, timed_pool):
    timed_pool.timeout_action = TimeoutAction.RETURN
    timed_pool.save()
    lead = overdue_lead(rep, timed_pool, 60)
    timeouts.process(now=NOW - timedelta(hours=30))
    timeouts.process(now=NOW)
    lead.refresh_from_db()
    assert (lead.owner, lead.pool, lead.assigned_at) == (None, timed_pool, None)


def test_remind_only_never_takes_the_lead_away(rep, timed_pool):
    timed_pool.timeout_action = TimeoutAction.REMIND
    timed_pool.save()
    lead = overdue_lead(rep, timed_pool, 100)
    timeouts.process(now=NOW - timedelta(hours=70))
    timeouts.process(now=NOW)
    lead.refresh_from_db()
    assert lead.owner == rep


def test_a_first_contact_in_between_stops_the_timeout(rep, timed_pool):
    lead = overdue_lead(rep, timed_pool, 60)
    timeouts.process(now=NOW - timedelta(hours=30))
    Lead.objects.filter(pk=lead.pk).update(first_contacted_at=NOW - timedelta(hours=2))
    timeouts.process(now=NOW)
    lead.refresh_from_db()
    assert (lead.owner, lead.status) == (rep, LeadStatus.CONTACTING)


def test_a_lead_without_a_pool_follows_the_default_pool_of_its_business_unit(rep, timed_pool):
    lead = LeadFactory(owner=rep, assigned_at=NOW - timedelta(hours=25))
    assert timeouts.process(now=NOW) == 1
    lead.refresh_from_db()
    assert lead.timeout_reminded_at == NOW


def test_a_follow_up_through_the_customers_service_marks_the_first_contact(rep, timed_pool):
    from xietong.customers.followups import followup_create

    lead = overdue_lead(rep, timed_pool, 25)
    followup_create(actor=rep, record=lead, kind="call", content="电话沟通需求")
    lead.refresh_from_db()
    assert lead.first_contacted_at is not None
    assert timeouts.process(now=NOW) == 0


def test_the_first_follow_up_moves_a_new_lead_to_contacting_and_only_a_new_one(rep, timed_pool):
    from xietong.core.models import AuditEntry
    from xietong.customers.followups import followup_create

    lead = LeadFactory(owner=rep)
    qualified = LeadFactory(owner=rep, status="qualified")
    for record in (lead, qualified):
        followup_create(actor=rep, record=record, kind="call", content="电话沟通需求")
        record.refresh_from_db()
    assert (lead.status, qualified.status) == ("contacting", "qualified")
    entry = AuditEntry.objects.for_object(lead).get()
    assert entry.changes["status"] == ["新", "跟进中"]  # audit entries keep the labels of their time


def test_the_job_is_registered_every_15_minutes():
    job = scheduling.get("lead-timeouts")
    assert job.every == timedelta(minutes=15)
