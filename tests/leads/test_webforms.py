"""The public web-to-lead endpoint: per-form token, HTML and JSON, rate limit per address and hour,
honeypot; and the page where administrators manage web forms and copy the embed snippet."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from tests.conftest import login
from xietong.leads.choices import AssignmentMethod
from xietong.leads.models import AssignmentRule, Lead, WebForm

pytestmark = pytest.mark.django_db

SUBMISSION = {
    "company": "杭州云端科技有限公司",
    "contact_name": "林女士",
    "mobile": "13912345678",
    "notes": "想了解价格",
}


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def webform(org: dict[str, Any], pool: Any) -> WebForm:
    return WebForm.objects.create(
        business_unit=org["bu1"], name="官网表单", pool=pool, campaign="双十一", per_hour_per_ip=3, thank_you="谢谢！"
    )


def url(form: WebForm) -> str:
    return f"/forms/{form.token}/"


def test_an_html_post_without_login_or_csrf_creates_a_lead_in_the_forms_pool(webform, pool):
    client = Client(enforce_csrf_checks=True)
    response = client.post(url(webform), SUBMISSION)
    assert response.status_code == 200
    assert "谢谢！" in response.content.decode()
    lead = Lead.objects.get()
    assert (lead.company, lead.contact_name, lead.source, lead.campaign, lead.pool, lead.owner, lead.web_form) == (
        "杭州云端科技有限公司",
        "林女士",
        "web",
        "双十一",
        pool,
        None,
        webform,
    )
    assert lead.notes == "想了解价格"


def test_a_json_post_answers_201_and_the_assignment_rules_apply(org, webform, rep):
    rule = AssignmentRule.objects.create(business_unit=org["bu1"], name="rr", method=AssignmentMethod.ROUND_ROBIN)
    rule.assignees.add(rep)
    response = Client().post(url(webform), data=json.dumps(SUBMISSION), content_type="application/json")
    assert response.status_code == 201
    assert response.json() == {"ok": True, "message": "谢谢！"}
    assert Lead.objects.get().owner == rep


def test_the_hosted_form_is_shown_on_get(webform):
    response = Client().get(url(webform))
    assert response.status_code == 200
    assert 'name="website"' in response.content.decode()  # the honeypot, hidden from people


def test_an_unknown_or_inactive_token_is_404(webform):
    assert Client().post("/forms/nope/", SUBMISSION).status_code == 404
    webform.is_active = False
    webform.save()
    assert Client().post(url(webform), data=json.dumps(SUBMISSION), content_type="application/json").status_code == 404
    assert Lead.objects.count() == 0


def test_invalid_input_is_422_naming_the_fields(webform):
    response = Client().post(
        url(webform), data=json.dumps({"company": "某公司", "mobile": "123"}), content_type="application/json"
    )
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == ["contact_name", "mobile"]
    assert Lead.objects.count() == 0


def test_a_mobile_or_an_email_is_needed(webform):
    response = Client().post(url(webform), data=json.dumps({"contact_name": "某人"}), content_type="application/json")
    assert [e["field"] for e in response.json()["errors"]] == ["mobile"]


def test_the_honeypot_is_accepted_silently_and_nothing_is_stored(webform):
    response = Client().post(
        url(webform), data=json.dumps({**SUBMISSION, "website": "http://spam"}), content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["ok"] is True
    html = Client().post(url(webform), {**SUBMISSION, "website": "x"})
    assert "谢谢！" in html.content.decode()
    assert Lead.objects.count() == 0


def test_the_rate_limit_counts_per_address_and_form(webform, org, pool):
    client = Client()
    statuses = [
        client.post(
            url(webform),
            data=json.dumps({**SUBMISSION, "mobile": f"1391234567{i}"}),
            content_type="application/json",
            REMOTE_ADDR="10.0.0.1",
        ).status_code
        for i in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    assert Lead.objects.count() == 3
    other_address = client.post(
        url(webform), data=json.dumps(SUBMISSION), content_type="application/json", REMOTE_ADDR="10.0.0.2"
    )
    assert other_address.status_code == 201
    other_form = WebForm.objects.create(business_unit=org["bu1"], name="展会表单", pool=pool)
    assert (
        client.post(
            url(other_form), data=json.dumps(SUBMISSION), content_type="application/json", REMOTE_ADDR="10.0.0.1"
        ).status_code
        == 201
    )


def test_administrators_manage_web_forms_and_see_the_embed_snippet(org, head, pool):
    client = login(head)
    response = client.post(
        "/leads/settings/forms/new/",
        {
            "business_unit": org["bu1"].pk,
            "name": "产品页表单",
            "source": "web",
            "campaign": "新品",
            "pool": pool.pk,
            "per_hour_per_ip": 10,
            "is_active": "on",
        },
    )
    assert response.status_code == 303, response.content.decode()[:2000]
    created = WebForm.objects.get(name="产品页表单")
    assert (created.created_by, created.per_hour_per_ip, created.campaign) == (head, 10, "新品")
    with translation.override("en"):
        page = client.get("/leads/settings/").content.decode()
    assert f"/forms/{created.token}/" in page
    assert "&lt;iframe" in page


def test_a_rep_cannot_manage_web_forms(rep):
    assert login(rep).get("/leads/settings/").status_code == 403
