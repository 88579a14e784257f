from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from tests.approvals.conftest import make_flow
from tests.conftest import login
from tests.sampleapp.models import Deal
from tests.support.i18n import zh
from tests.support.queries import assert_queries_constant
from xietong.approvals import services
from xietong.approvals.models import ApprovalRequest, RequestStatus

pytestmark = pytest.mark.django_db


def _submit(deal: Deal, people: dict[str, Any], *steps: dict[str, Any]) -> ApprovalRequest:
    make_flow(*steps)
    request = services.approval_submit(document=deal, actor=people["rep"])
    assert request is not None
    return request


def _panel(document: Any, user: Any) -> str:
    http = RequestFactory().get("/sample/")
    http.user = user
    return Template("{% load approvals %}{% approval_panel document %}").render(
        Context({"document": document, "request": http})
    )


def test_panel_is_empty_for_a_document_never_submitted(deal: Deal, people: dict[str, Any]) -> None:
    assert _panel(deal, people["rep"]).strip() == ""


def test_panel_shows_buttons_to_the_current_approver_only(deal: Deal, people: dict[str, Any]) -> None:
    request = _submit(deal, people, {"kind": "user", "user": people["finance"], "name": "财务审核"})
    approver_html = _panel(deal, people["finance"])
    assert "财务审核" in approver_html
    assert 'id="approval-approve"' in approver_html
    assert f"/approvals/{request.pk}/decide/" in approver_html
    submitter_html = _panel(deal, people["rep"])
    assert 'id="approval-approve"' not in submitter_html
    assert 'id="approval-recall"' in submitter_html
    other_html = _panel(deal, people["manager"])
    assert 'id="approval-approve"' not in other_html
    assert 'id="approval-recall"' not in other_html


def test_panel_shows_who_decided_and_the_history(deal: Deal, people: dict[str, Any]) -> None:
    request = _submit(
        deal, people, {"kind": "user", "user": people["finance"]}, {"kind": "user", "user": people["legal"]}
    )
    services.approval_approve(request=request, actor=people["finance"], comment="价格合理")
    html = _panel(deal, people["rep"])
    assert "财务小钱" in html and "价格合理" in html
    assert 'id="approval-recall"' not in html  # a decision was taken
    # the history names the step of each decision
    steps = [s.get("name", "") for s in request.steps]
    assert f'<span class="xt-approval-history-step">{steps[0]}</span> · {zh("Approved")}' in html


def test_approve_from_the_request_page_in_one_post(deal: Deal, people: dict[str, Any]) -> None:
    request = _submit(deal, people, {"kind": "user", "user": people["finance"]})
    client = login(people["finance"])
    page = client.get(f"/approvals/{request.pk}/")
    assert page.status_code == 200
    assert 'value="approve"' in page.content.decode()
    response = client.post(f"/approvals/{request.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 303
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED


def test_request_page_404_for_someone_who_cannot_see_it(deal: Deal, people: dict[str, Any]) -> None:
    request = _submit(deal, people, {"kind": "user", "user": people["finance"]})
    client = login(people["outsider"])
    assert client.get(f"/approvals/{request.pk}/").status_code == 404
    assert client.post(f"/approvals/{request.pk}/decide/", {"decision": "approve"}).status_code == 404


def test_deciding_without_being_asked_is_403(deal: Deal, people: dict[str, Any]) -> None:
    request = _submit(deal, people, {"kind": "user", "user": people["finance"]})
    response = login(people["rep"]).post(f"/approvals/{request.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING


def test_a_refused_return_comes_back_as_a_message(deal: Deal, people: dict[str, Any]) -> None:
    request = _submit(deal, people, {"kind": "user", "user": people["finance"]})
    response = login(people["finance"]).post(
        f"/approvals/{request.pk}/decide/", {"decision": "return", "step": "5"}, follow=True
    )
    assert zh("Choose an earlier step.") in response.content.decode()


def test_pending_list_shows_my_tasks_in_constant_queries(org: dict[str, Any], people: dict[str, Any]) -> None:
    make_flow({"kind": "user", "user": people["finance"]})
    client = login(people["finance"])
    counter = iter(range(1000))

    def add() -> None:
        for _ in range(3):
            deal = Deal.objects.create(
                name=f"商机{next(counter)}", owner=people["rep"], business_unit=org["bu1"], amount="10.00"
            )
            services.approval_submit(document=deal, actor=people["rep"])

    add()
    assert_queries_constant(lambda: client.get("/approvals/"), add)
    page = client.get("/approvals/").content.decode()
    assert "商机0" in page and "商机5" in page


def test_submitted_list_and_filters(deal: Deal, people: dict[str, Any]) -> None:
    _submit(deal, people, {"kind": "user", "user": people["finance"]})
    client = login(people["rep"])
    assert "商机 华东电力" in client.get("/approvals/submitted/").content.decode()
    assert "商机 华东电力" not in client.get("/approvals/submitted/?status=approved").content.decode()
    assert "商机 华东电力" not in login(people["finance"]).get("/approvals/?document_type=quote").content.decode()


def test_my_day_lists_what_waits_for_me(deal: Deal, people: dict[str, Any]) -> None:
    from xietong.approvals.registrations import waiting_section

    request = _submit(deal, people, {"kind": "user", "user": people["finance"]})
    section = waiting_section(people["finance"])
    assert section is not None
    assert [t.request_id for t in section["items"]] == [request.pk]
    assert waiting_section(people["rep"]) is None


def test_my_day_page_renders_the_section_with_one_click_approve(deal: Deal, people: dict[str, Any]) -> None:
    request = _submit(deal, people, {"kind": "user", "user": people["finance"]})
    html = login(people["finance"]).get("/").content.decode()
    assert "商机 华东电力" in html
    assert f"/approvals/{request.pk}/decide/" in html


def test_the_notification_links_to_the_request_page(
    deal: Deal, people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from xietong.collaboration.models import Notification
    from xietong.core.components import record_url

    make_flow({"kind": "user", "user": people["finance"]})
    with django_capture_on_commit_callbacks(execute=True):
        request = services.approval_submit(document=deal, actor=people["rep"])
    assert request is not None
    notification = Notification.objects.get(recipient=people["finance"])
    assert record_url(notification.content_type_id, notification.object_id) == f"/approvals/{request.pk}/"


def test_the_request_carries_files_and_comments_for_whoever_sees_it(
    deal: Deal, people: dict[str, Any], attachment_storage: Any
) -> None:
    from tests.support.factories import pdf_bytes, upload
    from xietong.collaboration import attachments, registry

    request = _submit(deal, people, {"kind": "user", "user": people["finance"]})
    record = registry.resolve(people["finance"], f"approvals.approvalrequest:{request.pk}")
    attachments.attachments_add(actor=people["finance"], record=record, files=[upload("核价单.pdf", pdf_bytes())])
    html = login(people["rep"]).get(f"/approvals/{request.pk}/").content.decode()
    assert "核价单.pdf" in html
    with pytest.raises(Exception) as caught:
        registry.resolve(people["outsider"], f"approvals.approvalrequest:{request.pk}")
    assert caught.type.__name__ == "NotFound"
