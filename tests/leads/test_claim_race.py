"""Claiming a pool lead is race-safe: one conditional UPDATE, so of many concurrent claims exactly one
wins. With real parallel connections on PostgreSQL; one after another on every database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from tests.support.crm import LeadFactory
from tests.support.factories import UserFactory, grant
from xietong.core.errors import Conflict
from xietong.core.models import AuditEntry
from xietong.leads import services
from xietong.leads.models import Lead


def claimers(org: dict[str, Any], roles: dict[str, Any], count: int) -> list[Any]:
    people = []
    for i in range(count):
        user = UserFactory(username=f"racer{i}", display_name=f"抢线索{i}", primary_team=org["shanghai"])
        grant(user, roles["sales_rep"])
        people.append(user)
    return people


@pytest.mark.django_db
def test_fifty_claims_one_after_another_exactly_one_succeeds(org, roles, pool):
    lead = LeadFactory(pool=pool)
    outcomes = []
    for user in claimers(org, roles, 50):
        try:
            outcomes.append(services.lead_claim(actor=user, lead_id=lead.pk))
        except Conflict as exc:
            outcomes.append(exc)
    assert len([o for o in outcomes if isinstance(o, Lead)]) == 1
    holder = next(o for o in outcomes if isinstance(o, Lead)).owner
    # every loser learns who holds it (409), though the claimed lead has left their sight
    assert {str(o) for o in outcomes if isinstance(o, Conflict)} == {f"{holder}刚刚领取了这条线索。"}
    assert AuditEntry.objects.filter(object_id=str(lead.pk), verb="lead_claim").count() == 1


def run_together(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def work(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # the outcome is what the test looks at
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel connections: PostgreSQL only")
def test_fifty_concurrent_claims_of_one_lead_exactly_one_succeeds(org, roles, pool):
    lead = LeadFactory(pool=pool)

    def claim(user: Any) -> Callable[[], Any]:
        def call() -> Any:
            fresh = type(user).objects.get(pk=user.pk)
            return services.lead_claim(actor=fresh, lead_id=lead.pk)

        return call

    results = run_together([claim(u) for u in claimers(org, roles, 50)])
    won = [r for r in results if isinstance(r, Lead)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert (len(won), len(lost)) == (1, 49), results
    holder = Lead.objects.get(pk=lead.pk).owner_id
    assert holder == won[0].owner_id
    assert AuditEntry.objects.filter(object_id=str(lead.pk), verb="lead_claim").count() == 1
