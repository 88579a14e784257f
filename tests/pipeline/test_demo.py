"""The demo group gains a product catalogue, each BU's standard process (playbooks, checklists) and
opportunities driven through the services — every stage, won and lost ones with their reasons,
cross-department deal teams, overdue and stale deals; loading again adds nothing."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from xietong.catalog import demo as catalog_demo
from xietong.catalog.models import Product, ProductCategory
from xietong.pipeline import demo as pipeline_demo
from xietong.pipeline import selectors
from xietong.pipeline.choices import LostReason, OpportunityStatus
from xietong.pipeline.models import (
    ChecklistItem,
    DealTeamMember,
    Opportunity,
    OpportunityContact,
    OpportunityLine,
    SalesProcess,
    StageMove,
)

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        ProductCategory.objects.count(),
        Product.objects.count(),
        SalesProcess.objects.count(),
        Opportunity.objects.count(),
        StageMove.objects.count(),
        OpportunityLine.objects.count(),
        OpportunityContact.objects.count(),
        DealTeamMember.objects.count(),
    )


def test_the_demo_catalogue_processes_and_opportunities_load_once():
    call_command("demo_data", "--no-logins", verbosity=0)

    # the catalogue: a tree of 2–3 levels whose paths are the ids from the root, 37 products
    assert ProductCategory.objects.count() == 40
    ct = ProductCategory.objects.get(name="CT")
    assert ct.path == f"/{ct.parent.parent_id}/{ct.parent_id}/{ct.pk}/" and ct.depth == 2
    assert dict(Product.objects.values_list("business_unit__code").annotate(n=Count("pk"))) == {
        "ind": 12,
        "med": 12,
        "energy": 10,
        None: 3,
    }
    assert set(Product.objects.filter(business_unit__isnull=False).values_list("tax_rate", flat=True)) == {
        Decimal("13.00")
    }

    # each BU's standard process, made by its head: 7 stages, playbooks, 11 checklist items (5 required)
    processes = SalesProcess.objects.filter(name=pipeline_demo.PROCESS_NAME, is_default=True)
    assert sorted(processes.values_list("business_unit__code", flat=True)) == ["energy", "ind", "med"]
    for process in processes:
        assert process.stages.count() == 7
        assert process.stages.exclude(playbook="").count() == 7
        items = ChecklistItem.objects.filter(stage__process=process)
        assert (items.count(), items.filter(required=True).count()) == (11, 5)

    # the opportunities: 4–8 per rep who owns demo customers, on those customers, every stage
    opps = Opportunity.objects.all()
    assert opps.count() == 69
    per_owner = Counter(opps.values_list("owner__username", flat=True))
    assert len(per_owner) == 11 and all(4 <= n <= 8 for n in per_owner.values())
    assert dict(opps.values_list("status").annotate(n=Count("pk"))) == {"open": 46, "won": 9, "lost": 14}
    assert dict(opps.values_list("stage__name").annotate(n=Count("pk"))) == {
        "初步接洽": 13,
        "需求确认": 8,
        "方案报价": 8,
        "商务谈判": 9,
        "合同签订": 8,
        "赢单": 9,
        "输单": 14,
    }
    lost = opps.filter(status=OpportunityStatus.LOST)
    assert not lost.filter(lost_reason="").exists()
    assert not lost.filter(lost_reason=LostReason.COMPETITOR, lost_to="").exists()
    # the amount of an opportunity with lines is their sum; every deal at 方案报价 or later (not lost) has lines
    assert not opps.exclude(status=OpportunityStatus.LOST).filter(stage__position__gte=3, lines__isnull=True).exists()
    for opp in opps.filter(lines__isnull=False).distinct():
        assert opp.amount == sum((line.amount for line in opp.lines.all()), Decimal("0.00"))
    # cross-department deal teams, splits summing to 100
    teams = DealTeamMember.objects.values("opportunity").annotate(n=Count("pk"), total=Sum("split"))
    assert {row["total"] for row in teams} == {Decimal("100")}
    assert sum(1 for row in teams if row["n"] > 1) == 17
    assert set(DealTeamMember.objects.values_list("role", flat=True)) >= {"sales", "presales", "finance"}
    # real history: every move recorded, spread over the past months, health shows
    assert StageMove.objects.count() == 233
    health = selectors.health_q()
    open_opps = opps.filter(status=OpportunityStatus.OPEN)
    assert open_opps.filter(health["overdue"]).count() == 8
    assert open_opps.filter(health["stale"]).count() == 10
    assert open_opps.filter(health["slow"]).count() == 11

    before = _counts()
    call_command("demo_data", "--no-logins", "--force", verbosity=0)
    assert _counts() == before
    created: Counter[str] = Counter()
    catalog_demo.load(created)
    pipeline_demo.load(created)
    assert created == Counter()
