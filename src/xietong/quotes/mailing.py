"""E-mailing a quote to the customer: the Chinese PDF attached, sent by XieTong on behalf of the sales
rep (their address as Reply-To, so the customer answers them), the quote marked sent.

``quote_email`` (the service) checks the addresses, marks the quote sent through ``quote_send`` (the
same rule: an approved or already sent quote), records who it went to in the quote's history and, once
committed, enqueues ``tasks.email_quote``; the task renders the PDF and sends the mail. If the mail
server refuses it, the task tells the rep in their notifications and fails, so the queue shows it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, mailers
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from xietong.core import audit
from xietong.core.models import AuditEntry

from . import pdf, services
from .models import Quote

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 10
SUBJECT_MAX = 200
MESSAGE_MAX = 5000
_SEPARATORS = re.compile(r"[,;，；\s]+")


def addresses(raw: str | list[str], field: str) -> list[str]:
    """The addresses of a field (separated by commas, semicolons — also full-width — or spaces),
    each checked; the first bad one named. Repeats count once."""
    parts = raw if isinstance(raw, list) else _SEPARATORS.split(raw or "")
    found: list[str] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        try:
            validate_email(part)
        except ValidationError:
            raise ValidationError({field: _("“%(address)s” is not an e-mail address.") % {"address": part}}) from None
        if part.lower() not in (f.lower() for f in found):
            found.append(part)
    return found


def default_subject(quote: Quote) -> str:
    company = _group_name()
    title = _("Quote %(number)s v%(version)s") % {"number": quote.number, "version": quote.version}
    return f"{title} — {company}" if company else title


def default_message(quote: Quote, sender: Any) -> str:
    contact = quote.contact
    greeting = _("Dear %(name)s,") % {"name": contact.name} if contact is not None else _("Hello,")
    body = _("Please find attached our quote %(number)s v%(version)s.") % {
        "number": quote.number,
        "version": quote.version,
    }
    if quote.valid_until:
        body += "\n" + _("It is valid until %(date)s.") % {"date": quote.valid_until.isoformat()}
    signature = "\n".join(part for part in (str(sender), getattr(sender, "email", ""), _group_name()) if part)
    return f"{greeting}\n\n{body}\n\n{signature}"


def default_recipient(quote: Quote) -> str:
    contact = quote.contact
    return contact.email if contact is not None else ""


def _group_name() -> str:
    from xietong.org.models import Group

    group = Group.objects.order_by("pk").first()
    return group.name if group is not None else ""


@transaction.atomic
def quote_email(
    *, actor: Any, quote: Quote | int, to: str | list[str], cc: str | list[str] = "", subject: str, message: str
) -> Quote:
    """Send an approved (or already sent) quote to the customer by e-mail with its PDF; the quote is
    marked sent. Every field is checked before anything is written."""
    to_list = addresses(to, "to")
    cc_list = [a for a in addresses(cc, "cc") if a.lower() not in {t.lower() for t in to_list}]
    if not to_list:
        raise ValidationError({"to": _("Enter at least one address.")})
    if len(to_list) + len(cc_list) > MAX_RECIPIENTS:
        raise ValidationError({"cc": _("At most %(count)d recipients.") % {"count": MAX_RECIPIENTS}})
    subject = " ".join(subject.split())
    if not subject:
        raise ValidationError({"subject": _("Enter a subject.")})
    if len(subject) > SUBJECT_MAX:
        raise ValidationError({"subject": _("At most %(count)d characters.") % {"count": SUBJECT_MAX}})
    if len(message) > MESSAGE_MAX:
        raise ValidationError({"message": _("At most %(count)d characters.") % {"count": MESSAGE_MAX}})
    sent = services.quote_send(actor=actor, quote=quote)  # the permission, the lock and the status rule
    audit.record(
        actor=actor,
        obj=sent,
        kind=AuditEntry.Kind.UPDATE,
        verb="quote_emailed",
        changes={"recipients": [None, ", ".join([*to_list, *cc_list])], "subject": [None, subject]},
    )
    params = {"quote_id": sent.pk, "sender_id": actor.pk, "to": to_list, "cc": cc_list}
    transaction.on_commit(lambda: _enqueue(**params, subject=subject, message=message), robust=True)
    return sent


def _enqueue(**kwargs: Any) -> None:
    from .tasks import email_quote

    email_quote.enqueue(**kwargs)


def quote_email_deliver(
    *, quote_id: int, sender_id: int, to: list[str], cc: list[str], subject: str, message: str
) -> None:
    """The task's work: the PDF rendered now (the quote is frozen once approved) and the mail sent."""
    from xietong.org.models import User

    quote = Quote.objects.select_related("customer", "contact").get(pk=quote_id)
    sender = User.objects.get(pk=sender_id)
    mail = EmailMessage(
        subject=subject,
        body=message,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        cc=cc,
        reply_to=[sender.email] if sender.email else [],
    )
    mail.attach(pdf.filename(quote), pdf.render_pdf(quote), "application/pdf")
    try:
        with mailers.default as connection:
            connection.send_messages([mail])
    except Exception:
        log.exception("e-mailing quote %s to %s failed", quote_id, to)
        _tell_failed(quote, sender, to)
        raise


def _tell_failed(quote: Quote, sender: Any, to: list[str]) -> None:
    from xietong.collaboration import services as collaboration

    collaboration.notifications_deliver(
        event_key=f"quote_email_failed:{quote.pk}:{','.join(to)}:{quote.sent_at.isoformat() if quote.sent_at else ''}",
        kind="quote_email_failed",
        recipient_ids=[sender.pk],
        actor_id=None,
        record=("quotes.quote", quote.pk),
        params={"quote": f"{quote.number} v{quote.version}", "to": ", ".join(to)},
    )
