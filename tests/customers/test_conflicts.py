"""Ownership conflicts (撞单): open, decide (keep / transfer / share), notifications, pages."""

from __future__ import annotations

import datetime

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from tests.conftest import login
from tests.customers.dup_support import bu_head, customer, manager_of, rep
from tests.support.crm import CustomerPoolFactory, RelationshipFactory
from tests.support.queries import assert_queries_constant
from xietong.collaboration.models import Notification
from xietong.core.models import AuditEntry, RecordShare
from xietong.customers import conflicts, duplicates
from xietong.customers.models import ClaimLog, Customer, OwnershipConflict, Relationship

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org):
    """holder (浦东) and claimant (上海) in BU1, their managers, the BU1 head, a BU2 rep."""
    return {
        "holder": rep(org, "holder", team="pudong"),
        "claimant": rep(org, "claimant", team="shanghai"),
        "pudong_mgr": manager_of(org, "pudong_mgr", "pudong"),
        "east_mgr": manager_of(org, "east_mgr", "east"),
        "head": bu_head(org, "head"),
        "other_bu": rep(org, "other_bu", team="north"),
    }


def _open(user, found, bu, statement="我先跟进的", **extra):
    ref = duplicates.make_ref(found.pk, bu.pk)
    return login(user).post(
        "/api/v1/ownership-conflicts",
        {"ref": ref, "statement": statement, **extra},
        content_type="application/json",
    )


def test_a_rep_opens_a_conflict_and_both_sides_and_their_managers_are_told(
    org, people, django_capture_on_commit_callbacks
):
    found = customer("华为技术有限公司", people["holder"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _open(people["claimant"], found, org["bu1"])
    assert response.status_code == 201
    body = response.json()
    assert (body["customer_name"], body["claimant"], body["holder"], body["status"]) == (
        "华为技术有限公司",
        "claimant",
        "holder",
        "open",
    )
    told = set(Notification.objects.filter(kind="conflict_opened").values_list("recipient__username", flat=True))
    assert told == {"holder", "pudong_mgr", "east_mgr"}  # the claimant (the actor) is not told of their own act
    entry = AuditEntry.objects.for_object(found).get(verb="conflict_open")
    assert entry.changes["reason"] == [None, "我先跟进的"]


def test_the_same_open_conflict_twice_is_a_conflict(org, people):
    found = customer("华为技术有限公司", people["holder"])
    assert _open(people["claimant"], found, org["bu1"]).status_code == 201
    assert _open(people["claimant"], found, org["bu1"]).status_code == 409


def test_a_conflict_needs_a_statement_and_an_owner(org, people):
    found = customer("华为技术有限公司", people["holder"])
    response = _open(people["claimant"], found, org["bu1"], statement=" ")
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["statement"])
    pooled = customer("中兴通讯有限公司", pool=CustomerPoolFactory(business_unit=org["bu1"]))
    response = _open(people["claimant"], pooled, org["bu1"])
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["business_unit_id"])


def test_the_owner_cannot_claim_their_own_customer(org, people):
    found = customer("华为技术有限公司", people["holder"])
    response = _open(people["holder"], found, org["bu1"])
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["claimant_id"])


def test_a_rep_cannot_decide(org, people):
    found = customer("华为技术有限公司", people["holder"])
    conflict_id = _open(people["claimant"], found, org["bu1"]).json()["id"]
    response = login(people["claimant"]).post(
        f"/api/v1/ownership-conflicts/{conflict_id}/decide", {"decision": "transfer"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert OwnershipConflict.objects.get().status == "open"


def test_the_bu_head_transfers_the_customer_to_the_claimant(org, people, django_capture_on_commit_callbacks):
    found = customer("华为技术有限公司", people["holder"])
    conflict_id = _open(people["claimant"], found, org["bu1"]).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = login(people["head"]).post(
            f"/api/v1/ownership-conflicts/{conflict_id}/decide",
            {"decision": "transfer", "note": "客户指定"},
            content_type="application/json",
        )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decision"], response.json()["decided_by"]) == (
        "resolved",
        "transfer",
        "head",
    )
    rel = Relationship.objects.get(customer=found)
    assert (rel.owner_id, rel.previous_owner_id) == (people["claimant"].pk, people["holder"].pk)
    log = ClaimLog.objects.get(relationship=rel)
    assert (log.action, log.user_id, log.actor_id, log.reason) == (
        "transfer",
        people["claimant"].pk,
        people["head"].pk,
        "客户指定",
    )
    assert list(AuditEntry.objects.for_object(found).values_list("verb", flat=True)) == [
        "conflict_decide",
        "conflict_open",
    ]
    told = set(Notification.objects.filter(kind="conflict_decided").values_list("recipient__username", flat=True))
    assert told == {"holder", "claimant", "pudong_mgr", "east_mgr"}


def test_share_gives_the_claimant_an_edit_share(org, people):
    found = customer("华为技术有限公司", people["holder"])
    conflict = conflicts.conflict_open(
        actor=people["claimant"], customer=found, business_unit=org["bu1"], statement="共同客户"
    )
    conflicts.conflict_decide(actor=people["head"], conflict=conflict, decision="share")
    share = RecordShare.objects.get()
    assert (share.object_id, share.user_id, share.access) == (found.pk, people["claimant"].pk, "edit")
    claimant = type(people["claimant"]).objects.get(pk=people["claimant"].pk)
    assert Customer.objects.visible_to(claimant, "edit").filter(pk=found.pk).exists()
    assert Relationship.objects.get(customer=found).owner_id == people["holder"].pk


def test_keep_moves_nothing_and_a_second_decision_is_a_conflict(org, people):
    found = customer("华为技术有限公司", people["holder"])
    conflict = conflicts.conflict_open(
        actor=people["claimant"], customer=found, business_unit=org["bu1"], statement="x"
    )
    conflicts.conflict_decide(actor=people["head"], conflict=conflict, decision="keep", note="维持")
    conflict.refresh_from_db()
    assert (conflict.status, conflict.decision, conflict.decision_note) == ("resolved", "keep", "维持")
    assert Relationship.objects.get(customer=found).owner_id == people["holder"].pk
    with pytest.raises(conflicts.Conflict):
        conflicts.conflict_decide(actor=people["head"], conflict=conflict, decision="transfer")


def test_a_conflict_across_business_units_is_decided_by_the_group(org, people, admin):
    found = customer("华为技术有限公司", people["holder"])
    conflict = conflicts.conflict_open(
        actor=people["other_bu"], customer=found, business_unit=org["bu1"], statement="医疗事业部先接触"
    )
    assert conflicts.can_arbitrate(people["head"], conflict) is False
    with pytest.raises(conflicts.PermissionDenied):
        conflicts.conflict_decide(actor=people["head"], conflict=conflict, decision="keep")
    conflicts.conflict_decide(actor=admin, conflict=conflict, decision="keep")
    assert OwnershipConflict.objects.get().status == "resolved"


def test_an_unknown_decision_names_the_field(org, people):
    found = customer("华为技术有限公司", people["holder"])
    conflict_id = _open(people["claimant"], found, org["bu1"]).json()["id"]
    response = login(people["head"]).post(
        f"/api/v1/ownership-conflicts/{conflict_id}/decide", {"decision": "split"}, content_type="application/json"
    )
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["decision"])


def test_a_transfer_keeps_the_claimants_ownership_limit_and_protects_the_customer(org, people):
    pool = CustomerPoolFactory(business_unit=org["bu1"], max_owned=1, protection_days=10)
    found = customer("华为技术有限公司", people["holder"])
    customer("小米科技有限责任公司", people["claimant"])  # the claimant already owns one: the limit
    conflict_id = _open(people["claimant"], found, org["bu1"]).json()["id"]

    def decide():
        return login(people["head"]).post(
            f"/api/v1/ownership-conflicts/{conflict_id}/decide",
            {"decision": "transfer"},
            content_type="application/json",
        )

    response = decide()
    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"claimant在工业设备事业部已拥有 1 个客户，“每位销售可拥有的客户数”上限为 1（公海“{pool.name}”的上限）。"
    )
    assert Relationship.objects.get(customer=found).owner_id == people["holder"].pk
    assert OwnershipConflict.objects.get(pk=conflict_id).status == "open"

    pool.max_owned = 2
    pool.save()
    assert decide().status_code == 200
    rel = Relationship.objects.get(customer=found)
    assert (rel.owner_id, rel.protected_until) == (
        people["claimant"].pk,
        timezone.localdate() + datetime.timedelta(days=10),
    )


def test_notify_cross_bu_tells_the_other_owners_the_new_owner_and_their_managers(
    org, people, django_capture_on_commit_callbacks
):
    north_mgr = manager_of(org, "north_mgr", "north")
    found = customer("华为技术有限公司", people["holder"])
    new = RelationshipFactory(customer=found, owner=people["other_bu"])
    with django_capture_on_commit_callbacks(execute=True):
        conflicts.notify_cross_bu(customer=found, new_relationship=new, actor=people["other_bu"])
    told = set(Notification.objects.filter(kind="customer_cross_bu").values_list("recipient__username", flat=True))
    assert told == {"holder", "pudong_mgr", "east_mgr", north_mgr.username}


def test_notify_cross_bu_is_silent_without_another_business_unit(org, people, django_capture_on_commit_callbacks):
    found = customer("华为技术有限公司", people["holder"])
    with django_capture_on_commit_callbacks(execute=True):
        conflicts.notify_cross_bu(
            customer=found, new_relationship=Relationship.objects.get(customer=found), actor=people["holder"]
        )
    assert Notification.objects.count() == 0


def test_conflict_pages_list_show_and_decide(org, people):
    found = customer("华为技术有限公司", people["holder"])
    conflict = conflicts.conflict_open(
        actor=people["claimant"], customer=found, business_unit=org["bu1"], statement="x"
    )
    head = login(people["head"])
    assert "华为技术有限公司" in head.get(reverse("customers:conflict_list")).content.decode()
    page = head.get(reverse("customers:conflict_detail", args=[conflict.pk]))
    assert page.status_code == 200 and 'name="decision"' in page.content.decode()
    response = head.post(reverse("customers:conflict_detail", args=[conflict.pk]), {"decision": "keep", "note": ""})
    assert response.status_code == 303
    assert OwnershipConflict.objects.get().decision == "keep"
    # a party who may not decide sees the case without the form, and a post is refused
    claimant = login(people["claimant"])
    claimant_page = claimant.get(reverse("customers:conflict_detail", args=[conflict.pk])).content.decode()
    assert 'name="decision"' not in claimant_page
    # the customer is linked for whoever sees it (the head) and only named for the claimant
    customer_link = f'href="{reverse("customers:customer_detail", args=[found.pk])}"'
    assert "华为技术有限公司" in claimant_page and customer_link not in claimant_page
    assert customer_link in page.content.decode()


def test_request_a_transfer_page_opens_a_conflict(org, people):
    found = customer("华为技术有限公司", people["holder"])
    ref = duplicates.make_ref(found.pk, org["bu1"].pk)
    client = login(people["other_bu"])
    url = reverse("customers:conflict_new") + f"?ref={ref}"
    assert client.get(url).status_code == 200
    response = client.post(url, {"ref": ref, "statement": "我们先签的框架协议"})
    assert response.status_code == 303
    assert OwnershipConflict.objects.get().claimant_id == people["other_bu"].pk


def test_conflicts_panel_lists_the_customers_conflicts(org, people):
    found = customer("华为技术有限公司", people["holder"])
    conflicts.conflict_open(actor=people["claimant"], customer=found, business_unit=org["bu1"], statement="x")
    request = RequestFactory().get("/")
    request.user = people["head"]
    html = render_to_string("customers/duplicates/conflicts_panel.html", {"customer": found}, request=request)
    assert (
        "claimant" in html and reverse("customers:conflict_detail", args=[OwnershipConflict.objects.get().pk]) in html
    )


def test_conflict_list_endpoint_and_page_query_counts_stay_constant(org, people):
    client = login(people["head"])

    def add():
        for i in range(3):
            c = customer(f"新客户{i}有限公司", people["holder"])
            conflicts.conflict_open(actor=people["claimant"], customer=c, business_unit=org["bu1"], statement="x")

    add()
    assert_queries_constant(lambda: client.get("/api/v1/ownership-conflicts"), add)
    assert_queries_constant(lambda: client.get(reverse("customers:conflict_list")), add)
