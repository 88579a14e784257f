"""Notifications by e-mail, as each recipient prefers (``User.email_notifications``):

- **immediate** (the default): after ``services.notifications_deliver`` commits, the task
  ``tasks.email_notifications`` sends one e-mail per new notification of the occurrence (a person gets
  one notification per occurrence, so one e-mail per recipient and event);
- **daily**: the hourly job ``send-email-digests`` sends, at the first run at or after
  ``XIETONG_DIGEST_HOUR`` (local time), one e-mail listing the unread notifications of the 24 hours
  before that hour that were not e-mailed yet, grouped by kind; nothing when there is nothing new;
- **off**: nothing.

Nobody without an e-mail address or deactivated gets mail. Each e-mail is written in the recipient's
language (``translation.override(user.language)``), as plain text with an HTML alternative
(templates ``collaboration/emails/``), and links to the notification's "open" page
(``XIETONG_BASE_URL`` + ``collaboration:open``), which marks it read and goes on to the record only
while the reader may see it. The text is the notification's own (``selectors.decorate``): a mention
on a record the reader cannot see says so and names nothing, a team mention names only the team.

**At most once.** A notification is claimed before it is sent: one conditional UPDATE sets
``emailed_at`` where it is still empty, stamped with this run's time, and only the rows carrying that
stamp are sent. A task that runs twice, or two at once, send each notification once. If the mail
server refuses, the claim of what was not sent is released (``emailed_at`` back to empty) and the task
fails, so a re-run sends it; if the worker dies between claiming and sending, that e-mail is lost
(the notification itself stays in the app). We prefer a rare lost e-mail to duplicates.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from xietong.org.models import EmailNotifications

from . import kinds, selectors
from .models import Notification

log = logging.getLogger("xietong.collaboration.emails")

SUBJECT_MAX = 120


def base_url() -> str:
    return str(getattr(settings, "XIETONG_BASE_URL", "http://localhost:8000")).rstrip("/")


def absolute(path: str) -> str:
    return f"{base_url()}{path}"


def _wanting(qs: QuerySet[Notification], preference: str) -> QuerySet[Notification]:
    """Not e-mailed nor read yet, to active people who want ``preference`` and have an address."""
    return qs.filter(
        emailed_at__isnull=True,
        read_at__isnull=True,
        recipient__email_notifications=preference,
        recipient__is_active=True,
    ).exclude(recipient__email="")


def _claim(qs: QuerySet[Notification], *, stamp: datetime | None = None) -> list[Notification]:
    """Mark the rows of ``qs`` e-mailed (only those nobody claimed before) and answer the ones this
    call claimed, with their recipients: the stamp of this call (its run's time, to the microsecond)
    tells them apart from rows another run claimed meanwhile."""
    ids = list(qs.values_list("pk", flat=True))
    if not ids:
        return []
    stamp = stamp or timezone.now()
    Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(emailed_at=stamp)
    return list(
        Notification.objects.filter(pk__in=ids, emailed_at=stamp)
        .select_related("recipient", "actor")
        .order_by("recipient_id", "-pk")
    )


def _release(notifications: Iterable[Notification]) -> None:
    """Give back the claim of what was not sent, so that a re-run sends it."""
    for n in notifications:
        Notification.objects.filter(pk=n.pk, emailed_at=n.emailed_at).update(emailed_at=None)


def _subject(text: str) -> str:
    line = " ".join(text.split())
    if len(line) > SUBJECT_MAX:
        line = line[: SUBJECT_MAX - 1] + "…"
    return f"[{_('XieTong')}] {line}"


def _message(recipient: Any, subject: str, template: str, context: dict[str, Any]) -> EmailMultiAlternatives:
    context = {
        **context,
        "recipient": recipient,
        "site_url": absolute("/"),
        "notifications_url": absolute(reverse("collaboration:notifications")),
        "preferences_url": absolute(reverse("accounts:profile")),
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"collaboration/emails/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(render_to_string(f"collaboration/emails/{template}.html", context), "text/html")
    return message


def _language(user: Any) -> str:
    return str(user.language or settings.LANGUAGE_CODE)


def _send(batches: list[tuple[EmailMultiAlternatives, list[Notification]]]) -> int:
    """Send each message; when one fails, release the claims of it and of those after it, then fail."""
    if not batches:
        return 0
    sent = 0
    try:
        with mailers.default as connection:  # one connection for the batch
            for message, _notes in batches:
                connection.send_messages([message])
                sent += 1
    except Exception:
        _release(n for _m, notes in batches[sent:] for n in notes)
        log.exception("sending notification e-mail to %s failed", batches[min(sent, len(batches) - 1)][0].to)
        raise
    return sent


# --- immediately ------------------------------------------------------------------------------------


def emails_send_for_event(*, event_key: str) -> int:
    """Send one e-mail per notification of the occurrence ``event_key`` to the recipients who want
    them at once. Retry-safe (see the module). Answers the number of e-mails sent."""
    claimed = _claim(_wanting(Notification.objects.filter(event_key=event_key), EmailNotifications.IMMEDIATE))
    batches = []
    for _recipient_id, group in groupby(claimed, key=lambda n: n.recipient_id):
        notes = list(group)
        recipient = notes[0].recipient
        with translation.override(_language(recipient)):
            for n in _with_texts(notes, recipient):
                text = n.text  # type: ignore[attr-defined]
                context = {
                    "text": text,
                    "kind_label": _kind_label(n.kind),
                    "open_url": absolute(reverse("collaboration:open", args=[n.pk])),
                    "created_at": n.created_at,
                }
                batches.append((_message(recipient, _subject(text), "notification", context), [n]))
    return _send(batches)


def _with_texts(notes: list[Notification], recipient: Any) -> list[Notification]:
    """Each notification's text as the recipient reads it in the app (``selectors.decorate``). Only the
    kinds that quote their record depend on whether the reader still sees it; the others read alike for
    everyone, so a team mention to hundreds costs no visibility query per member."""
    quoting = [n for n in notes if n.kind in selectors.HIDDEN_WHEN_UNSEEN]
    if quoting:
        selectors.decorate(quoting, user=recipient)
    for n in notes:
        if n.kind not in selectors.HIDDEN_WHEN_UNSEEN:
            n.text = kinds.text_of(n.kind, n.params)  # type: ignore[attr-defined]
    return notes


def _kind_label(code: str) -> str:
    kind = kinds.get(code)
    return str(kind.label) if kind is not None else code


# --- the daily digest -------------------------------------------------------------------------------


def digest_hour() -> int:
    return int(getattr(settings, "XIETONG_DIGEST_HOUR", 8))


def digest_slot(now: datetime) -> datetime:
    """The latest digest time at or before ``now``: today at the digest hour (local), or yesterday's."""
    local = timezone.localtime(now)
    slot = local.replace(hour=digest_hour(), minute=0, second=0, microsecond=0)
    return slot if slot <= local else slot - timedelta(days=1)


def digests_send(*, now: datetime | None = None) -> int:
    """Send the digest due at the latest slot to every "daily" person who has not had it: the unread,
    not yet e-mailed notifications created in the 24 hours before the slot. Answers the number of
    e-mails sent; running it again in the same slot sends nothing."""
    now = now or timezone.now()
    slot = digest_slot(now)
    window = Notification.objects.filter(created_at__gte=slot - timedelta(days=1), created_at__lt=slot)
    pending = _wanting(window, EmailNotifications.DAILY)
    recipient_ids = sorted(set(pending.values_list("recipient_id", flat=True)))
    sent = 0
    for recipient_id in recipient_ids:
        if Notification.objects.filter(recipient_id=recipient_id, emailed_at__gte=slot).exists():
            continue  # this slot's digest went out already
        claimed = _claim(pending.filter(recipient_id=recipient_id), stamp=now)
        if claimed:
            sent += _send([(_digest_message(claimed, slot=slot), claimed)])
    return sent


def _digest_message(notes: list[Notification], *, slot: datetime) -> EmailMultiAlternatives:
    recipient = notes[0].recipient
    with translation.override(_language(recipient)):
        decorated = _with_texts(notes, recipient)
        groups: dict[str, list[dict[str, Any]]] = {}
        for n in decorated:  # newest first: the group with the latest news comes first
            groups.setdefault(_kind_label(n.kind), []).append(
                {
                    "text": n.text,  # type: ignore[attr-defined]
                    "open_url": absolute(reverse("collaboration:open", args=[n.pk])),
                    "created_at": n.created_at,
                }
            )
        count = len(decorated)
        subject = _subject(
            ngettext(
                "Your daily digest: %(count)d new notification",
                "Your daily digest: %(count)d new notifications",
                count,
            )
            % {"count": count}
        )
        return _message(
            recipient,
            subject,
            "digest",
            {"groups": list(groups.items()), "count": count, "since": slot - timedelta(days=1), "until": slot},
        )
