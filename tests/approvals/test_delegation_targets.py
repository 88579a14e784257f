"""Whom approvals may be handed to, and flows that name people the admin's lists do not reach."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils.translation import gettext as t

from tests.approvals.conftest import make_flow
from tests.conftest import login
from tests.sampleapp.models import Deal
from tests.support.factories import grant, make_role
from tests.support.forms import submitted
from xietong.approvals import services
from xietong.approvals.models import ApprovalTask, Delegation, TaskStatus
from xietong.core.choices import DataScope
from xietong.core.visibility import addressable_people

pytestmark = pytest.mark.django_db


def test_a_standing_delegation_to_someone_deactivated_leaves_the_task_with_the_approver(deal, people, org):
    today = datetime.date.today()
    Delegation.objects.create(user=people["manager"], delegate=people["lead"], starts_on=today, ends_on=today)
    people["lead"].is_active = False
    people["lead"].save()
    make_flow({"kind": "user", "user": people["manager"]})
    request = services.approval_submit(document=deal, actor=people["rep"])
    pending = ApprovalTask.objects.filter(request=request, status=TaskStatus.PENDING)
    assert list(pending.values_list("approver_id", flat=True)) == [people["manager"].pk]


def test_an_approval_is_handed_only_to_someone_the_pages_offer(deal, people, org):
    """The API named anyone active — who then saw the document; a page post of a word crashed."""
    make_flow({"kind": "user", "user": people["finance"]})
    request = services.approval_submit(document=deal, actor=people["rep"])
    finance, outsider = people["finance"], people["outsider"]
    assert not addressable_people(finance).filter(pk=outsider.pk).exists()
    client = login(finance)
    assert f'value="{outsider.pk}"' not in client.get(f"/approvals/{request.pk}/").content.decode()
    response = client.post(
        f"/api/v1/approvals/{request.pk}/delegate",
        data=json.dumps({"user_id": outsider.pk}),
        content_type="application/json",
    )
    assert (response.status_code, response.json()["errors"]) == (
        422,
        [{"field": "user_id", "message": t("No such user.")}],
    )
    page = client.post(f"/approvals/{request.pk}/decide/", {"decision": "delegate", "user_id": "abc"}, follow=True)
    assert (page.status_code, t("No such user.") in page.content.decode()) == (200, True)
    assert not Deal.objects.visible_to(outsider).filter(pk=deal.pk).exists()
    assert list(ApprovalTask.objects.filter(request=request).values_list("approver_id", "status")) == [
        (finance.pk, TaskStatus.PENDING)
    ]
    response = client.post(
        "/api/v1/approval-delegations",
        data=json.dumps({"delegate_id": outsider.pk, "starts_on": "2026-12-01", "ends_on": "2026-12-02"}),
        content_type="application/json",
    )
    assert (response.status_code, Delegation.objects.count()) == (422, 0)


@pytest.fixture
def bu_admin(org, people):
    user = people["director"]
    grant(user, make_role("approval_admin", {"approvals": (DataScope.BUSINESS_UNIT, {"view", "administer"})}))
    return user


def _snapshot(flow):
    flow.refresh_from_db()
    steps = flow.steps.order_by("position").values_list("position", "name", "kind", "mode", "user_id", "team_id")
    return (flow.name, flow.escalate_after_hours, flow.escalate_to_id, list(steps))


@pytest.mark.parametrize("who", ["escalation", "step"])
def test_a_flow_naming_someone_of_another_bu_saves_unchanged(org, people, bu_admin, who):
    """The people list holds whom the admin may address; the flow's own people are added, or the
    browser posted the first option: escalation silently dropped, a named-user step refused."""
    outsider = people["outsider"]
    assert not addressable_people(bu_admin).filter(pk=outsider.pk).exists()
    if who == "escalation":
        flow = make_flow(
            {"kind": "user", "user": people["finance"]},
            business_unit=org["bu1"],
            escalate_after_hours=48,
            escalate_to=outsider,
        )
    else:
        flow = make_flow({"kind": "user", "user": outsider}, business_unit=org["bu1"])
    before = _snapshot(flow)
    client = login(bu_admin)
    page = client.get(f"/approvals/flows/{flow.pk}/edit/").content.decode()
    assert client.post(f"/approvals/flows/{flow.pk}/edit/", submitted(page, "flow-form")).status_code == 303
    assert _snapshot(flow) == before


def test_a_delegate_who_is_away_too_passes_the_task_on_and_a_circle_stops_before_it_closes(deal, people):
    from django.utils import timezone

    today = timezone.localdate()
    for user, delegate in (("finance", "legal"), ("legal", "director")):
        Delegation.objects.create(user=people[user], delegate=people[delegate], starts_on=today, ends_on=today)
    make_flow({"kind": "user", "user": people["finance"]})
    request = services.approval_submit(document=deal, actor=people["rep"])
    assert list(ApprovalTask.objects.filter(request=request).values_list("approver_id", "delegated_from_id")) == [
        (people["director"].pk, people["finance"].pk)
    ]
    # the director is away too, to the finance person: the chain would come back, so it stops at him
    Delegation.objects.create(user=people["director"], delegate=people["finance"], starts_on=today, ends_on=today)
    assert services._delegate_of([people["finance"].pk], today, submitter_id=None) == {
        people["finance"].pk: people["director"].pk
    }


def test_a_standing_delegation_never_hands_the_submitter_their_own_request(deal, people):
    """A chain of away periods ending at the submitter let them approve what they submitted."""
    from django.utils import timezone

    today = timezone.localdate()
    rep, finance, legal = people["rep"], people["finance"], people["legal"]
    Delegation.objects.create(user=finance, delegate=rep, starts_on=today, ends_on=today)
    make_flow({"kind": "user", "user": finance})
    request = services.approval_submit(document=deal, actor=rep)
    assert list(ApprovalTask.objects.filter(request=request).values_list("approver_id", "delegated_from_id")) == [
        (finance.pk, None)
    ]
    # one hop further: finance → legal → the submitter stops at legal
    services.approval_recall(request=request, actor=rep)
    Delegation.objects.filter(user=finance).update(delegate=legal)
    Delegation.objects.create(user=legal, delegate=rep, starts_on=today, ends_on=today)
    request = services.approval_submit(document=deal, actor=rep)
    assert list(
        ApprovalTask.objects.filter(request=request, status=TaskStatus.PENDING).values_list(
            "approver_id", "delegated_from_id"
        )
    ) == [(legal.pk, finance.pk)]


def test_an_approver_cannot_hand_the_task_to_the_submitter(deal, people):
    make_flow({"kind": "user", "user": people["manager"]})
    rep, manager = people["rep"], people["manager"]
    request = services.approval_submit(document=deal, actor=rep)
    client = login(manager)
    page = client.get(f"/approvals/{request.pk}/").content.decode()
    offered = (f'<option value="{people["lead"].pk}">', f'<option value="{rep.pk}">')
    assert tuple(option in page for option in offered) == (True, False)
    response = client.post(
        f"/api/v1/approvals/{request.pk}/delegate",
        data=json.dumps({"user_id": rep.pk}),
        content_type="application/json",
    )
    assert (response.status_code, response.json()["errors"]) == (
        422,
        [{"field": "user_id", "message": t("The submitter cannot decide on their own request.")}],
    )
    assert list(ApprovalTask.objects.filter(request=request).values_list("approver_id", "status")) == [
        (manager.pk, TaskStatus.PENDING)
    ]
