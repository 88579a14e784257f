"""The quotes' background work."""

from __future__ import annotations

from django.tasks import task


@task
def email_quote(*, quote_id: int, sender_id: int, to: list[str], cc: list[str], subject: str, message: str) -> None:
    """E-mail a quote's PDF to the customer (``mailing.quote_email`` enqueues it after the commit)."""
    from . import mailing

    mailing.quote_email_deliver(quote_id=quote_id, sender_id=sender_id, to=to, cc=cc, subject=subject, message=message)
