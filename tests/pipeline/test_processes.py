"""Sales process administration: the pages for a BU's administrator (the BU head) and the refusals for a
rep (403) and for someone outside the BU (404); the configuration services behind them."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tests.conftest import login
from tests.support.pipeline import opportunity, stage
from xietong.core.models import AuditEntry
from xietong.pipeline import configuration
from xietong.pipeline.models import ChecklistItem, SalesProcess, Stage

pytestmark = pytest.mark.django_db


def url(name: str, *args: Any) -> str:
    return reverse(f"pipeline:{name}", args=args)


def names(process: SalesProcess) -> list[str]:
    return list(process.stages.order_by("position").values_list("name", flat=True))


def test_the_list_and_the_nav_item_are_for_administrators(people, process):
    head = login(people.head)
    response = head.get(url("process_list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert process.name in body and url("process_detail", process.pk) in body
    assert 'href="/pipeline/settings/processes/"' in head.get("/").content.decode()
    rep = login(people.rep)
    assert rep.get(url("process_list")).status_code == 403
    assert 'href="/pipeline/settings/processes/"' not in rep.get("/").content.decode()


def test_a_rep_gets_403_and_an_outsider_404_on_a_process(people, process):
    for name, args in (
        ("process_detail", [process.pk]),
        ("process_edit", [process.pk]),
        ("stage_create", [process.pk]),
    ):
        assert login(people.rep).get(url(name, *args)).status_code == 403
        assert login(people.outsider).get(url(name, *args)).status_code == 404
    first = stage(process, "初步接洽")
    assert login(people.rep).post(url("stage_delete", first.pk)).status_code == 403
    assert Stage.objects.filter(pk=first.pk).exists()


def test_creating_a_process_starts_with_the_standard_stages(people, org):
    client = login(people.head)
    assert client.get(url("process_create")).status_code == 200
    response = client.post(
        url("process_create"), {"name": "大客户流程", "business_unit": org["bu1"].pk, "description": ""}
    )
    process = SalesProcess.objects.get(name="大客户流程")
    assert response.status_code == 303 and response["Location"] == url("process_detail", process.pk)
    assert names(process) == [s[0] for s in configuration.STANDARD_STAGES]
    assert process.is_default  # the BU's first


def test_a_duplicate_name_is_refused_next_to_the_field(people, process, org):
    response = login(people.head).post(url("process_create"), {"name": process.name, "business_unit": org["bu1"].pk})
    assert response.status_code == 200
    assert 'id="id_name_error"' in response.content.decode()
    assert SalesProcess.objects.count() == 1


def test_the_detail_page_shows_stages_gates_and_checklists(people, process):
    ChecklistItem.objects.create(stage=stage(process, "需求确认"), text="确认预算", required=True)
    stage(process, "方案报价").__class__.objects.filter(pk=stage(process, "方案报价").pk).update(playbook="先做方案")
    body = login(people.head).get(url("process_detail", process.pk)).content.decode()
    for name in names(process):
        assert name in body
    assert "确认预算" in body and "先做方案" in body
    from xietong.pipeline import gates

    assert str(gates.get("product_lines").label) in body


def test_editing_the_process(people, process):
    response = login(people.head).post(
        url("process_edit", process.pk),
        {"name": "新名字", "description": "说明", "is_default": "on", "is_active": "on"},
    )
    assert response.status_code == 303
    process.refresh_from_db()
    assert (process.name, process.description) == ("新名字", "说明")
    response = login(people.head).post(url("process_edit", process.pk), {"name": "新名字", "is_default": "on"})
    assert response.status_code == 200  # the default stays active
    process.refresh_from_db()
    assert process.is_active


def test_adding_a_stage_puts_it_after_the_open_stages(people, process):
    response = login(people.head).post(
        url("stage_create", process.pk),
        {
            "name": "技术验证",
            "probability": "95",
            "forecast_category": "commit",
            "expected_days": "7",
            "requirements": ["contact", "amount"],
            "playbook": "演示",
        },
    )
    assert response.status_code == 303
    assert names(process)[-3:] == ["技术验证", "赢单", "输单"]
    new = stage(process, "技术验证")
    assert (new.probability, new.requirements, new.expected_days) == (95, ["contact", "amount"], 7)
    assert AuditEntry.objects.for_object(process).filter(verb="stage_added").exists()


def test_editing_a_stage_keeps_input_on_errors(people, process):
    first = stage(process, "初步接洽")
    client = login(people.head)
    response = client.post(
        url("stage_edit", first.pk), {"name": "需求确认", "probability": "15", "forecast_category": "pipeline"}
    )
    assert response.status_code == 200
    assert 'id="id_name_error"' in response.content.decode() and 'value="15"' in response.content.decode()
    response = client.post(
        url("stage_edit", first.pk),
        {"name": "首次接触", "probability": "15", "forecast_category": "pipeline", "requirements": ["next_step"]},
    )
    assert response.status_code == 303
    first.refresh_from_db()
    assert (first.name, first.probability, first.requirements) == ("首次接触", 15, ["next_step"])


def test_a_stage_in_use_cannot_be_deleted(people, process):
    first = stage(process, "初步接洽")
    opportunity(people.rep, process=process)
    client = login(people.head)
    response = client.post(url("stage_delete", first.pk), follow=True)
    assert "初步接洽" in response.content.decode()
    assert Stage.objects.filter(pk=first.pk).exists()
    unused = stage(process, "合同签订")
    assert client.post(url("stage_delete", unused.pk)).status_code == 303
    assert "合同签订" not in names(process)


def test_moving_stages_up_and_down_among_the_open_ones(people, process):
    client = login(people.head)
    client.post(url("stage_move", stage(process, "需求确认").pk), {"direction": "up"})
    assert names(process)[:2] == ["需求确认", "初步接洽"]
    client.post(url("stage_move", stage(process, "合同签订").pk), {"direction": "down"})  # last open: stays
    assert names(process)[-3:] == ["合同签订", "赢单", "输单"]
    client.post(url("stage_move", stage(process, "需求确认").pk), {"direction": "down"})
    assert names(process)[:2] == ["初步接洽", "需求确认"]


def test_checklist_items_are_added_and_removed(people, process):
    target = stage(process, "需求确认")
    client = login(people.head)
    response = client.post(url("checklist_item_create", target.pk), {"item-text": "确认预算", "item-required": "on"})
    assert response.status_code == 303
    item = ChecklistItem.objects.get(stage=target)
    assert (item.text, item.required) == ("确认预算", True)
    assert client.get(url("checklist_item_create", target.pk)).status_code == 200
    response = client.post(url("checklist_item_create", target.pk), {"text": ""})
    assert response.status_code == 200 and 'id="id_text_error"' in response.content.decode()
    assert client.post(url("checklist_item_delete", item.pk)).status_code == 303
    assert not ChecklistItem.objects.exists()


def test_the_services_refuse_a_rep(people, process):
    with pytest.raises(PermissionDenied):
        configuration.stage_create(actor=people.rep, process=process, name="x", probability=5)
    with pytest.raises(ValidationError):
        configuration.stage_delete(actor=people.head, stage=stage(process, "赢单"))
