"""The supply plan and ATP endpoints (supply/api_supply.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.conftest import login
from tests.supply.test_supply_services import JAN
from tests.supply.test_supply_services import world as world
from tests.support.factories import UserFactory, grant, make_role
from xietong.core.choices import DataScope
from xietong.supply.choices import PlanStage
from xietong.supply.models import DemandPlan, PlannedOrder

D = Decimal


def _errors(response):
    return [e["field"] for e in response.json()["errors"]]


def test_compute_then_list_plans_and_planned_orders(world):
    client = login(world.planner)
    response = client.post(f"/api/v1/supply-plans/{world.plan.pk}/compute")
    assert response.status_code == 200
    assert (response.json()["planned_orders"], response.json()["late"], response.json()["overloads"]) == (5, 3, 1)
    plans = client.get("/api/v1/supply-plans").json()["results"]
    assert [(p["id"], p["planned_orders"]["proposed"], p["supply_planned_at"] is not None) for p in plans] == [
        (world.plan.pk, 5, True)
    ]
    page = client.get(f"/api/v1/supply-plans/{world.plan.pk}/planned-orders?kind=production").json()
    assert [(o["product"]["id"], o["due_month"], o["quantity"], o["status"]) for o in page["results"]] == [
        (world.b.product_id, "2027-01-01", "50.000", "proposed"),
        (world.b.product_id, "2027-02-01", "50.000", "proposed"),
    ]
    bad = client.get(f"/api/v1/supply-plans/{world.plan.pk}/planned-orders?status=nope")
    assert (bad.status_code, _errors(bad)) == (422, ["status"])


def test_compute_conflict_outside_allowed_stages_and_404_for_unknown_plan(world):
    client = login(world.planner)
    DemandPlan.objects.filter(pk=world.plan.pk).update(stage=PlanStage.EXECUTIVE_REVIEW)
    assert client.post(f"/api/v1/supply-plans/{world.plan.pk}/compute").status_code == 409
    assert client.post("/api/v1/supply-plans/999999/compute").status_code == 404
    assert client.get("/api/v1/supply-plans/999999/planned-orders").status_code == 404


def test_accept_change_reject_and_errors(world):
    client = login(world.planner)
    client.post(f"/api/v1/supply-plans/{world.plan.pk}/compute")
    first, second, third = PlannedOrder.objects.filter(plan=world.plan).order_by("pk")[:3]
    response = client.post(f"/api/v1/planned-orders/{first.pk}/accept?note=同意")
    assert (response.status_code, response.json()["status"], response.json()["note"]) == (200, "accepted", "同意")
    response = client.post(
        f"/api/v1/planned-orders/{second.pk}/change",
        {"quantity": "33.5", "release_date": "2027-01-20"},
        content_type="application/json",
    )
    assert (response.status_code, response.json()["quantity"], response.json()["release_date"]) == (
        200,
        "33.500",
        "2027-01-20",
    )
    response = client.post(
        f"/api/v1/planned-orders/{third.pk}/change", {"quantity": "-1"}, content_type="application/json"
    )
    assert (response.status_code, _errors(response)) == (422, ["quantity"])
    response = client.post(f"/api/v1/planned-orders/{third.pk}/change", {}, content_type="application/json")
    assert (response.status_code, _errors(response)) == (422, ["quantity"])
    response = client.post(f"/api/v1/planned-orders/{third.pk}/reject")
    assert (response.status_code, response.json()["status"]) == (200, "rejected")
    assert client.post("/api/v1/planned-orders/999999/accept").status_code == 404


def test_a_user_without_supply_edit_cannot_decide_or_compute(world):
    supply_services_compute = login(world.planner).post(f"/api/v1/supply-plans/{world.plan.pk}/compute")
    assert supply_services_compute.status_code == 200
    order = PlannedOrder.objects.filter(plan=world.plan).first()
    rep = login(world.rep)
    assert rep.post(f"/api/v1/planned-orders/{order.pk}/accept").status_code == 403
    assert rep.post(f"/api/v1/supply-plans/{world.plan.pk}/compute").status_code == 403
    nobody = login(UserFactory(primary_team=world.org["east"]))
    assert nobody.post(f"/api/v1/planned-orders/{order.pk}/accept").status_code in (403, 404)
    assert PlannedOrder.objects.get(pk=order.pk).status == "proposed"


def test_a_buyer_with_supply_alone_uses_every_supply_plan_endpoint(world):
    """The API finds a plan through the supply pages' entry point: "supply" without "demand" suffices."""
    buyer = UserFactory(username="buyer", primary_team=world.org["supply"])
    grant(buyer, make_role("buyer", {"supply": (DataScope.GROUP, {"view", "edit", "export"})}))
    client = login(buyer)
    assert client.post(f"/api/v1/supply-plans/{world.plan.pk}/compute").json()["planned_orders"] == 5
    assert [p["id"] for p in client.get("/api/v1/supply-plans").json()["results"]] == [world.plan.pk]
    orders = client.get(f"/api/v1/supply-plans/{world.plan.pk}/planned-orders").json()["results"]
    assert len(orders) == 5
    first = orders[0]["id"]
    assert client.post(f"/api/v1/planned-orders/{first}/accept").json()["status"] == "accepted"
    assert client.get(f"/api/v1/supply-plans/{world.plan.pk}/capacity").status_code == 200
    export = client.post(f"/api/v1/supply-plans/{world.plan.pk}/export?format=csv")
    assert (export.status_code, export.content.decode("utf-8-sig").count("\r\n")) == (200, 2)
    assert client.get(f"/api/v1/supply-plans/{world.plan.pk + 1000}/planned-orders").status_code == 404


def test_export_csv_then_decision_conflicts(world):
    client = login(world.planner)
    client.post(f"/api/v1/supply-plans/{world.plan.pk}/compute")
    order = PlannedOrder.objects.filter(plan=world.plan).order_by("pk").first()
    client.post(f"/api/v1/planned-orders/{order.pk}/accept")
    response = client.post(f"/api/v1/supply-plans/{world.plan.pk}/export?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="planned-orders-2026-12-v1.csv"'
    assert response.content.decode("utf-8-sig").count("\r\n") == 2
    assert client.post(f"/api/v1/planned-orders/{order.pk}/reject").status_code == 409
    response = client.post(f"/api/v1/supply-plans/{world.plan.pk}/export?format=pdf")
    assert (response.status_code, _errors(response)) == (422, ["format"])
    xlsx = client.post(f"/api/v1/supply-plans/{world.plan.pk}/export?format=xlsx")
    assert (xlsx.status_code, xlsx.content[:2]) == (200, b"PK")


def test_capacity_endpoint(world):
    client = login(world.planner)
    client.post(f"/api/v1/supply-plans/{world.plan.pk}/compute")
    rows = client.get(f"/api/v1/supply-plans/{world.plan.pk}/capacity").json()
    assert [(r["line"]["id"], r["month"], r["load"], r["capacity"], r["overloaded"]) for r in rows] == [
        (world.line.pk, "2027-01-01", "50.000", "100.000", False),
        (world.line.pk, "2027-02-01", "50.000", "100.000", False),
        (world.line.pk, "2027-03-01", "120.000", "100.000", True),
    ]


def test_atp_by_id_and_code(world):
    client = login(world.rep)
    a, c = world.a.product, world.c.product
    response = client.get(f"/api/v1/atp?product={a.pk}&product={c.code}&date=2027-01-31")
    assert response.status_code == 200
    by_id = {r["product"]["id"]: (r["available"], r["on_hand"], r["date"]) for r in response.json()}
    assert by_id == {a.pk: ("50.000", "55.000", "2027-01-31"), c.pk: ("40.000", "30.000", "2027-01-31")}
    missing = client.get("/api/v1/atp?product=NOPE-1")
    assert (missing.status_code, _errors(missing)) == (422, ["product"])
    assert client.get("/api/v1/atp").status_code == 422
    assert date(2027, 1, 1) == JAN


@pytest.mark.parametrize("path", ["/api/v1/supply-plans", "/api/v1/atp?product=1"])
def test_reading_needs_supply_view(world, path):
    nobody = login(UserFactory(primary_team=world.org["east"]))
    assert nobody.get(path).status_code == 403
