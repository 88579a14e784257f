"""Candidates, rules and the duplicate check page and endpoint."""

from __future__ import annotations

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import translation

from tests.conftest import login
from tests.customers.dup_support import contact, customer, lead, rep
from tests.support.crm import CustomerPoolFactory
from xietong.collaboration.models import Notification
from xietong.customers import matching
from xietong.customers.models import Customer, DuplicateOverride, DuplicateRule

pytestmark = pytest.mark.django_db

CODE = "91350100M000100Y43"  # a valid unified social credit code


def keys(cands):
    return [(c.name, c.score, c.keys) for c in cands]


# --- candidates ------------------------------------------------------------------------------------


def test_customer_candidates_find_the_same_credit_code(org):
    found = customer("福州某某有限公司", credit_code=CODE)
    cands = matching.customer_candidates(name="完全不同", credit_code=CODE.lower())
    assert [(c.pk, c.score, c.keys) for c in cands] == [(found.pk, 100, ("credit_code",))]
    with translation.override("en"):
        assert matching.customer_candidates(credit_code=CODE)[0].reasons == ("Same credit code",)


def test_customer_candidates_find_other_spellings_of_the_same_name(org):
    found = customer("北京市华为技术有限公司")
    cands = matching.customer_candidates(name="華為技術（深圳）有限公司")
    assert [(c.pk, c.score, c.keys) for c in cands] == [(found.pk, 95, ("name",))]


def test_customer_candidates_find_a_one_character_typo_with_its_score(org):
    found = customer("华为技术有限公司")
    customer("中兴通讯股份有限公司")
    cands = matching.customer_candidates(name="华伟技术有限公司")
    assert [(c.pk, c.score, c.keys) for c in cands] == [(found.pk, 75, ("fuzzy_name",))]
    with translation.override("en"):
        assert matching.customer_candidates(name="华伟技术有限公司")[0].reasons == ("Similar name (75)",)


def test_customer_candidates_find_word_order_and_english_typos(org):
    zh = customer("技术华为有限公司")
    en = customer("Acme Trading Co., Ltd.")
    assert keys(matching.customer_candidates(name="华为技术")) == [(zh.name, 90, ("fuzzy_name",))]
    assert keys(matching.customer_candidates(name="ACME Tradng Limited")) == [(en.name, 91, ("fuzzy_name",))]


def test_customer_candidates_match_contacts_mobile_and_email(org):
    found = customer("甲公司")
    contact(found, mobile="138 0013 8000", email="wang@example.com")
    cands = matching.customer_candidates(mobile="+86 13800138000", email=" WANG@example.com")
    assert [(c.pk, c.score, c.keys) for c in cands] == [(found.pk, 88, ("mobile", "email"))]


def test_customer_candidates_leave_out_tombstones_and_excluded_ids(org):
    alive = customer("华为技术有限公司")
    gone = customer("华为技术股份有限公司")
    Customer.objects.filter(pk=gone.pk).update(merged_into=alive)
    assert [c.pk for c in matching.customer_candidates(name="华为技术")] == [alive.pk]
    assert matching.customer_candidates(name="华为技术", exclude=[alive.pk]) == []


def test_customer_candidates_best_first_and_limited(org):
    exact = customer("华为技术有限公司", credit_code=CODE)
    similar = customer("华伟技术有限公司")
    cands = matching.customer_candidates(name="华为技术", credit_code=CODE)
    assert [(c.pk, c.score, c.keys) for c in cands] == [
        (exact.pk, 100, ("credit_code", "name")),
        (similar.pk, 75, ("fuzzy_name",)),
    ]
    assert [c.pk for c in matching.customer_candidates(name="华为技术", credit_code=CODE, limit=1)] == [exact.pk]


def test_lead_candidates_by_company_mobile_and_email(org):
    owner = rep(org, "rep1")
    same = lead("上海某某科技有限公司", owner, mobile="13900000001", email="a@example.com")
    cands = matching.lead_candidates(company="某某科技", mobile="139 0000 0001", email="A@example.com")
    assert [(c.pk, c.score, c.keys) for c in cands] == [(same.pk, 100, ("name", "mobile", "email"))]


def test_contact_candidates_name_only_at_the_same_customer(org):
    one, other = customer("甲公司"), customer("乙公司")
    wang = contact(one, name="王 伟", mobile="13700000001")
    contact(other, name="王伟", mobile="13700000002")
    cands = matching.contact_candidates(customer_id=one.pk, name="王伟")
    assert [(c.pk, c.keys) for c in cands] == [(wang.pk, ("name",))]
    by_mobile = matching.contact_candidates(mobile="13700000001")
    assert [(c.pk, c.keys) for c in by_mobile] == [(wang.pk, ("mobile",))]


# --- rules -----------------------------------------------------------------------------------------


def test_enforce_blocks_the_same_credit_code_naming_the_field(org):
    customer("华为技术有限公司", credit_code=CODE)
    with translation.override("en"), pytest.raises(matching.DuplicateFound) as caught:
        cands = matching.customer_candidates(credit_code=CODE)  # reasons read in the active language
        matching.enforce(target="customer", candidates=cands, reason="a reason does not help")
    assert caught.value.blocked is True
    assert caught.value.message_dict == {"credit_code": ["Same credit code as the existing “华为技术有限公司”."]}
    assert [c.name for c in caught.value.candidates] == ["华为技术有限公司"]


def test_enforce_warns_on_a_similar_name_until_a_reason_is_given(org):
    customer("华为技术有限公司")
    with translation.override("en"), pytest.raises(matching.DuplicateFound) as caught:
        cands = matching.customer_candidates(name="华伟技术")
        matching.enforce(target="customer", candidates=cands)
    assert caught.value.blocked is False
    assert caught.value.message_dict == {
        "name": ["Similar name (75) as the existing “华为技术有限公司”: give a reason to create it anyway."]
    }
    matching.enforce(target="customer", candidates=cands, reason="不同公司，已电话确认")


def test_enforce_blocks_the_same_name_for_customers_but_warns_for_leads(org):
    owner = rep(org, "rep1")
    customer("华为技术有限公司")
    lead("华为技术有限公司", owner)
    with pytest.raises(matching.DuplicateFound) as caught:
        matching.enforce(target="customer", candidates=matching.customer_candidates(name="华为技术"), reason="x")
    assert list(caught.value.message_dict) == ["name"]
    matching.enforce(target="lead", candidates=matching.lead_candidates(company="华为技术"), reason="x")
    with pytest.raises(matching.DuplicateFound) as caught:
        matching.enforce(target="lead", candidates=matching.lead_candidates(company="华为技术"))
    assert list(caught.value.message_dict) == ["company"]


def test_duplicate_rules_override_the_defaults(org):
    customer("华为技术有限公司", credit_code=CODE)
    DuplicateRule.objects.create(target="customer", key="credit_code", action="allow")
    DuplicateRule.objects.create(target="customer", key="name", action="warn")
    cands = matching.customer_candidates(name="华为技术", credit_code=CODE)
    matching.enforce(target="customer", candidates=cands, reason="集团内两家")
    with pytest.raises(matching.DuplicateFound) as caught:
        matching.enforce(target="customer", candidates=cands)
    assert (caught.value.blocked, list(caught.value.message_dict)) == (False, ["name"])


def test_record_override_remembers_the_reason_and_the_matches(org):
    user = rep(org, "rep1")
    old = customer("华为技术有限公司")
    new = customer("华伟技术有限公司")
    cands = matching.customer_candidates(name=new.name, exclude=[new.pk])
    matching.record_override(actor=user, obj=new, candidates=cands, reason=" 不是同一家 ")
    row = DuplicateOverride.objects.get()
    assert (row.object_id, row.matched_ids, row.reason, row.actor_id) == (new.pk, [old.pk], "不是同一家", user.pk)


# --- the check endpoint and page -------------------------------------------------------------------


def test_check_of_an_invisible_customer_reveals_only_name_business_unit_and_owner(org):
    owner = rep(org, "owner1", name="张三")
    found = customer("华为技术有限公司", owner, credit_code=CODE, notes="机密备注")
    contact(found, mobile="13800138000", email="boss@huawei.example")
    outsider = rep(org, "outsider", team="north")
    response = login(outsider).get("/api/v1/customers/duplicates", {"name": "華為技術"})
    assert response.status_code == 200
    body = response.json()
    ref = body["matches"][0]["holders"][0].pop("ref")
    assert body == {
        "exists": True,
        "matches": [
            {
                "customer_id": None,
                "name": "华为技术有限公司",
                "score": 95,
                "reasons": [matching._("Same name")],
                "visible": False,
                "holders": [
                    {
                        "business_unit_id": org["bu1"].pk,
                        "business_unit": "工业设备事业部",
                        "owner": "张三",
                        "in_pool": False,
                    }
                ],
            }
        ],
    }
    assert signing.loads(ref, salt="customers.duplicate-check") == [found.pk, org["bu1"].pk]
    for secret in ("13800138000", "boss@huawei.example", "机密备注", CODE):
        assert secret not in response.content.decode()


def test_check_shows_the_id_of_a_customer_the_caller_sees(org):
    owner = rep(org, "owner1")
    found = customer("华为技术有限公司", owner)
    body = login(owner).get("/api/v1/customers/duplicates", {"name": "华为技术"}).json()
    assert (body["matches"][0]["customer_id"], body["matches"][0]["visible"]) == (found.pk, True)


def test_check_says_when_a_customer_is_in_a_pool(org):
    pool = CustomerPoolFactory(business_unit=org["bu2"], name="医疗公海")
    customer("华为技术有限公司", pool=pool)
    user = rep(org, "rep1")
    holders = login(user).get("/api/v1/customers/duplicates", {"name": "华为技术"}).json()["matches"][0]["holders"]
    assert [(h["business_unit"], h["owner"], h["in_pool"]) for h in holders] == [("医疗器械事业部", "", True)]


def test_check_without_any_input_names_the_field(org):
    user = rep(org, "rep1")
    with translation.override("en"):
        response = login(user).get("/api/v1/customers/duplicates", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["name"]


def test_check_of_nothing_found_says_it_does_not_exist(org):
    user = rep(org, "rep1")
    assert login(user).get("/api/v1/customers/duplicates", {"name": "没有这家"}).json() == {
        "exists": False,
        "matches": [],
    }


def test_check_page_lists_holders_and_offers_ask_and_transfer(org):
    owner = rep(org, "owner1", name="张三")
    customer("华为技术有限公司", owner)
    outsider = rep(org, "outsider", team="north")
    response = login(outsider).get(reverse("customers:duplicate_check"), {"name": "华为技术"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "华为技术有限公司" in html and "张三" in html and "工业设备事业部" in html
    assert reverse("customers:conflict_new") + "?ref=" in html
    assert reverse("customers:duplicate_ask") in html


def test_ask_the_owner_to_collaborate_notifies_the_owner(org, django_capture_on_commit_callbacks):
    owner = rep(org, "owner1")
    found = customer("华为技术有限公司", owner)
    outsider = rep(org, "outsider", team="north")
    ref = (
        login(outsider)
        .get("/api/v1/customers/duplicates", {"name": "华为技术"})
        .json()["matches"][0]["holders"][0]["ref"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = login(outsider).post(
            "/api/v1/customers/duplicates/ask", {"ref": ref, "message": "一起跟进吧"}, content_type="application/json"
        )
    assert (response.status_code, response.json()) == (202, {"notified": 1})
    note = Notification.objects.get()
    assert (note.recipient_id, note.kind, note.object_id, note.params["message"]) == (
        owner.pk,
        "collaboration_asked",
        str(found.pk),
        "一起跟进吧",
    )


def test_ask_with_a_forged_ref_is_refused_on_the_ref_field(org):
    outsider = rep(org, "outsider", team="north")
    response = login(outsider).post(
        "/api/v1/customers/duplicates/ask", {"ref": "forged", "message": "hi"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["ref"]


def test_ask_by_id_of_an_invisible_customer_answers_no_such_customer(org):
    owner = rep(org, "owner1")
    found = customer("华为技术有限公司", owner)
    outsider = rep(org, "outsider", team="north")
    response = login(outsider).post(
        "/api/v1/customers/duplicates/ask",
        {"customer_id": found.pk, "business_unit_id": org["bu1"].pk, "message": "hi"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["customer_id"]
