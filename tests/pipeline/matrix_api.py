"""This area's part of the permission matrix (tests/test_permission_matrix.py): the pipeline API's
routes with an id, the routes with an id that address no scoped record (and why), and its foreign
records — an opportunity owned in BU2 by ``outsider``, on BU2's process, and that process (its
changes are addressed through its first stage and that stage's checklist item)."""

from __future__ import annotations

from typing import Any

from tests.support.matrix import Route
from tests.support.pipeline import opportunity, stage, standard_process
from xietong.pipeline.models import ChecklistItem, SalesProcess


def _item_of(opp: Any) -> int:
    """A checklist item of the foreign opportunity's own process (so only the opportunity is foreign)."""
    return ChecklistItem.objects.filter(stage__process_id=opp.process_id).order_by("pk").first().pk  # type: ignore[union-attr]


def _first_stage(process: SalesProcess) -> int:
    return stage(process, "初步接洽").pk


def _first_item(process: SalesProcess) -> int:
    """The item ``foreign`` puts on the first stage (so the path addresses an item of that stage)."""
    return ChecklistItem.objects.filter(stage_id=_first_stage(process)).order_by("pk").first().pk  # type: ignore[union-attr]


_STAGE = {"stage_id": _first_stage}

ROUTES: list[Route] = [
    Route("GET", "/api/v1/sales-processes/{pk}", "sales_process", api=True),
    Route("PATCH", "/api/v1/sales-processes/{pk}", "sales_process", {"name": "改"}, api=True),
    Route("POST", "/api/v1/sales-processes/{pk}/stages", "sales_process", {"name": "新阶段"}, api=True),
    Route(
        "PATCH",
        "/api/v1/sales-processes/{pk}/stages/{stage_id}",
        "sales_process",
        {"name": "改"},
        api=True,
        extra=_STAGE,
    ),
    Route("DELETE", "/api/v1/sales-processes/{pk}/stages/{stage_id}", "sales_process", api=True, extra=_STAGE),
    Route(
        "POST",
        "/api/v1/sales-processes/{pk}/stages/{stage_id}/move",
        "sales_process",
        {"direction": "down"},
        api=True,
        extra=_STAGE,
    ),
    Route(
        "POST",
        "/api/v1/sales-processes/{pk}/stages/{stage_id}/checklist",
        "sales_process",
        {"text": "新项"},
        api=True,
        extra=_STAGE,
    ),
    Route(
        "DELETE",
        "/api/v1/sales-processes/{pk}/stages/{stage_id}/checklist/{item_id}",
        "sales_process",
        api=True,
        extra={**_STAGE, "item_id": _first_item},
    ),
    Route("GET", "/api/v1/opportunities/{pk}", "opportunity", api=True),
    Route("PATCH", "/api/v1/opportunities/{pk}", "opportunity", {"name": "改", "amount": "1"}, api=True),
    Route("POST", "/api/v1/opportunities/{pk}/move", "opportunity", {"stage_id": 0}, api=True),
    Route("POST", "/api/v1/opportunities/{pk}/win", "opportunity", {"note": "x"}, api=True),
    Route("POST", "/api/v1/opportunities/{pk}/lose", "opportunity", {"reason": "price"}, api=True),
    Route("POST", "/api/v1/opportunities/{pk}/reopen", "opportunity", {}, api=True),
    Route("GET", "/api/v1/opportunities/{pk}/team", "opportunity", api=True),
    Route("PUT", "/api/v1/opportunities/{pk}/team", "opportunity", {"members": []}, api=True),
    Route("GET", "/api/v1/opportunities/{pk}/lines", "opportunity", api=True),
    Route("PUT", "/api/v1/opportunities/{pk}/lines", "opportunity", {"lines": []}, api=True),
    Route("GET", "/api/v1/opportunities/{pk}/contacts", "opportunity", api=True),
    Route("PUT", "/api/v1/opportunities/{pk}/contacts", "opportunity", {"contacts": []}, api=True),
    Route("GET", "/api/v1/opportunities/{pk}/checklist", "opportunity", api=True),
    Route(
        "POST",
        "/api/v1/opportunities/{pk}/checklist/{item_id}",
        "opportunity",
        {"done": True},
        api=True,
        extra={"item_id": _item_of},
    ),
    Route("GET", "/api/v1/opportunities/{pk}/history", "opportunity", api=True),
]

NOT_SCOPED: dict[str, str] = {}


def foreign(org: dict[str, Any], outsider: Any) -> dict[str, Any]:
    """Records of this area in BU2, owned by ``outsider``: name → record."""
    bu2 = org["bu2"]
    process = SalesProcess.objects.filter(business_unit=bu2, is_default=True).first() or standard_process(
        bu2, name="医疗器械销售流程"
    )
    ChecklistItem.objects.create(stage=stage(process, "初步接洽"), text="外部清单项", required=True)
    opp = opportunity(outsider, process=process, business_unit=bu2, name="外部商机")
    return {"opportunity": opp, "sales_process": process}
