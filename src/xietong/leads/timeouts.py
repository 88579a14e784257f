"""Leads not contacted in time (pool setting ``contact_within_hours`` and ``timeout_action``).

A lead is governed by its pool (the pool it waits in or came from), else by its BU's default pool.
An owned, open lead with no first contact (``first_contacted_at`` is set by the first follow-up):

1. ``contact_within_hours`` after it was assigned → a reminder notification to the owner
   (``timeout_reminded_at`` is set, once);
2. another ``contact_within_hours`` later, still not contacted → with ``reassign`` the rules choose
   someone else (if they find nobody, it returns to the pool); with ``return`` it goes back to its
   pool; with ``remind`` nothing more happens.

The periodic job (every 15 minutes, registrations.py) is idempotent: every step is a conditional
UPDATE on the row still being in the state the step expects, and notifications are unique per
occurrence, so two runs at once act once. It also moves leads with a first contact from "new" to
"contacting".
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from xietong.collaboration import services as notifications
from xietong.core import audit

from . import assignment, selectors
from .choices import OPEN_STATUSES, LeadStatus, TimeoutAction
from .models import Lead, LeadPool

log = logging.getLogger("xietong.leads")
BATCH = 500


def governed_by(pool: LeadPool) -> Q:
    q = Q(pool_id=pool.pk)
    if selectors.default_pool(pool.business_unit_id) == pool:
        q |= Q(pool__isnull=True, business_unit_id=pool.business_unit_id)
    return q


def waiting(pool: LeadPool) -> QuerySet[Lead]:
    """Owned open leads of the pool nobody has contacted since they were assigned."""
    return Lead.objects.filter(
        governed_by(pool),
        owner__isnull=False,
        status__in=OPEN_STATUSES,
        first_contacted_at__isnull=True,
        assigned_at__isnull=False,
        merged_into__isnull=True,
    )


def _remind(lead: Lead, *, hours: int, now: datetime) -> bool:
    with transaction.atomic():
        marked = Lead.objects.filter(
            pk=lead.pk, owner_id=lead.owner_id, timeout_reminded_at__isnull=True, first_contacted_at__isnull=True
        ).update(timeout_reminded_at=now)
        if marked:
            assert lead.assigned_at is not None
            notifications.notifications_deliver(
                event_key=f"lead-timeout:{lead.pk}:{lead.owner_id}:{lead.assigned_at.isoformat()}",
                kind="lead_contact_overdue",
                recipient_ids=[lead.owner_id] if lead.owner_id else [],
                record=("leads.lead", lead.pk),
                params={"lead": str(lead), "hours": hours},
            )
    return bool(marked)


def _take_back(lead_id: int, *, action: str, reminded_before: datetime, now: datetime) -> bool:
    """Reassign (or return) one overdue lead, if it is still overdue under the row lock."""
    with transaction.atomic():
        lead = (
            Lead.objects.select_for_update()
            .filter(
                pk=lead_id,
                owner__isnull=False,
                status__in=OPEN_STATUSES,
                first_contacted_at__isnull=True,
                timeout_reminded_at__lte=reminded_before,
            )
            .first()
        )
        if lead is None:
            return False
        previous: Any = lead.owner
        before = audit.snapshot(lead)
        decision = assignment.decide(lead, exclude=[previous.pk]) if action == TimeoutAction.REASSIGN else None
        if decision is not None and decision.owner is not None:
            lead.owner = decision.owner
            lead.assigned_at = now
            lead.assigned_by_rule = decision.rule
            verb = "timeout_reassign"
        else:
            lead.owner = None
            lead.pool = (decision.pool if decision is not None else None) or lead.pool
            if lead.pool is None:
                lead.pool = selectors.default_pool(lead.business_unit_id)
            if lead.pool is None:
                return False  # nowhere to return it: it stays, reminded
            lead.assigned_at = None
            verb = "timeout_return"
        lead.timeout_reminded_at = None
        lead.save(
            update_fields=["owner", "pool", "assigned_at", "assigned_by_rule", "timeout_reminded_at", "updated_at"]
        )
        audit.record_update(actor=None, obj=lead, before=before, verb=verb)
        notifications.notifications_deliver(
            event_key=f"lead-taken-back:{lead.pk}:{previous.pk}:{now.isoformat()}",
            kind="lead_taken_back",
            recipient_ids=[previous.pk],
            record=("leads.lead", lead.pk),
            params={"lead": str(lead)},
        )
        if lead.owner_id:
            from .services import notify_assigned

            notify_assigned(lead, actor=None)
    return True


def process(*, now: datetime | None = None) -> int:
    """One run of the job: the number of leads reminded, reassigned or returned."""
    now = now or timezone.now()
    Lead.objects.filter(status=LeadStatus.NEW, first_contacted_at__isnull=False).update(
        status=LeadStatus.CONTACTING, updated_at=now
    )
    acted = 0
    for pool in LeadPool.objects.filter(is_active=True, contact_within_hours__isnull=False).order_by("pk"):
        hours = pool.contact_within_hours or 0
        if hours <= 0:
            continue
        window = timedelta(hours=hours)
        due = waiting(pool).filter(timeout_reminded_at__isnull=True, assigned_at__lte=now - window)
        for lead in due.order_by("assigned_at", "pk")[:BATCH]:
            acted += _remind(lead, hours=hours, now=now)
        if pool.timeout_action == TimeoutAction.REMIND:
            continue
        overdue = waiting(pool).filter(timeout_reminded_at__lte=now - window)
        for lead_id in list(overdue.order_by("timeout_reminded_at", "pk").values_list("pk", flat=True)[:BATCH]):
            acted += _take_back(lead_id, action=pool.timeout_action, reminded_before=now - window, now=now)
    if acted:
        log.info("lead timeouts: %d leads reminded, reassigned or returned", acted)
    return acted
