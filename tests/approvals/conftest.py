"""A test document type over ``sampleapp.Deal`` (no dependency on the quote-to-cash apps): its
callbacks record what the engine told it, and ``stage`` plays the document's lock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.factories import TeamFactory, UserFactory, manage
from xietong.approvals import registry
from xietong.approvals.models import ApprovalFlow, ApprovalStep

CALLS: list[tuple[str, int, int | None]] = []


def _record(name: str, stage: str | None) -> Any:
    def callback(document: Any, request: Any) -> None:
        CALLS.append((name, document.pk, getattr(request, "pk", None)))
        if stage is not None:
            type(document).objects.filter(pk=document.pk).update(stage=stage)

    return callback


DEAL = registry.DocumentType(
    code="sample_deal",
    label="样例商机",
    model="sampleapp.Deal",
    fields=(
        registry.ConditionField("amount", "金额", "number", lambda d: d.amount),
        registry.ConditionField("name", "名称", "text", lambda d: d.name),
        registry.ConditionField("stage", "阶段", "choice", lambda d: d.stage, choices=[("初步接洽", "初步接洽")]),
        registry.ConditionField("business_unit", "事业部", "reference", lambda d: d.business_unit_id),
    ),
    title=lambda d: f"商机 {d.name}",
    url=lambda d: f"/sample/deals/{d.pk}/",
    business_unit_id=lambda d: d.business_unit_id,
    owner_id=lambda d: d.owner_id,
    amount=lambda d: d.amount,
    on_submitted=_record("submitted", "审批中"),
    on_approved=_record("approved", "已批准"),
    on_returned=_record("returned", "初步接洽"),
)


@pytest.fixture(autouse=True)
def deal_type() -> Iterator[registry.DocumentType]:
    registry.register(DEAL)
    CALLS.clear()
    yield DEAL
    CALLS.clear()


@pytest.fixture
def calls() -> list[tuple[str, int, int | None]]:
    return CALLS


@pytest.fixture
def people(org: dict[str, Any]) -> dict[str, Any]:
    """浦东 rep → 上海 manager → 华东 director; a finance person and a legal person in BU1; an outsider in BU2."""
    rep = UserFactory(username="rep", display_name="销售小王", primary_team=org["pudong"])
    lead = UserFactory(username="lead", display_name="组长老李", primary_team=org["pudong"])
    manager = UserFactory(username="mgr", display_name="经理老张", primary_team=org["shanghai"])
    director = UserFactory(username="dir", display_name="总监老赵", primary_team=org["east"])
    finance = UserFactory(username="fin", display_name="财务小钱", primary_team=org["supply"])
    legal = UserFactory(username="legal", display_name="法务小孙", primary_team=org["supply"])
    outsider = UserFactory(username="out", display_name="外人", primary_team=org["north"])
    manage(lead, org["pudong"])
    manage(manager, org["shanghai"])
    manage(director, org["east"])
    return {
        "rep": rep,
        "lead": lead,
        "manager": manager,
        "director": director,
        "finance": finance,
        "legal": legal,
        "outsider": outsider,
    }


@pytest.fixture
def deal(org: dict[str, Any], people: dict[str, Any]) -> Any:
    from tests.sampleapp.models import Deal

    return Deal.objects.create(name="华东电力", owner=people["rep"], business_unit=org["bu1"], amount="120000.00")


def make_flow(
    *steps: dict[str, Any], business_unit: Any = None, conditions: list[dict[str, Any]] | None = None, **extra: Any
) -> ApprovalFlow:
    """A flow of ``sample_deal`` with the given steps (dicts of ApprovalStep fields)."""
    flow = ApprovalFlow.objects.create(
        document_type="sample_deal",
        name=extra.pop("name", "样例审批"),
        business_unit=business_unit,
        conditions=conditions or [],
        **extra,
    )
    for position, step in enumerate(steps, start=1):
        ApprovalStep.objects.create(flow=flow, position=position, name=step.pop("name", f"第{position}步"), **step)
    return flow


def extra_team(org: dict[str, Any], name: str) -> Any:
    return TeamFactory(business_unit=org["bu1"], name=name)
