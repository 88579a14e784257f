"""E-mailing a quote to the customer: the form, the service's checks, the mail with its PDF, the
history, the failure told to the rep."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from tests.quotes.test_pages import login, text
from tests.support.money import quote as make_quote
from xietong.collaboration.models import Notification
from xietong.core.errors import Conflict
from xietong.core.models import AuditEntry
from xietong.quotes import mailing
from xietong.quotes.choices import QuoteStatus
from xietong.quotes.models import Quote

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(people: Any, opp: Any) -> Quote:
    type(people.rep).objects.filter(pk=people.rep.pk).update(email="rep@example.com")
    people.rep.email = "rep@example.com"
    return make_quote(people.rep, opp=opp, status=QuoteStatus.APPROVED)


def test_the_form_is_filled_in_and_sending_mails_the_pdf_and_marks_the_quote_sent(
    people, approved, django_capture_on_commit_callbacks
) -> None:
    client = login(people.rep)
    page = text(client.get(f"/quotes/{approved.pk}/"))
    assert f'href="/quotes/{approved.pk}/email/"' in page
    form = text(client.get(f"/quotes/{approved.pk}/email/"))
    assert f"Quote {approved.number} v1" in form and 'value="rep@example.com"' in form
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/quotes/{approved.pk}/email/",
            {"to": "li@customer.cn； wang@customer.cn", "subject": "报价单", "message": "您好，附件是报价单。"},
        )
    assert response.status_code == 303 and response["Location"] == f"/quotes/{approved.pk}/"
    assert Quote.objects.get(pk=approved.pk).status == QuoteStatus.SENT
    [sent] = mail.outbox
    assert (sent.to, sent.cc, sent.reply_to, sent.subject, sent.body) == (
        ["li@customer.cn", "wang@customer.cn"],
        [],
        ["rep@example.com"],
        "报价单",
        "您好，附件是报价单。",
    )
    [(name, content, kind)] = sent.attachments
    assert (name, kind) == (f"{approved.number}-v1.pdf", "application/pdf") and content.startswith(b"%PDF")
    entry = AuditEntry.objects.filter(object_id=str(approved.pk), verb="quote_emailed").get()
    assert entry.changes["recipients"] == [None, "li@customer.cn, wang@customer.cn"]


def test_bad_addresses_and_fields_are_named_and_nothing_is_sent(people, approved) -> None:
    client = login(people.rep)
    response = client.post(
        f"/quotes/{approved.pk}/email/", {"to": "li@customer.cn, 不是地址", "subject": "x", "message": "y"}
    )
    assert response.status_code == 200 and "“不是地址” is not an e-mail address." in text(response)
    cases = [
        ({"to": ""}, "to"),
        ({"cc": "a@b.cn c@"}, "cc"),
        ({"subject": "   "}, "subject"),
        ({"subject": "长" * 201}, "subject"),
        ({"to": ",".join(f"p{n}@x.cn" for n in range(11))}, "cc"),
        ({"message": "字" * 5001}, "message"),
    ]
    for change, field in cases:
        values = {"to": "li@customer.cn", "cc": "", "subject": "报价", "message": "您好", **change}
        with pytest.raises(ValidationError) as caught:
            mailing.quote_email(actor=people.rep, quote=approved, **values)
        assert list(caught.value.message_dict) == [field], change
    assert Quote.objects.get(pk=approved.pk).status == QuoteStatus.APPROVED
    assert mail.outbox == []


def test_a_draft_is_not_emailed_and_others_may_not(people, opp, approved) -> None:
    draft = make_quote(people.rep, opp=opp)
    with pytest.raises(Conflict):
        mailing.quote_email(actor=people.rep, quote=draft, to="a@b.cn", subject="s", message="m")
    response = login(people.rep).get(f"/quotes/{draft.pk}/email/")
    assert response.status_code == 303 and response["Location"] == f"/quotes/{draft.pk}/"
    assert login(people.rep2).get(f"/quotes/{approved.pk}/email/").status_code == 404
    assert login(people.outsider).post(f"/quotes/{approved.pk}/email/", {"to": "a@b.cn"}).status_code == 404


def test_a_refused_mail_tells_the_rep(people, approved, django_capture_on_commit_callbacks) -> None:
    with (
        mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=OSError("refused")),
        django_capture_on_commit_callbacks(execute=True),
    ):  # the task fails (the queue records it), the rep is told
        mailing.quote_email(actor=people.rep, quote=approved, to="li@customer.cn", subject="报价", message="您好")
    [note] = Notification.objects.filter(recipient=people.rep, kind="quote_email_failed")
    assert note.params == {"quote": f"{approved.number} v1", "to": "li@customer.cn"}


def test_the_api_emails_with_default_subject_and_names_bad_addresses(
    people, approved, django_capture_on_commit_callbacks
) -> None:
    client = login(people.rep)
    url = f"/api/v1/quotes/{approved.pk}/email"
    bad = client.post(url, {"to": ["不是地址"]}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "to"
    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post(url, {"to": ["li@customer.cn"], "cc": ["boss@customer.cn"]}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "sent"
    [sent] = mail.outbox
    assert (sent.to, sent.cc) == (["li@customer.cn"], ["boss@customer.cn"])
    assert sent.subject.startswith(f"Quote {approved.number} v1")
