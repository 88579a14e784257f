"""Merging customers, leads and contacts: everything moves, histories stay, tombstones remain."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from tests.conftest import login
from tests.customers.dup_support import bu_head, contact, customer, lead, rep
from tests.support.crm import CustomerPoolFactory, RelationshipFactory
from xietong.collaboration.models import Comment, Follow, Task
from xietong.core.models import AuditEntry, RecordShare
from xietong.customers import duplicates
from xietong.customers.models import (
    ClaimLog,
    Contact,
    Customer,
    DuplicateCluster,
    FollowUp,
    NameToken,
    Relationship,
)
from xietong.leads.models import Lead

pytestmark = pytest.mark.django_db

CODE = "91350100M000100Y43"


def _merge(user, target_id, source_ids, kind="customers"):
    return login(user).post(
        f"/api/v1/{kind}/merge", {"target_id": target_id, "source_ids": source_ids}, content_type="application/json"
    )


def _attach(obj, user):
    ct = ContentType.objects.get_for_model(obj)
    Comment.objects.create(content_type=ct, object_id=str(obj.pk), author=user, body="备注")
    Task.objects.create(title="回访", assignee=user, creator=user, content_type=ct, object_id=str(obj.pk))
    Follow.objects.create(user=user, content_type=ct, object_id=str(obj.pk))
    FollowUp.objects.create(
        content_type=ct,
        object_id=obj.pk,
        customer=obj,
        business_unit=user.business_unit,
        owner=user,
        content="电话沟通",
        occurred_at=timezone.now(),
    )


def test_merging_customers_moves_every_related_record_and_leaves_a_tombstone(org):
    head = bu_head(org, "head")
    owner = rep(org, "owner1")
    keep = customer("华为技术有限公司", owner)
    # the source: owned in BU2, and in BU1's pool (so BU1's head may edit it)
    gone = customer("華為技術（深圳）有限公司", None, credit_code=CODE, website="https://huawei.example")
    RelationshipFactory(customer=gone, owner=rep(org, "owner2", team="north"))
    RelationshipFactory(customer=gone, pool=CustomerPoolFactory(business_unit=org["bu1"]))
    other_contact = contact(gone, name="李四")
    _attach(gone, owner)
    _attach(keep, owner)  # the owner follows both: one follow remains
    response = _merge(head, keep.pk, [gone.pk])
    assert response.status_code == 200, response.content
    assert response.json() == {"id": keep.pk, "name": "华为技术有限公司", "merged_ids": [gone.pk]}
    gone.refresh_from_db()
    keep.refresh_from_db()
    assert (gone.merged_into_id, gone.merged_at is not None) == (keep.pk, True)
    assert (keep.credit_code, keep.website) == (CODE, "https://huawei.example")  # blanks filled from the source
    assert Contact.objects.get(pk=other_contact.pk).customer_id == keep.pk
    assert sorted(Relationship.objects.filter(customer=keep).values_list("business_unit__code", flat=True)) == [
        "ind",
        "med",
    ]
    ct = ContentType.objects.get_for_model(Customer)
    assert Comment.objects.filter(content_type=ct, object_id=str(keep.pk)).count() == 2
    assert Task.objects.filter(content_type=ct, object_id=str(keep.pk)).count() == 2
    assert Follow.objects.filter(content_type=ct).count() == 1
    assert FollowUp.objects.filter(customer=keep, object_id=keep.pk).count() == 2
    assert list(AuditEntry.objects.for_object(gone).values_list("verb", flat=True)) == ["merged_into"]
    assert set(AuditEntry.objects.for_object(keep).values_list("verb", flat=True)) == {"merge"}
    assert not NameToken.objects.filter(target="customer", object_id=gone.pk).exists()


def test_two_relationships_of_one_business_unit_keep_the_survivors_and_log_the_other(org):
    head = bu_head(org, "head")
    a, b = rep(org, "rep_a"), rep(org, "rep_b", team="shanghai")
    keep = customer("华为技术有限公司", a)
    gone = customer("华为技术股份有限公司", b)
    dropped = Relationship.objects.get(customer=gone)
    ClaimLog.objects.create(relationship=dropped, action="claim", user=b, actor=b)
    RecordShare.objects.create(
        content_type=ContentType.objects.get_for_model(Customer), object_id=gone.pk, user=b, granted_by=b
    )
    assert _merge(head, keep.pk, [gone.pk]).status_code == 200
    kept = Relationship.objects.get(customer=keep)
    assert (kept.owner_id, Relationship.objects.filter(pk=dropped.pk).exists()) == (a.pk, False)
    assert list(ClaimLog.objects.values_list("relationship_id", flat=True)) == [kept.pk]
    assert RecordShare.objects.get().object_id == keep.pk
    entry = AuditEntry.objects.for_object(keep).filter(changes__has_key="relationship_dropped").get()
    assert entry.changes["relationship_dropped"][0].startswith("工业设备事业部: rep_b (")


def test_merging_a_customer_into_itself_is_refused_on_the_field(org):
    head = bu_head(org, "head")
    one = customer("华为技术有限公司", rep(org, "rep1"))
    response = _merge(head, one.pk, [one.pk])
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["source_ids"])


def test_merging_with_a_customer_one_cannot_see_answers_404(org):
    user = rep(org, "rep1")
    mine = customer("华为技术有限公司", user)
    theirs = customer("华为技术股份有限公司", rep(org, "other", team="north"))
    response = _merge(user, mine.pk, [theirs.pk])
    assert response.status_code == 404
    assert Customer.objects.get(pk=theirs.pk).merged_into_id is None
    assert _merge(user, theirs.pk, [mine.pk]).status_code == 404
    assert _merge(user, mine.pk, [999999]).status_code == 404


def test_a_tombstone_cannot_be_merged_again(org):
    head = bu_head(org, "head")
    owner = rep(org, "rep1")
    keep, gone = customer("华为技术有限公司", owner), customer("华为技术股份有限公司", owner)
    assert _merge(head, keep.pk, [gone.pk]).status_code == 200
    assert _merge(head, keep.pk, [gone.pk]).status_code == 404


def test_dropping_a_relationship_the_actor_cannot_edit_is_refused(org):
    rep_a = rep(org, "rep_a")
    keep = customer("华为技术有限公司", rep_a)
    gone = customer("华为技术股份有限公司", rep_a)
    RelationshipFactory(customer=keep, owner=rep(org, "north1", team="north"))
    RelationshipFactory(customer=gone, owner=rep(org, "north2", team="north"))
    response = _merge(rep_a, keep.pk, [gone.pk])
    assert response.status_code == 403
    assert Customer.objects.get(pk=gone.pk).merged_into_id is None


def test_merging_leads(org):
    owner = rep(org, "rep1")
    keep = lead("华为技术有限公司", owner, email="")
    gone = lead("华为技术股份有限公司", owner, email="x@huawei.example")
    response = _merge(owner, keep.pk, [gone.pk], kind="leads")
    assert response.status_code == 200
    keep.refresh_from_db()
    assert (keep.email, Lead.objects.get(pk=gone.pk).merged_into_id) == ("x@huawei.example", keep.pk)


def test_merging_contacts_of_one_customer_and_refusing_across_customers(org):
    owner = rep(org, "rep1")
    one, two = customer("甲公司", owner), customer("乙公司", owner)
    wang, wang2, li = contact(one, name="王伟", email=""), contact(one, name="王 伟", email="w@x.example"), contact(two)
    assert _merge(owner, wang.pk, [wang2.pk], kind="contacts").status_code == 200
    wang.refresh_from_db()
    assert (wang.email, Contact.objects.get(pk=wang2.pk).merged_into_id) == ("w@x.example", wang.pk)
    response = _merge(owner, wang.pk, [li.pk], kind="contacts")
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["source_ids"])


def test_merge_page_keeps_the_chosen_record_and_closes_the_cluster(org):
    head = bu_head(org, "head")
    owner = rep(org, "rep1")
    a, b = customer("华为技术有限公司", owner), customer("华为技术股份有限公司", owner)
    cluster = DuplicateCluster.objects.create(target="customer", member_ids=[a.pk, b.pk], business_unit=org["bu1"])
    url = reverse("customers:duplicate_merge") + f"?target=customer&ids={a.pk},{b.pk}&cluster={cluster.pk}"
    client = login(head)
    assert client.get(url).status_code == 200
    response = client.post(url, {"survivor": b.pk})
    assert response.status_code == 303
    assert (Customer.objects.get(pk=a.pk).merged_into_id, DuplicateCluster.objects.get().status) == (b.pk, "merged")


def test_merge_page_of_records_one_cannot_edit_answers_404(org):
    user = rep(org, "rep1")
    a = customer("华为技术有限公司", user)
    b = customer("华为技术股份有限公司", rep(org, "north1", team="north"))
    url = reverse("customers:duplicate_merge") + f"?target=customer&ids={a.pk},{b.pk}"
    assert login(user).get(url).status_code == 404


def test_customer_merge_service_by_its_glossary_name(org):
    head = bu_head(org, "head")
    owner = rep(org, "rep1")
    a, b = customer("华为技术有限公司", owner), customer("华为技术股份有限公司", owner)
    assert duplicates.customer_merge(actor=head, target=a, sources=[b]).pk == a.pk
