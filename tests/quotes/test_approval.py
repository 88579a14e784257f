"""Quotes with the approval engine: a discount above the threshold goes into approval (locked on every
path) and the manager's decision approves it or returns it; the condition fields read the quote."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import login
from xietong.approvals import registry
from xietong.approvals import services as approvals
from xietong.approvals.models import ApprovalFlow, ApprovalRequest, ApprovalStep
from xietong.core.errors import Conflict
from xietong.customers.models import Relationship
from xietong.quotes import services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def discount_flow(people) -> ApprovalFlow:
    flow = ApprovalFlow.objects.create(
        document_type="quote",
        name="折扣超过10%",
        business_unit=people.org["bu1"],
        conditions=[{"field": "max_discount", "op": ">", "value": "10"}],
    )
    ApprovalStep.objects.create(flow=flow, position=1, name="经理审批", kind="user", user=people.manager)
    return flow


def _discounted(people, opp, products, percent: str):
    q = services.quote_create(actor=people.rep, opportunity=opp, lines=[])
    return services.quote_update(
        actor=people.rep,
        quote=q,
        lines=[{"product": products.lathe.pk, "quantity": "1", "discount_value": percent}],
    )


def test_a_discount_above_the_threshold_goes_into_approval_and_locks(people, opp, products, discount_flow) -> None:
    q = services.quote_submit(actor=people.rep, quote=_discounted(people, opp, products, "15"))
    assert q.status == "in_approval"
    from django.utils.translation import gettext, override

    from xietong.core.models import AuditEntry

    entry = AuditEntry.objects.get(verb="quote_in_approval", object_id=str(q.pk))
    with override("zh-hans"):  # the history shows labels, never the stored codes
        assert entry.changes == {"status": [gettext("Draft"), gettext("In approval")]}
    with pytest.raises(Conflict):
        services.quote_update(actor=people.rep, quote=q, title="改")
    response = login(people.rep).patch(
        f"/api/v1/quotes/{q.pk}", data='{"title": "改"}', content_type="application/json"
    )
    assert response.status_code == 409
    request = ApprovalRequest.objects.get(object_id=str(q.pk))
    approvals.approval_approve(request=request, actor=people.manager)
    q.refresh_from_db()
    assert q.status == "approved"


def test_a_rejected_quote_is_a_draft_again(people, opp, products, discount_flow) -> None:
    q = services.quote_submit(actor=people.rep, quote=_discounted(people, opp, products, "20"))
    approvals.approval_reject(
        request=ApprovalRequest.objects.get(object_id=str(q.pk)), actor=people.manager, comment="太低"
    )
    q.refresh_from_db()
    assert q.status == "draft"
    assert services.quote_update(actor=people.rep, quote=q, title="改").title == "改"


def test_a_small_discount_needs_no_approval(people, opp, products, discount_flow) -> None:
    q = services.quote_submit(actor=people.rep, quote=_discounted(people, opp, products, "10"))
    assert q.status == "approved"
    assert not ApprovalRequest.objects.filter(object_id=str(q.pk)).exists()


def test_the_condition_fields_read_the_quote(people, opp, products) -> None:
    Relationship.objects.filter(customer=opp.customer, business_unit=people.org["bu1"]).update(level="A")
    Relationship.objects.get_or_create(
        customer=opp.customer, business_unit=people.org["bu1"], defaults={"owner": people.rep, "level": "A"}
    )
    q = services.quote_create(actor=people.rep, opportunity=opp)
    fields = {f.name: f.value(q) for f in registry.get("quote").fields}
    assert fields == {
        "total": Decimal("254250.00"),
        "max_discount": Decimal("0.00"),
        "business_unit": people.org["bu1"].pk,
        "product_line": "数控机床、通用机床",
        "customer_level": "A",
    }
