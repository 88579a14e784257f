"""Idempotent creates for integrations that retry (``Idempotency-Key`` header, docs/api).

A create endpoint wraps its work in ``idempotent``::

    @router.post("/leads", response={201: LeadOut, **ERROR_RESPONSES})
    def create_lead(request, payload: LeadIn):
        def create() -> tuple[int, dict]:
            lead = services.lead_create(actor=request.user, ...)
            return 201, LeadOut.from_orm(selectors.lead_get(user=request.user, pk=lead.pk)).model_dump(mode="json")

        status, body = idempotent(request, scope="leads.create", payload=payload.dict(), create=create)
        return Status(status, body)

- No header: ``create`` runs as usual.
- The first request with a key runs ``create`` in one transaction with the key's row, and stores the
  answer (status and JSON body). If ``create`` fails, nothing is stored: a retry runs again.
- The same key from the same caller on the same endpoint with the same body gets the stored answer;
  nothing is created the second time. Two requests racing with one key: the second waits for the
  first (the unique row) and then gets its answer.
- The same key with a different body: 422 naming ``Idempotency-Key``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import Conflict
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 100
KEEP_FOR = timedelta(days=1)


def request_hash(payload: Any) -> str:
    """A stable fingerprint of the request body (keys sorted, so the field order does not matter)."""
    text = json.dumps(payload, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def key_of(request: HttpRequest) -> str | None:
    """The request's idempotency key, None without one; a 422 naming the header if it is malformed."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationError({HEADER: _("An idempotency key has 1 to %(max)d characters.") % {"max": MAX_KEY_LENGTH}})
    return key


def idempotent(
    request: HttpRequest,
    *,
    scope: str,
    payload: Any,
    create: Callable[[], tuple[int, Any]],
) -> tuple[int, Any]:
    """Run ``create`` (returning ``(status, json_body)``) at most once per caller, scope and key."""
    key = key_of(request)
    if key is None:
        return create()
    actor: Any = request.user
    fingerprint = request_hash(payload)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    key=key, actor=actor, scope=scope, request_hash=fingerprint, status=0
                )
            first = True
        except IntegrityError:
            record = IdempotencyKey.objects.select_for_update().get(actor=actor, scope=scope, key=key)
            first = False
        if not first:
            if record.request_hash != fingerprint:
                raise ValidationError(
                    {HEADER: _("This idempotency key was already used with a different request; use a new key.")}
                )
            if record.status == 0:  # only visible to the same transaction: a nested call with one key
                raise Conflict(_("A request with this idempotency key is still running."), field=HEADER)
            return record.status, record.body
        status, body = create()
        record.status = status
        record.body = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
        record.save(update_fields=["status", "body"])
        return status, body


def purge_expired(*, older_than: timedelta = KEEP_FOR) -> int:
    """Forget answers older than ``older_than`` (a retry after that creates again)."""
    deleted, _rows = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
