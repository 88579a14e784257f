"""This area's part of the permission matrix (opportunity pages and sales-process administration): its
routes with an id, the routes with an id that address no scoped record (and why), and its foreign
records — an opportunity owned in BU2 by the outsider, and a BU2 process with a stage and a checklist item."""

from __future__ import annotations

from typing import Any

from tests.support.matrix import Route
from tests.support.pipeline import opportunity, standard_process
from xietong.pipeline.models import ChecklistItem


def _item(opp: Any) -> int:
    return ChecklistItem.objects.filter(stage__process_id=opp.process_id).values_list("pk", flat=True).first() or 0


ROUTES: list[Route] = [
    Route("GET", "/pipeline/opportunities/{pk}/", "opportunity"),
    Route("GET", "/pipeline/opportunities/{pk}/edit/", "opportunity"),
    Route(
        "POST",
        "/pipeline/opportunities/{pk}/edit/",
        "opportunity",
        {"name": "改", "owner": "", "forecast_category": "pipeline"},
    ),
    Route("POST", "/pipeline/opportunities/{pk}/stage/", "opportunity", {"stage": "0"}),
    Route("GET", "/pipeline/opportunities/{pk}/win/", "opportunity"),
    Route("POST", "/pipeline/opportunities/{pk}/win/", "opportunity", {"note": "x"}),
    Route("GET", "/pipeline/opportunities/{pk}/lose/", "opportunity"),
    Route("POST", "/pipeline/opportunities/{pk}/lose/", "opportunity", {"reason": "price"}),
    Route("GET", "/pipeline/opportunities/{pk}/reopen/", "opportunity"),
    Route("POST", "/pipeline/opportunities/{pk}/reopen/", "opportunity", {"stage": ""}),
    Route("GET", "/pipeline/opportunities/{pk}/lines/", "opportunity"),
    Route(
        "POST",
        "/pipeline/opportunities/{pk}/lines/",
        "opportunity",
        {"lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"},
    ),
    Route("GET", "/pipeline/opportunities/{pk}/contacts/", "opportunity"),
    Route(
        "POST",
        "/pipeline/opportunities/{pk}/contacts/",
        "opportunity",
        {"contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0"},
    ),
    Route("GET", "/pipeline/opportunities/{pk}/team/", "opportunity"),
    Route(
        "POST",
        "/pipeline/opportunities/{pk}/team/",
        "opportunity",
        {"members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0"},
    ),
    Route(
        "POST",
        "/pipeline/opportunities/{pk}/checklist/{item}/",
        "opportunity",
        {"done": "on"},
        extra={"item": _item},
    ),
    Route("GET", "/pipeline/opportunities/{pk}/history/", "opportunity"),
    Route("GET", "/pipeline/opportunities/{pk}/why/", "opportunity"),
    Route("GET", "/pipeline/settings/processes/{pk}/", "process"),
    Route("GET", "/pipeline/settings/processes/{pk}/edit/", "process"),
    Route("POST", "/pipeline/settings/processes/{pk}/edit/", "process", {"name": "改"}),
    Route("GET", "/pipeline/settings/processes/{pk}/stages/new/", "process"),
    Route(
        "POST",
        "/pipeline/settings/processes/{pk}/stages/new/",
        "process",
        {"name": "新", "probability": "5", "forecast_category": "pipeline"},
    ),
    Route("GET", "/pipeline/settings/stages/{pk}/edit/", "stage"),
    Route(
        "POST",
        "/pipeline/settings/stages/{pk}/edit/",
        "stage",
        {"name": "改", "probability": "5", "forecast_category": "pipeline"},
    ),
    Route("POST", "/pipeline/settings/stages/{pk}/delete/", "stage", {}),
    Route("POST", "/pipeline/settings/stages/{pk}/move/", "stage", {"direction": "down"}),
    Route("GET", "/pipeline/settings/stages/{pk}/checklist/new/", "stage"),
    Route("POST", "/pipeline/settings/stages/{pk}/checklist/new/", "stage", {"text": "x"}),
    Route("POST", "/pipeline/settings/checklist/{pk}/delete/", "checklist_item", {}),
]

NOT_SCOPED: dict[str, str] = {}


def foreign(org: dict[str, Any], outsider: Any) -> dict[str, Any]:
    """Records of this area in BU2: an opportunity the outsider owns there, and a BU2 process with its
    stages and a checklist item (the opportunity's process is that process)."""
    process = standard_process(org["bu2"], name="医疗器械销售流程")
    first = process.stages.order_by("position").first()
    item = ChecklistItem.objects.create(stage=first, text="外部清单项", required=True)
    return {
        "opportunity": opportunity(outsider, business_unit=org["bu2"], process=process, name="外部商机"),
        "process": process,
        "stage": first,
        "checklist_item": item,
    }
