"""The background scan for duplicate clusters, its progress, and the review queue."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import login
from tests.customers.dup_support import bu_head, contact, customer, lead, rep
from tests.support.queries import assert_queries_constant
from xietong.customers import duplicates
from xietong.customers.models import DuplicateCluster, DuplicateScan, NameToken

pytestmark = pytest.mark.django_db

CODE = "91350100M000100Y43"


def _scan(actor, target, capture):
    with capture(execute=True):
        scan = duplicates.scan_start(actor=actor, target=target)
    scan.refresh_from_db()
    return scan


def _clusters(target="customer"):
    return sorted(
        (sorted(c.member_ids), c.reason, c.score) for c in DuplicateCluster.objects.filter(target=target, status="open")
    )


def test_a_customer_scan_finds_clusters_by_every_key_and_reports_progress(org, django_capture_on_commit_callbacks):
    head = bu_head(org, "head")
    owner = rep(org, "rep1")
    a = customer("华为技术有限公司", owner, credit_code=CODE)
    b = customer("華為技術（深圳）有限公司", owner)  # same name key
    c = customer("华伟技术有限公司", owner)  # one typo
    d = customer("Acme Trading Co., Ltd.", owner)
    e = customer("阿克米贸易", owner)
    contact(d, mobile="13800138000")
    contact(e, mobile="138 0013 8000")  # same mobile
    customer("中兴通讯股份有限公司", owner)  # alone
    scan = _scan(head, "customer", django_capture_on_commit_callbacks)
    assert (scan.status, scan.total, scan.processed, scan.clusters_found) == ("done", 6, 6, 2)
    assert _clusters() == [
        (sorted([a.pk, b.pk, c.pk]), "name,fuzzy_name", 95),
        (sorted([d.pk, e.pk]), "mobile", 85),
    ]
    assert set(DuplicateCluster.objects.values_list("business_unit__code", flat=True)) == {"ind"}


def test_the_scan_indexes_records_loaded_without_the_services(org, django_capture_on_commit_callbacks):
    head = bu_head(org, "head")
    owner = rep(org, "rep1")
    loaded = customer("华为技术有限公司", owner, index=False)
    _scan(head, "customer", django_capture_on_commit_callbacks)
    assert NameToken.objects.filter(target="customer", object_id=loaded.pk).count() == 4


def test_a_dismissed_cluster_does_not_come_back(org, django_capture_on_commit_callbacks):
    head = bu_head(org, "head")
    owner = rep(org, "rep1")
    customer("华为技术有限公司", owner)
    customer("华伟技术有限公司", owner)
    _scan(head, "customer", django_capture_on_commit_callbacks)
    duplicates.cluster_dismiss(actor=head, cluster=DuplicateCluster.objects.get())
    scan = _scan(head, "customer", django_capture_on_commit_callbacks)
    assert (scan.clusters_found, _clusters()) == (0, [])


def test_lead_and_contact_scans(org, django_capture_on_commit_callbacks):
    head = bu_head(org, "head")
    owner = rep(org, "rep1")
    l1 = lead("上海华为技术有限公司", owner, email="a@x.example")
    l2 = lead("其他名字", owner, email="A@X.example ")
    lead("无关公司", owner)
    _scan(head, "lead", django_capture_on_commit_callbacks)
    assert _clusters("lead") == [(sorted([l1.pk, l2.pk]), "email", 85)]
    one = customer("甲公司", owner)
    w1, w2 = contact(one, name="王伟"), contact(one, name="王 伟")
    contact(customer("乙公司", owner), name="王伟")
    _scan(head, "contact", django_capture_on_commit_callbacks)
    assert _clusters("contact") == [(sorted([w1.pk, w2.pk]), "name", 95)]


def test_one_scan_at_a_time_and_only_for_administrators(org):
    head = bu_head(org, "head")
    DuplicateScan.objects.create(target="customer", status="running")
    response = login(head).post("/api/v1/duplicate-scans", {"target": "customer"}, content_type="application/json")
    assert response.status_code == 409
    user = rep(org, "rep1")
    response = login(user).post("/api/v1/duplicate-scans", {"target": "lead"}, content_type="application/json")
    assert response.status_code == 403
    response = login(head).post("/api/v1/duplicate-scans", {"target": "deal"}, content_type="application/json")
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["target"])


def test_scan_progress_endpoint(org, django_capture_on_commit_callbacks):
    head = bu_head(org, "head")
    customer("华为技术有限公司", rep(org, "rep1"))
    with django_capture_on_commit_callbacks(execute=True):
        response = login(head).post("/api/v1/duplicate-scans", {"target": "customer"}, content_type="application/json")
    assert response.status_code == 202
    body = login(head).get(f"/api/v1/duplicate-scans/{response.json()['id']}").json()
    assert (body["status"], body["total"], body["processed"], body["clusters_found"]) == ("done", 1, 1, 0)


def test_queue_shows_clusters_of_ones_business_units_only(org):
    owner = rep(org, "rep1")
    a, b = customer("华为技术有限公司", owner), customer("华伟技术有限公司", owner)
    cluster = DuplicateCluster.objects.create(
        target="customer", member_ids=[a.pk, b.pk], score=75, reason="fuzzy_name", business_unit=org["bu1"]
    )
    head1, head2 = bu_head(org, "head1"), bu_head(org, "head2", bu="bu2", team="north")
    page = login(head1).get(reverse("customers:duplicate_queue"))
    assert page.status_code == 200 and "华伟技术有限公司" in page.content.decode()
    assert "华伟技术有限公司" not in login(head2).get(reverse("customers:duplicate_queue")).content.decode()
    assert login(owner).get(reverse("customers:duplicate_queue")).status_code == 403
    assert login(head2).post(reverse("customers:duplicate_dismiss", args=[cluster.pk])).status_code == 404
    assert login(head1).post(reverse("customers:duplicate_dismiss", args=[cluster.pk])).status_code == 303
    assert DuplicateCluster.objects.get().status == "dismissed"


def test_cluster_endpoint_lists_visible_members_and_dismisses(org):
    owner = rep(org, "rep1")
    a, b = customer("华为技术有限公司", owner), customer("华伟技术有限公司", owner)
    cluster = DuplicateCluster.objects.create(
        target="customer", member_ids=[a.pk, b.pk], score=75, reason="fuzzy_name", business_unit=org["bu1"]
    )
    client = login(bu_head(org, "head1"))
    items = client.get("/api/v1/duplicate-clusters?target=customer").json()["results"]
    assert [(i["id"], i["member_ids"], i["keys"], i["score"]) for i in items] == [
        (cluster.pk, [a.pk, b.pk], ["fuzzy_name"], 75)
    ]
    response = client.post(f"/api/v1/duplicate-clusters/{cluster.pk}/dismiss")
    assert (response.status_code, response.json()["status"]) == (200, "dismissed")
    assert client.post(f"/api/v1/duplicate-clusters/{cluster.pk}/dismiss").status_code == 409


def test_queue_page_and_endpoint_query_counts_stay_constant(org):
    owner = rep(org, "rep1")
    client = login(bu_head(org, "head1"))

    def add():
        for i in range(3):
            x, y = customer(f"测试{i}甲有限公司", owner), customer(f"测试{i}乙有限公司", owner)
            DuplicateCluster.objects.create(
                target="customer", member_ids=[x.pk, y.pk], score=80, reason="fuzzy_name", business_unit=org["bu1"]
            )

    add()
    assert_queries_constant(lambda: client.get(reverse("customers:duplicate_queue")), add)
    assert_queries_constant(lambda: client.get("/api/v1/duplicate-clusters?target=customer"), add)


def test_demo_plant_plants_findable_duplicates_once(org, django_capture_on_commit_callbacks):
    from collections import Counter

    owner = rep(org, "rep1")
    base = customer("杭州娃哈哈饮料集团有限公司", owner)
    created: Counter[str] = Counter()
    duplicates.demo_plant(created)
    duplicates.demo_plant(created)
    assert created == Counter({"customers": 2, "relationships": 2, "leads": 1})
    _scan(bu_head(org, "head"), "customer", django_capture_on_commit_callbacks)
    (cluster,) = DuplicateCluster.objects.filter(target="customer")
    assert base.pk in cluster.member_ids and len(cluster.member_ids) == 3


def test_scan_button_starts_a_scan_and_the_status_fragment_shows_progress(org, django_capture_on_commit_callbacks):
    head = bu_head(org, "head")
    customer("华为技术有限公司", rep(org, "rep1"))
    client = login(head)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("customers:duplicate_scan"), {"target": "customer"})
    assert response.status_code == 303
    scan = DuplicateScan.objects.get()
    assert scan.status == "done"
    fragment = client.get(reverse("customers:duplicate_scan_status", args=[scan.pk]))
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert client.get(reverse("customers:duplicate_scan_status", args=[scan.pk + 1])).status_code == 404
