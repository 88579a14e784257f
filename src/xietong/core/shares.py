"""Sharing one business record with a person (docs/subsystems/visibility.md, "Shares").

A share widens who sees (or edits) one record of a model whose policy is an ``OwnedRecordPolicy``
with ``shareable=True``; the policy's share rule reads the ``RecordShare`` rows. Whoever may edit a
record may share it — read-only, or for editing — optionally until a date. Each share is audited
on the record and announced (``core.record_shared``) so the person is told.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import audit, events
from .choices import ShareAccess
from .errors import NotFound, PermissionDenied, ValidationError
from .models import AuditEntry, RecordShare
from .visibility import OwnedRecordPolicy, VisibleQuerySet, addressable_people

audit.register_verb("share", gettext_lazy("Shared"))
audit.register_verb("unshare", gettext_lazy("Share ended"))
audit.register_change_label("", "shared_with", gettext_lazy("Shared with"))


def shareable(model: type[models.Model]) -> bool:
    """Whether records of ``model`` can be shared at all (an owned record with shares on)."""
    qs = model._default_manager.all()
    if not isinstance(qs, VisibleQuerySet):
        return False
    policy = type(qs).policy(model)
    return isinstance(policy, OwnedRecordPolicy) and policy.shareable


def _sees(user: Any, record: models.Model, action: str = "view") -> bool:
    manager: Any = type(record)._default_manager
    return bool(manager.visible_to(user, action).filter(pk=record.pk).exists())


def can_share(user: Any, record: models.Model) -> bool:
    """Whoever may edit a shareable record may share it."""
    return shareable(type(record)) and _sees(user, record, "edit")


@transaction.atomic
def share_record(
    *, actor: Any, record: models.Model, user: Any, access: str = ShareAccess.READ, until: date | None = None
) -> RecordShare:
    """Share ``record`` with ``user`` (a person ``actor`` sees). Sharing again changes the access and
    the end date of the existing share. ``NotFound`` if ``actor`` does not see the record;
    ``PermissionDenied`` if they may not edit it or it cannot be shared."""
    if not _sees(actor, record):
        raise NotFound()
    if not can_share(actor, record):
        raise PermissionDenied(_("Only those who may edit a record can share it."))
    if access not in ShareAccess.values:
        raise ValidationError({"access": _("Choose read or edit.")})
    if until is not None and until < timezone.localdate():
        raise ValidationError({"until": _("The end date cannot be in the past.")})
    if user is None or not addressable_people(actor).filter(pk=user.pk).exists():
        raise ValidationError({"user": _("Choose an active person you can see or who works in your business unit.")})
    share, created = RecordShare.objects.update_or_create(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        user=user,
        defaults={"access": access, "until": until, "granted_by": actor},
    )
    label = str(ShareAccess(access).label)
    shared = f"{user} ({label})" if until is None else f"{user} ({label}, {until:%Y-%m-%d})"
    entry = audit.record(
        actor=actor, obj=record, kind=AuditEntry.Kind.UPDATE, verb="share", changes={"shared_with": [None, shared]}
    )
    events.publish(
        "core.record_shared",
        key=f"share:{entry.pk}",
        record=[record._meta.label_lower, record.pk],
        record_name=str(record),
        user_id=user.pk,
        actor_id=actor.pk,
        actor=str(actor),
        access=access,
        created=created,
    )
    return share


@transaction.atomic
def share_revoke(*, actor: Any, share: RecordShare, record: models.Model) -> None:
    """End a share of ``record``: whoever may share the record may end its shares."""
    if not can_share(actor, record):
        raise PermissionDenied(_("Only those who may edit a record can change its shares."))
    target = str(share.user or share.team)
    share.delete()
    audit.record(
        actor=actor, obj=record, kind=AuditEntry.Kind.UPDATE, verb="unshare", changes={"shared_with": [target, None]}
    )


def shares_of(*, record: models.Model) -> models.QuerySet[RecordShare]:
    """The record's shares (the caller has resolved the record for its user)."""
    return (
        RecordShare.objects.filter(content_type=ContentType.objects.get_for_model(record), object_id=record.pk)
        .select_related("user", "team", "granted_by")
        .order_by("pk")
    )
