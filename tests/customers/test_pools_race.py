"""The claim race with real parallel connections (PostgreSQL): one thread per claimer, each with its own
database connection, released together by a barrier. On SQLite the sequential variant runs instead
(test_pools.py::test_fifty_claims_of_one_customer_one_after_another_exactly_one_succeeds)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from tests.customers.pools_support import make_world
from tests.support.factories import UserFactory, grant
from xietong.core.errors import Conflict
from xietong.customers import pools
from xietong.customers.models import ClaimLog, PoolMember, Relationship

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel connections: PostgreSQL only"),
]


def run_together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in parallel threads started at the same moment; each result or the exception."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def work(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # the outcome is what the test looks at
            results[index] = exc
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=work, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_fifty_concurrent_claims_of_one_customer_exactly_one_succeeds(org):
    world = make_world(org)
    rel = world.waiting()
    claimers = []
    for i in range(50):
        user = UserFactory(username=f"racer{i}", display_name=f"抢单{i}", primary_team=org["shanghai"])
        grant(user, world.roles["sales_rep"])
        PoolMember.objects.create(pool=world.pool, user=user)
        claimers.append(user)

    def claim(user: Any) -> Callable[[], Any]:
        def call() -> Any:
            fresh = type(user).objects.get(pk=user.pk)  # a user object (and its access) per thread
            return pools.customer_claim(relationship_id=rel.pk, actor=fresh)

        return call

    results = run_together([claim(u) for u in claimers])
    won = [r for r in results if isinstance(r, Relationship)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert len(won) == 1, results
    assert len(lost) == 49, results
    holder = Relationship.objects.select_related("owner").get(pk=rel.pk).owner
    assert holder.pk == won[0].owner_id
    assert all(str(holder) in str(exc) for exc in lost)
    assert ClaimLog.objects.filter(action="claim").count() == 1


def test_one_reps_concurrent_claims_never_exceed_the_ownership_limit(org):
    world = make_world(org, max_owned=3)
    waiting = [world.waiting() for _ in range(10)]

    def claim(rel: Relationship) -> Callable[[], Any]:
        def call() -> Any:
            fresh = type(world.rep).objects.get(pk=world.rep.pk)
            return pools.customer_claim(relationship_id=rel.pk, actor=fresh)

        return call

    results = run_together([claim(r) for r in waiting])
    assert sum(isinstance(r, Relationship) for r in results) == 3, results
    assert sum(isinstance(r, Conflict) for r in results) == 7, results
    assert Relationship.objects.filter(owner=world.rep).count() == 3
