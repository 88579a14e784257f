"""/api/v1/opportunities and /api/v1/sales-processes: list with filters and cursor pages (no N+1),
create with an Idempotency-Key, get, patch, move (gates → 409), win, lose, reopen, team, lines,
contacts, checklist, history; a process's changes (its stages, their order and checklists) for its
administrators only; errors in the one shape, invisible ids answered as missing."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.utils.translation import gettext

from tests.conftest import login
from tests.support.crm import ContactFactory, LeadFactory
from tests.support.pipeline import ProductFactory, opportunity, stage, standard_process
from tests.support.queries import assert_queries_constant
from xietong.core.models import IdempotencyKey
from xietong.pipeline.models import ChecklistItem, DealTeamMember, Opportunity, SalesProcess, Stage, StageMove

pytestmark = pytest.mark.django_db


def send(client: Any, method: str, url: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    if method == "get":
        return client.get(url, headers=headers)
    return getattr(client, method)(url, data=json.dumps(body or {}), content_type="application/json", headers=headers)


def post(client: Any, url: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return send(client, "post", url, body, **headers)


def errors(response: Any) -> list[tuple[str, str]]:
    return [(e["field"], e["message"]) for e in response.json()["errors"]]


def gate(stage_name: str, *missing: str) -> str:
    return gettext("To move to “%(stage)s” the opportunity needs: %(missing)s.") % {
        "stage": stage_name,
        "missing": gettext("; ").join(gettext(m) for m in missing),
    }


# --- sales processes ----------------------------------------------------------------------------


def test_processes_list_the_visible_ones_with_stages_gates_and_checklists(people, process):
    standard_process(people.org["bu2"], name="医疗流程")
    item = ChecklistItem.objects.create(stage=stage(process, "需求确认"), text="确认预算", required=True)
    response = login(people.rep).get("/api/v1/sales-processes")
    assert response.status_code == 200
    (only,) = response.json()["results"]
    assert (only["id"], only["name"], only["business_unit"]["id"], only["is_default"]) == (
        process.pk,
        "标准销售流程",
        people.org["bu1"].pk,
        True,
    )
    assert [(s["name"], s["position"], s["kind"], s["probability"]) for s in only["stages"]][:2] == [
        ("初步接洽", 1, "open", 10),
        ("需求确认", 2, "open", 25),
    ]
    second = only["stages"][1]
    assert second["requirements"] == [{"code": "contact", "label": gettext("a contact of the customer")}]
    assert second["checklist"] == [{"id": item.pk, "text": "确认预算", "required": True, "position": 0}]
    assert (second["forecast_category"], second["expected_days"], second["playbook"]) == ("pipeline", 21, "")


def test_a_process_of_another_bu_answers_404(people, process):
    other = standard_process(people.org["bu2"], name="医疗流程")
    client = login(people.rep)
    assert client.get(f"/api/v1/sales-processes/{process.pk}").json()["id"] == process.pk
    missing = client.get(f"/api/v1/sales-processes/{other.pk}")
    assert (missing.status_code, missing.json()) == (404, {"detail": gettext("Not found."), "errors": []})


def test_only_administrators_create_processes_and_the_service_checks_the_stages(people, process):
    body = {
        "name": "大客户流程",
        "stages": [
            {
                "name": "接洽",
                "probability": 20,
                "requirements": ["contact"],
                "checklist": [{"text": "拜访", "required": True}],
            },
            {"name": "成交", "kind": "won", "probability": 100, "forecast_category": "closed"},
            {"name": "失败", "kind": "lost", "forecast_category": "omitted"},
        ],
    }
    refused = post(login(people.rep), "/api/v1/sales-processes", body)
    assert refused.status_code == 403
    head = login(people.head)
    bad = post(head, "/api/v1/sales-processes", {**body, "stages": body["stages"][:2]})
    assert (bad.status_code, errors(bad)) == (
        422,
        [("stages", gettext("A process needs at least one open stage, a won stage and a lost stage."))],
    )
    unknown = post(head, "/api/v1/sales-processes", {**body, "stages": [{**body["stages"][0], "requirements": ["x"]}]})
    assert errors(unknown) == [("stages.0.requirements", gettext("Unknown requirement: %(code)s.") % {"code": "x"})]
    made = post(head, "/api/v1/sales-processes", body, **{"Idempotency-Key": "p-1"})
    again = post(head, "/api/v1/sales-processes", body, **{"Idempotency-Key": "p-1"})
    assert (made.status_code, again.status_code, again.json()) == (201, 201, made.json())
    created = made.json()
    assert (created["business_unit"]["id"], created["is_default"]) == (people.org["bu1"].pk, False)
    assert [(s["name"], s["kind"], [c["text"] for c in s["checklist"]]) for s in created["stages"]] == [
        ("接洽", "open", ["拜访"]),
        ("成交", "won", []),
        ("失败", "lost", []),
    ]
    assert SalesProcess.objects.filter(business_unit=people.org["bu1"]).count() == 2


def stage_names(process: SalesProcess) -> list[str]:
    return list(process.stages.order_by("position").values_list("name", flat=True))


STANDARD = ["初步接洽", "需求确认", "方案报价", "商务谈判", "合同签订", "赢单", "输单"]


def test_patch_changes_the_given_fields_of_a_process_and_answers_it(people, process):
    client = login(people.head)
    url = f"/api/v1/sales-processes/{process.pk}"
    response = send(client, "patch", url, {"name": "项目型销售", "description": "大型设备"})
    assert response.status_code == 200, response.content
    assert response.json() == client.get(url).json()
    assert (response.json()["name"], response.json()["description"], len(response.json()["stages"])) == (
        "项目型销售",
        "大型设备",
        7,
    )
    stored = SalesProcess.objects.get(pk=process.pk)
    assert (stored.name, stored.description, stored.is_default) == ("项目型销售", "大型设备", True)
    refused = send(client, "patch", url, {"is_active": False})
    assert (refused.status_code, errors(refused)) == (
        422,
        [("is_active", gettext("The default process stays active: make another one the default first."))],
    )
    blank = send(client, "patch", url, {"name": " "})
    assert (blank.status_code, errors(blank)) == (422, [("name", gettext("Give the process a name."))])


def test_a_new_default_unmarks_the_other_and_an_inactive_process_can_be_reactivated(people, process):
    second = standard_process(people.org["bu1"], name="快速流程")
    client = login(people.head)
    made_default = send(client, "patch", f"/api/v1/sales-processes/{second.pk}", {"is_default": True}).json()
    assert made_default["is_default"] is True
    assert list(SalesProcess.objects.order_by("pk").values_list("name", "is_default")) == [
        ("标准销售流程", False),
        ("快速流程", True),
    ]
    off = send(client, "patch", f"/api/v1/sales-processes/{process.pk}", {"is_active": False})
    assert (off.status_code, off.json()["is_active"]) == (200, False)
    on = send(client, "patch", f"/api/v1/sales-processes/{process.pk}", {"is_active": True})
    assert (on.status_code, on.json()["is_active"]) == (200, True)
    assert SalesProcess.objects.get(pk=process.pk).is_active is True


def test_a_stage_is_added_after_the_open_stages_and_answered(people, process):
    response = post(
        login(people.head),
        f"/api/v1/sales-processes/{process.pk}/stages",
        {
            "name": "技术评审",
            "probability": 60,
            "forecast_category": "best_case",
            "expected_days": 10,
            "requirements": ["amount"],
            "playbook": "邀请技术负责人",
        },
    )
    assert response.status_code == 201, response.content
    added = Stage.objects.get(process=process, name="技术评审")
    assert response.json() == {
        "id": added.pk,
        "name": "技术评审",
        "position": 6,
        "kind": "open",
        "probability": 60,
        "forecast_category": "best_case",
        "expected_days": 10,
        "requirements": [{"code": "amount", "label": gettext("an amount")}],
        "checklist": [],
        "playbook": "邀请技术负责人",
    }
    assert stage_names(process) == [*STANDARD[:5], "技术评审", "赢单", "输单"]


def test_invalid_stages_are_422_naming_the_field_and_change_nothing(people, process):
    client = login(people.head)
    url = f"/api/v1/sales-processes/{process.pk}/stages"
    first = stage(process, "初步接洽")
    percent = "Enter a whole percentage between 0 and 100."
    cases = [
        ("post", url, {"name": "评审", "requirements": ["budget"]}, "requirements", "Unknown requirement: %(code)s."),
        ("post", url, {"name": "  "}, "name", "Give the stage a name."),
        ("post", url, {"name": "需求确认"}, "name", "The process has a stage of this name already."),
        ("post", url, {"name": "评审", "probability": 101}, "probability", percent),
        ("patch", f"{url}/{first.pk}", {"requirements": ["budget"]}, "requirements", "Unknown requirement: %(code)s."),
        ("patch", f"{url}/{first.pk}", {"name": ""}, "name", "Give the stage a name."),
    ]
    for method, target, body, field, message in cases:
        response = send(client, method, target, body)
        expected = gettext(message) % {"code": "budget"} if "%(code)s" in message else gettext(message)
        assert (response.status_code, errors(response)) == (422, [(field, expected)]), body
    assert stage_names(process) == STANDARD
    assert Stage.objects.get(pk=first.pk).requirements == []


def test_patching_a_stage_changes_only_the_given_fields_and_answers_the_process(people, process):
    target = stage(process, "需求确认")
    response = send(
        login(people.head),
        "patch",
        f"/api/v1/sales-processes/{process.pk}/stages/{target.pk}",
        {"name": "需求调研", "requirements": ["contact", "competitors"], "expected_days": None},
    )
    assert response.status_code == 200, response.content
    answered = response.json()["stages"][1]
    assert (answered["id"], answered["name"], answered["probability"], answered["expected_days"]) == (
        target.pk,
        "需求调研",
        25,
        None,
    )
    assert [r["code"] for r in answered["requirements"]] == ["contact", "competitors"]
    stored = Stage.objects.get(pk=target.pk)
    assert (stored.name, stored.requirements, stored.probability, stored.kind, stored.position) == (
        "需求调研",
        ["contact", "competitors"],
        25,
        "open",
        2,
    )


def test_a_stage_moves_up_or_down_among_the_open_stages(people, process):
    client = login(people.head)
    url = f"/api/v1/sales-processes/{process.pk}/stages"
    moved = post(client, f"{url}/{stage(process, '合同签订').pk}/move", {"direction": "up"})
    assert moved.status_code == 200, moved.content
    expected = ["初步接洽", "需求确认", "方案报价", "合同签订", "商务谈判", "赢单", "输单"]
    assert [s["name"] for s in moved.json()["stages"]] == expected
    assert stage_names(process) == expected
    sideways = post(client, f"{url}/{stage(process, '需求确认').pk}/move", {"direction": "left"})
    assert (sideways.status_code, errors(sideways)) == (422, [("direction", gettext("Move up or down."))])
    won = post(client, f"{url}/{stage(process, '赢单').pk}/move", {"direction": "up"})
    assert (won.status_code, errors(won)) == (422, [("stage_id", gettext("The won and lost stages stay last."))])
    assert stage_names(process) == expected


def test_a_stage_in_use_cannot_be_deleted_an_unused_one_can(people, process):
    opportunity(people.rep, process=process, stage_name="需求确认")
    client = login(people.head)
    used = stage(process, "需求确认")
    refused = send(client, "delete", f"/api/v1/sales-processes/{process.pk}/stages/{used.pk}")
    message = gettext("Opportunities are in “%(stage)s”: move them to another stage first.") % {"stage": "需求确认"}
    assert (refused.status_code, refused.json()) == (
        422,
        {"detail": gettext("The input is invalid."), "errors": [{"field": "stage_id", "message": message}]},
    )
    lost = send(client, "delete", f"/api/v1/sales-processes/{process.pk}/stages/{stage(process, '输单').pk}")
    assert errors(lost) == [("stage_id", gettext("The won and lost stages cannot be deleted."))]
    assert stage_names(process) == STANDARD
    unused = stage(process, "商务谈判")
    deleted = send(client, "delete", f"/api/v1/sales-processes/{process.pk}/stages/{unused.pk}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert stage_names(process) == ["初步接洽", "需求确认", "方案报价", "合同签订", "赢单", "输单"]


def test_checklist_items_are_added_at_the_end_and_deleted(people, process):
    client = login(people.head)
    target = stage(process, "方案报价")
    url = f"/api/v1/sales-processes/{process.pk}/stages/{target.pk}/checklist"
    first = post(client, url, {"text": " 提交技术方案 ", "required": True})
    second = post(client, url, {"text": "报价审批"})
    assert (first.status_code, second.status_code) == (201, 201)
    items = list(ChecklistItem.objects.filter(stage=target).order_by("position"))
    assert [first.json(), second.json()] == [
        {"id": items[0].pk, "text": "提交技术方案", "required": True, "position": 0},
        {"id": items[1].pk, "text": "报价审批", "required": False, "position": 1},
    ]
    empty = post(client, url, {"text": " "})
    assert (empty.status_code, errors(empty)) == (422, [("text", gettext("Say what is to be done."))])
    deleted = send(client, "delete", f"{url}/{items[0].pk}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert list(ChecklistItem.objects.filter(stage=target).values_list("text", flat=True)) == ["报价审批"]
    elsewhere = f"/api/v1/sales-processes/{process.pk}/stages/{stage(process, '初步接洽').pk}/checklist/{items[1].pk}"
    assert send(client, "delete", elsewhere).status_code == 404
    assert ChecklistItem.objects.filter(pk=items[1].pk).exists()


def process_changes(process: SalesProcess) -> list[tuple[str, str, dict[str, Any]]]:
    """Every change of a process by the API, each on a stage and an item of the process."""
    first = stage(process, "初步接洽")
    item = ChecklistItem.objects.create(stage=first, text="首次拜访")
    base = f"/api/v1/sales-processes/{process.pk}"
    return [
        ("patch", base, {"name": "改名"}),
        ("post", f"{base}/stages", {"name": "新阶段"}),
        ("patch", f"{base}/stages/{first.pk}", {"name": "改名"}),
        ("delete", f"{base}/stages/{first.pk}", {}),
        ("post", f"{base}/stages/{first.pk}/move", {"direction": "down"}),
        ("post", f"{base}/stages/{first.pk}/checklist", {"text": "新项"}),
        ("delete", f"{base}/stages/{first.pk}/checklist/{item.pk}", {}),
    ]


def test_a_rep_who_sees_the_process_gets_403_on_every_change(people, process):
    client = login(people.rep)
    forbidden = gettext("Only administrators of opportunities in the business unit may change its processes.")
    for method, url, body in process_changes(process):
        response = send(client, method, url, body)
        assert (response.status_code, response.json()) == (403, {"detail": forbidden, "errors": []}), url
    assert (SalesProcess.objects.get(pk=process.pk).name, stage_names(process)) == ("标准销售流程", STANDARD)
    assert ChecklistItem.objects.get().text == "首次拜访"


def test_a_process_of_another_bu_answers_404_on_every_change(people, process):
    other = standard_process(people.org["bu2"], name="医疗流程")
    client = login(people.head)
    for method, url, body in process_changes(other):
        response = send(client, method, url, body)
        assert (response.status_code, response.json()) == (404, {"detail": gettext("Not found."), "errors": []}), url
    assert (SalesProcess.objects.get(pk=other.pk).name, stage_names(other)) == ("医疗流程", STANDARD)
    foreign_stage = stage(other, "需求确认")
    mixed = send(client, "patch", f"/api/v1/sales-processes/{process.pk}/stages/{foreign_stage.pk}", {"name": "x"})
    assert mixed.status_code == 404
    assert Stage.objects.get(pk=foreign_stage.pk).name == "需求确认"


# --- create ------------------------------------------------------------------------------------------


def test_create_answers_201_with_the_opportunity_at_the_first_stage(people, process, customer_of):
    customer = customer_of(people.rep)
    response = post(
        login(people.rep),
        "/api/v1/opportunities",
        {"customer_id": customer.pk, "name": "华东厂房改造", "amount": "250000", "source": "web", "campaign": "展会"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    first = stage(process, "初步接洽")
    assert body["customer"] == {"id": customer.pk, "name": customer.name}
    assert (body["stage"], body["owner"], body["business_unit"]["id"], body["process_id"]) == (
        {"id": first.pk, "name": "初步接洽", "kind": "open"},
        {"id": people.rep.pk, "name": str(people.rep)},
        people.org["bu1"].pk,
        process.pk,
    )
    assert (body["amount"], body["weighted_amount"], body["probability"], body["forecast_category"]) == (
        "250000.00",
        "25000.00",
        10,
        "pipeline",
    )
    assert (body["status"], body["source"], body["campaign"], body["lead_id"]) == ("open", "web", "展会", None)


def test_create_with_lines_contacts_a_stage_a_forecast_category_and_a_lead(people, process, customer_of):
    customer = customer_of(people.rep)
    contact = ContactFactory(customer=customer)
    product = ProductFactory(list_price=Decimal("1200.50"))
    lead = LeadFactory(owner=people.rep)
    response = post(
        login(people.rep),
        "/api/v1/opportunities",
        {
            "customer_id": customer.pk,
            "name": "产线升级",
            "stage_id": stage(process, "方案报价").pk,
            "expected_close": "2027-03-31",
            "forecast_category": "commit",
            "lead_id": lead.pk,
            "lines": [{"product_id": product.pk, "quantity": "3", "discount": "10", "delivery_month": "2027-03"}],
            "contacts": [{"contact_id": contact.pk, "role": "influencer"}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["stage"]["name"], body["amount"], body["forecast_category"], body["lead_id"]) == (
        "方案报价",
        "3241.35",
        "commit",
        lead.pk,
    )
    opp = Opportunity.objects.get()
    assert list(opp.lines.values_list("product_id", "quantity", "delivery_month")) == [
        (product.pk, Decimal("3.000"), date(2027, 3, 1))
    ]
    assert list(opp.contact_roles.values_list("contact_id", "role")) == [(contact.pk, "influencer")]


def test_create_at_a_gated_stage_is_a_409_naming_what_is_missing_and_creates_nothing(people, process, customer_of):
    customer = customer_of(people.rep)
    response = post(
        login(people.rep),
        "/api/v1/opportunities",
        {"customer_id": customer.pk, "name": "x", "stage_id": stage(process, "方案报价").pk},
    )
    message = gate("方案报价", "a contact of the customer", "at least one product line", "an expected close date")
    assert (response.status_code, response.json()) == (409, {"detail": message, "errors": []})
    assert Opportunity.objects.count() == 0


def test_ids_the_caller_cannot_see_are_422_naming_the_field(people, process, customer_of):
    mine = customer_of(people.rep)
    foreign_process = standard_process(people.org["bu2"], name="医疗流程")
    client = login(people.rep)
    cases = [
        ({"customer_id": customer_of(people.outsider).pk}, "customer_id", "No such customer."),
        ({"customer_id": 999999}, "customer_id", "No such customer."),
        ({"process_id": foreign_process.pk}, "process_id", "No such sales process."),
        ({"stage_id": stage(foreign_process, "初步接洽").pk}, "stage_id", "Choose a stage of the sales process."),
        ({"business_unit_id": people.org["bu2"].pk}, "business_unit_id", "No such business unit."),
        ({"lead_id": LeadFactory(owner=people.outsider).pk}, "lead_id", "No such lead."),
        (
            {"lines": [{"product_id": 999999, "quantity": 1}]},
            "lines.0.product_id",
            "Line %(n)s: no such product.",
        ),
        (
            {"contacts": [{"contact_id": ContactFactory().pk, "role": "user"}]},
            "contacts.0.contact_id",
            "No such contact of the customer.",
        ),
    ]
    for extra, field, message in cases:
        response = post(client, "/api/v1/opportunities", {"customer_id": mine.pk, "name": "x", **extra})
        expected = gettext(message) % {"n": 1} if "%(n)s" in message else gettext(message)
        assert (response.status_code, errors(response)) == (422, [(field, expected)]), extra
    assert Opportunity.objects.count() == 0


def test_the_same_idempotency_key_and_body_create_one_opportunity(people, process, customer_of):
    client = login(people.rep)
    body = {"customer_id": customer_of(people.rep).pk, "name": "重复提交"}
    first = post(client, "/api/v1/opportunities", body, **{"Idempotency-Key": "o-1"})
    again = post(client, "/api/v1/opportunities", body, **{"Idempotency-Key": "o-1"})
    other = post(client, "/api/v1/opportunities", {**body, "name": "别的"}, **{"Idempotency-Key": "o-1"})
    assert (first.status_code, again.status_code, again.json()) == (201, 201, first.json())
    assert (other.status_code, [f for f, _m in errors(other)]) == (422, ["Idempotency-Key"])
    assert Opportunity.objects.count() == 1
    assert IdempotencyKey.objects.get().scope == "pipeline.opportunity_create"


# --- list ----------------------------------------------------------------------------------------------


def test_list_filters(people, process):
    a = opportunity(
        people.rep, process=process, name="华为机床", amount=Decimal("500000"), expected_close=date(2027, 3, 5)
    )
    b = opportunity(people.rep2, process=process, name="小米产线", stage_name="需求确认", amount=Decimal("80000"))
    won = opportunity(people.rep, process=process, name="已赢", status="won")
    product = ProductFactory(product_line="激光切割")
    a.lines.create(product=product, quantity=1, unit_price=Decimal("10"))
    client = login(people.manager)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/opportunities?{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids("") == [b.pk, a.pk]
    assert ids("q=华为") == [a.pk]
    assert ids(f"owner_id={people.rep2.pk}") == [b.pk]
    assert ids(f"stage_id={stage(process, '需求确认').pk}") == [b.pk]
    assert ids("status=won") == [won.pk]
    assert ids("status=all") == [won.pk, b.pk, a.pk]
    assert ids("close_month=2027-03") == [a.pk]
    assert ids("close_from=2027-03-06") == []
    assert ids("amount_min=100000") == [a.pk]
    assert ids("amount_max=100000") == [b.pk]
    assert ids("product_line=激光切割") == [a.pk]
    assert ids(f"customer_id={b.customer_id}") == [b.pk]
    assert ids(f"team_id={people.org['pudong'].pk}") == [a.pk]
    assert ids(f"business_unit_id={people.org['bu2'].pk}") == []
    assert login(people.rep).get("/api/v1/opportunities?scope=mine").json()["results"][0]["id"] == a.pk
    bad = client.get("/api/v1/opportunities?close_month=三月")
    assert (bad.status_code, errors(bad)) == (422, [("close_month", gettext("A month like 2027-03."))])
    foreign = client.get(f"/api/v1/opportunities?team_id={people.org['north'].pk}")  # a team of another region
    assert (foreign.status_code, errors(foreign)) == (422, [("team_id", gettext("No such team."))])


def test_list_shows_only_what_the_caller_sees(people, process):
    mine = opportunity(people.rep, process=process)
    opportunity(people.rep2, process=process)
    opportunity(people.outsider, business_unit=people.org["bu2"])
    assert [r["id"] for r in login(people.rep).get("/api/v1/opportunities").json()["results"]] == [mine.pk]


def test_list_pages_with_a_cursor(people, process):
    made = [opportunity(people.rep, process=process) for _ in range(3)]
    client = login(people.rep)
    first = client.get("/api/v1/opportunities?page_size=2").json()
    second = client.get(first["next"]).json()
    assert [r["id"] for r in first["results"] + second["results"]] == [o.pk for o in reversed(made)]


def test_a_list_row_says_exactly_what_the_detail_says(people, process):
    """The list reads plain rows and the detail a model: both answer the same fields and values."""
    people.rep.display_name = ""
    people.rep.save()  # a person without a display name is named by their username in both
    opp = opportunity(people.rep, process=process, amount=Decimal("12345.67"), probability=33, next_step="报价")
    client = login(people.rep)
    row = client.get("/api/v1/opportunities").json()["results"][0]
    assert row == client.get(f"/api/v1/opportunities/{opp.pk}").json()
    assert row["weighted_amount"] == "4074.07"  # 12,345.67 × 33 % = 4,074.0711, to the cent
    assert row["owner"] == {"id": people.rep.pk, "name": "rep"}


def test_the_list_costs_the_same_queries_whatever_the_rows(people, process):
    opportunity(people.rep, process=process)
    client = login(people.manager)
    assert_queries_constant(
        lambda: client.get("/api/v1/opportunities?status=all"),
        lambda: [opportunity(u, process=process) for u in (people.rep, people.rep2, people.rep)],
        max_queries=12,
    )


def test_the_process_list_costs_the_same_queries_whatever_the_processes(people, process):
    client = login(people.head)

    def more() -> None:
        p = standard_process(people.org["bu1"], name="第二流程")
        p.is_default = False
        SalesProcess.objects.filter(pk=p.pk).update(is_default=False)

    SalesProcess.objects.filter(pk=process.pk).update(is_default=False)
    assert_queries_constant(lambda: client.get("/api/v1/sales-processes"), more, max_queries=10)


# --- read and change ------------------------------------------------------------------------------------


def test_get_and_patch(people, process):
    opp = opportunity(people.rep, process=process)
    client = login(people.rep)
    assert client.get(f"/api/v1/opportunities/{opp.pk}").json()["name"] == opp.name
    response = send(
        client,
        "patch",
        f"/api/v1/opportunities/{opp.pk}",
        {
            "name": "改名",
            "probability": 35,
            "next_step": "报价",
            "next_step_date": "2027-01-10",
            "owner_id": people.rep2.pk,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["probability"], body["next_step"], body["next_step_date"], body["owner"]["id"]) == (
        "改名",
        35,
        "报价",
        "2027-01-10",
        people.rep2.pk,
    )
    back = send(client, "patch", f"/api/v1/opportunities/{opp.pk}", {"probability": None}).json()
    assert back["probability"] == 10  # the stage's default
    bad = send(client, "patch", f"/api/v1/opportunities/{opp.pk}", {"probability": 120})
    assert errors(bad) == [("probability", gettext("Enter a whole percentage between 0 and 100."))]


def test_a_reader_on_the_deal_team_gets_403_on_a_change(people, process):
    opp = opportunity(people.rep, process=process)
    DealTeamMember.objects.create(opportunity=opp, user=people.rep2, access="read")
    client = login(people.rep2)
    assert client.get(f"/api/v1/opportunities/{opp.pk}").status_code == 200
    assert send(client, "patch", f"/api/v1/opportunities/{opp.pk}", {"name": "x"}).status_code == 403


def test_move_is_409_with_the_gate_then_moves_once_the_gate_is_met(people, process):
    opp = opportunity(people.rep, process=process)
    client = login(people.rep)
    target = stage(process, "需求确认")
    refused = post(client, f"/api/v1/opportunities/{opp.pk}/move", {"stage_id": target.pk})
    assert (refused.status_code, refused.json()["detail"]) == (409, gate("需求确认", "a contact of the customer"))
    opp.contact_roles.create(contact=ContactFactory(customer=opp.customer), role="user")
    moved = post(client, f"/api/v1/opportunities/{opp.pk}/move", {"stage_id": target.pk})
    assert (moved.status_code, moved.json()["stage"]["name"], moved.json()["probability"]) == (200, "需求确认", 25)
    other = standard_process(people.org["bu2"], name="医疗流程")
    wrong = post(client, f"/api/v1/opportunities/{opp.pk}/move", {"stage_id": stage(other, "需求确认").pk})
    assert errors(wrong) == [("stage_id", gettext("Choose a stage of the opportunity's sales process."))]


def test_win_lose_and_reopen(people, process):
    opp = opportunity(
        people.rep, process=process, stage_name="合同签订", next_step="签约", next_step_date=date(2027, 1, 1)
    )
    client = login(people.rep)
    lost = post(client, f"/api/v1/opportunities/{opp.pk}/lose", {"reason": "competitor"})
    assert errors(lost) == [("lost_to", gettext("Name the competitor who won."))]
    lost = post(client, f"/api/v1/opportunities/{opp.pk}/lose", {"reason": "competitor", "lost_to": "友商"}).json()
    assert (lost["status"], lost["stage"]["name"], lost["lost_reason"], lost["lost_to"], lost["probability"]) == (
        "lost",
        "输单",
        "competitor",
        "友商",
        0,
    )
    closed = post(client, f"/api/v1/opportunities/{opp.pk}/win", {"note": "x"})
    assert (closed.status_code, closed.json()["detail"]) == (409, gettext("The opportunity is closed already."))
    reopened = post(client, f"/api/v1/opportunities/{opp.pk}/reopen", {}).json()
    assert (reopened["status"], reopened["stage"]["name"], reopened["lost_reason"]) == ("open", "合同签订", "")
    won = post(client, f"/api/v1/opportunities/{opp.pk}/win", {"note": "签了"}).json()
    assert (won["status"], won["stage"]["name"], won["probability"], won["close_note"]) == ("won", "赢单", 100, "签了")


def test_team_get_and_put_with_splits_that_must_sum_to_100(people, process):
    opp = opportunity(people.rep, process=process)
    client = login(people.rep)
    url = f"/api/v1/opportunities/{opp.pk}/team"
    assert [(m["user"]["id"], m["split"], m["access"]) for m in client.get(url).json()] == [
        (people.rep.pk, "100.00", "edit")
    ]
    members = [
        {"user_id": people.rep.pk, "role": "sales", "split": "70"},
        {"user_id": people.supply.pk, "role": "supply", "access": "read", "split": "20"},
    ]
    bad = send(client, "put", url, {"members": members})
    assert (bad.status_code, errors(bad)) == (
        422,
        [
            (
                "members",
                gettext("The revenue credit splits sum to %(total)s%%; they must sum to 100%%.") % {"total": "90"},
            )
        ],
    )
    members[1]["split"] = "30"
    ok = send(client, "put", url, {"members": members})
    assert ok.status_code == 200, ok.content
    assert [(m["user"]["id"], m["role"], m["access"], m["split"]) for m in ok.json()] == [
        (people.rep.pk, "sales", "edit", "70.00"),
        (people.supply.pk, "supply", "read", "30.00"),
    ]
    nobody = send(client, "put", url, {"members": [*members, {"user_id": 999999, "split": "0"}]})
    assert errors(nobody) == [("members.2.user_id", gettext("Member %(n)s: no such person.") % {"n": 3})]


def test_lines_put_sets_the_amount_and_get_lists_them(people, process):
    opp = opportunity(people.rep, process=process)
    product = ProductFactory(list_price=Decimal("1200.50"))
    client = login(people.rep)
    url = f"/api/v1/opportunities/{opp.pk}/lines"
    body = {
        "lines": [
            {"product_id": product.pk, "quantity": "3", "discount": "10"},
            {"product_id": product.pk, "quantity": "0.5", "unit_price": "99.99"},
        ]
    }
    response = send(client, "put", url, body)
    assert response.status_code == 200, response.content
    got = client.get(url).json()
    assert got == response.json()
    assert got["amount"] == "3291.35"
    assert [
        (line["product"]["code"], line["quantity"], line["unit_price"], line["amount"]) for line in got["lines"]
    ] == [
        (product.code, "3.000", "1200.50", "3241.35"),
        (product.code, "0.500", "99.99", "50.00"),
    ]
    bad = send(client, "put", url, {"lines": [{"product_id": product.pk, "quantity": "0"}]})
    assert errors(bad) == [("lines.0.quantity", gettext("Line %(n)s: the quantity must be more than 0.") % {"n": 1})]


def test_more_product_lines_than_an_opportunity_holds_are_422_and_keep_the_lines(people, process, monkeypatch):
    monkeypatch.setattr("xietong.core.validators.MAX_LINES", 2)
    opp = opportunity(people.rep, process=process)
    line = {"product_id": ProductFactory().pk, "quantity": "1"}
    client = login(people.rep)
    url = f"/api/v1/opportunities/{opp.pk}/lines"
    assert send(client, "put", url, {"lines": [line] * 2}).status_code == 200
    refused = send(client, "put", url, {"lines": [line] * 3})
    assert (refused.status_code, errors(refused)) == (
        422,
        [("lines", gettext("At most %(limit)s lines: %(count)s were given.") % {"limit": 2, "count": 3})],
    )
    assert opp.lines.count() == 2


def test_contacts_put_and_get(people, process):
    opp = opportunity(people.rep, process=process)
    contact = ContactFactory(customer=opp.customer, name="张总", title="总经理")
    client = login(people.rep)
    url = f"/api/v1/opportunities/{opp.pk}/contacts"
    response = send(client, "put", url, {"contacts": [{"contact_id": contact.pk, "role": "decision_maker"}]})
    assert response.status_code == 200, response.content
    assert client.get(url).json() == [
        {"contact": {"id": contact.pk, "name": "张总"}, "title": "总经理", "role": "decision_maker"}
    ]
    bad = send(client, "put", url, {"contacts": [{"contact_id": contact.pk, "role": "boss"}]})
    assert errors(bad) == [("contacts.0.role", gettext("Choose a role in the decision."))]


def test_checklist_grouped_by_stage_and_ticked(people, process):
    opp = opportunity(people.rep, process=process)
    item = ChecklistItem.objects.create(stage=stage(process, "初步接洽"), text="首次拜访", required=True)
    client = login(people.rep)
    url = f"/api/v1/opportunities/{opp.pk}/checklist"
    groups = client.get(url).json()
    assert [g["stage"]["name"] for g in groups] == [
        "初步接洽",
        "需求确认",
        "方案报价",
        "商务谈判",
        "合同签订",
        "赢单",
        "输单",
    ]
    assert groups[0]["items"] == [
        {"id": item.pk, "text": "首次拜访", "required": True, "done": False, "done_by": None, "done_at": None}
    ]
    ticked = post(client, f"{url}/{item.pk}", {"done": True})
    assert ticked.status_code == 200
    first = ticked.json()[0]["items"][0]
    assert (first["done"], first["done_by"]) == (True, {"id": people.rep.pk, "name": str(people.rep)})
    assert post(client, f"{url}/{item.pk}", {"done": False}).json()[0]["items"][0]["done"] is False
    other = standard_process(people.org["bu2"], name="医疗流程")
    foreign_item = ChecklistItem.objects.create(stage=stage(other, "初步接洽"), text="x")
    assert post(client, f"{url}/{foreign_item.pk}", {"done": True}).status_code == 404


def test_history_lists_the_stage_moves(people, process):
    opp = opportunity(people.rep, process=process)
    opp.contact_roles.create(contact=ContactFactory(customer=opp.customer), role="user")
    client = login(people.rep)
    post(client, f"/api/v1/opportunities/{opp.pk}/move", {"stage_id": stage(process, "需求确认").pk})
    history = client.get(f"/api/v1/opportunities/{opp.pk}/history").json()
    assert [
        (h["from_stage"] and h["from_stage"]["name"], h["to_stage"]["name"], h["actor"]["id"]) for h in history
    ] == [
        (None, "初步接洽", people.rep.pk),
        ("初步接洽", "需求确认", people.rep.pk),
    ]
    assert history[1]["seconds_in_from"] is not None
    assert StageMove.objects.filter(opportunity=opp).count() == 2


def test_someone_elses_opportunity_answers_404_on_every_route(people, process):
    opp = opportunity(people.rep2, process=process)
    client = login(people.rep)
    for method, suffix in [("get", ""), ("patch", ""), ("post", "/win"), ("get", "/team"), ("get", "/history")]:
        response = send(client, method, f"/api/v1/opportunities/{opp.pk}{suffix}", {})
        assert (response.status_code, response.json()) == (404, {"detail": gettext("Not found."), "errors": []})
