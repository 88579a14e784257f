"""Converting a qualified lead opens an opportunity when asked (the pipeline's conversion step)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.conftest import login
from tests.support.crm import LeadFactory
from xietong.leads import services as lead_services
from xietong.pipeline.models import Opportunity

pytestmark = pytest.mark.django_db


def qualified(owner, **fields):
    return LeadFactory(
        owner=owner,
        business_unit=owner.business_unit,
        company="苏州新材料科技有限公司",
        contact_name="顾经理",
        product_interest="五轴加工中心",
        campaign="秋季展会",
        source="exhibition",
        budget=Decimal("880000.00"),
        status="qualified",
        **fields,
    )


def test_the_api_converts_into_customer_contact_and_opportunity(people, process):
    lead = qualified(people.rep)
    response = login(people.rep).post(
        f"/api/v1/leads/{lead.pk}/convert",
        data=json.dumps({"opportunity": {"expected_close": "2027-03-31"}}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    opp = Opportunity.objects.get()
    assert body["opportunity_id"] == opp.pk
    assert (opp.name, opp.amount, opp.lead_id, opp.source, opp.campaign, str(opp.expected_close)) == (
        "苏州新材料科技有限公司 · 五轴加工中心",
        Decimal("880000.00"),
        lead.pk,
        "exhibition",
        "秋季展会",
        "2027-03-31",
    )
    assert (opp.customer_id, opp.stage.name, opp.owner) == (body["customer_id"], "初步接洽", people.rep)
    assert list(opp.contact_roles.values_list("contact_id", "role")) == [(body["contact_id"], "decision_maker")]


def test_the_convert_page_offers_the_opportunity_and_a_refusal_undoes_everything(people, process):
    lead = qualified(people.rep)
    client = login(people.rep)
    page = client.get(f"/leads/{lead.pk}/convert/").content.decode()
    assert 'name="create_opportunity"' in page and 'value="苏州新材料科技有限公司 · 五轴加工中心"' in page
    response = client.post(
        f"/leads/{lead.pk}/convert/",
        {
            "customer": "new",
            "create_contact": "on",
            "create_opportunity": "on",
            "opportunity_name": "苏州新材料二期",
            "opportunity_amount": "500000",
        },
    )
    assert response.status_code == 303
    opp = Opportunity.objects.get()
    assert (opp.name, opp.amount) == ("苏州新材料二期", Decimal("500000.00"))
    lead.refresh_from_db()
    assert lead.status == "converted"
    # without a process in the BU the step refuses: the lead stays as it was, nothing is created
    other = qualified(people.outsider)
    before = (Opportunity.objects.count(), lead_services.Lead.objects.filter(status="converted").count())
    with pytest.raises(ValidationError) as refused:
        lead_services.lead_convert(lead=other, actor=people.outsider, options={"opportunity": {"name": ""}})
    assert list(refused.value.message_dict) == ["process"]
    other.refresh_from_db()
    assert other.status == "qualified"
    assert (Opportunity.objects.count(), lead_services.Lead.objects.filter(status="converted").count()) == before
