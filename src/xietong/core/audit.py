"""Recording changes in the audit trail. Services call ``record`` inside their transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy

from . import events
from .context import current_request_id
from .models import AuditEntry

Snapshot = dict[str, Any]


def _display(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> Snapshot:
    """The displayable values of the audited fields (``Model.audit_fields``) of ``obj``.

    Labels (choices, or a model's own ``get_<field>_display()``) are written in the installation's
    default language, whoever makes the change, so the trail reads the same for everyone and never
    mixes languages.
    """
    names = list(fields if fields is not None else getattr(obj, "audit_fields", ()))
    with translation.override(settings.LANGUAGE_CODE):
        return {name: _field_value(obj, name) for name in names}


def _field_value(obj: models.Model, name: str) -> Any:
    field = obj._meta.get_field(name)
    if isinstance(field, models.ForeignKey):
        return _display(getattr(obj, name))
    label = getattr(obj, f"get_{name}_display", None)  # a field with choices, or a model's own
    if callable(label):
        return _display(label())
    if isinstance(field, models.FileField):  # the file's name, not where it is stored
        stored = getattr(obj, name)
        return _display(stored.name.rsplit("/", 1)[-1] if stored else "")
    return _display(getattr(obj, name))


def diff(before: Snapshot, after: Snapshot) -> dict[str, list[Any]]:
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def record(
    *,
    actor: Any,
    obj: models.Model,
    kind: str,
    verb: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        request_id=current_request_id(),
        kind=kind,
        verb=verb,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=changes or {},
    )
    # after the commit, apps above react (collaboration: owners follow, followers hear of changes)
    events.publish(
        "audit.recorded",
        key=f"audit:{entry.pk}",
        entry_id=entry.pk,
        model=obj._meta.label_lower,
        object_id=entry.object_id,
        actor_id=entry.actor_id,
        kind=kind,
        fields=sorted(entry.changes),
    )
    return entry


def record_create(*, actor: Any, obj: models.Model, verb: str = "") -> AuditEntry:
    return record(
        actor=actor,
        obj=obj,
        kind=AuditEntry.Kind.CREATE,
        verb=verb,
        changes={k: [None, v] for k, v in snapshot(obj).items() if v not in (None, "")},
    )


def record_update(*, actor: Any, obj: models.Model, before: Snapshot, verb: str = "") -> AuditEntry | None:
    changes = diff(before, snapshot(obj, before.keys()))
    if not changes:
        return None
    return record(actor=actor, obj=obj, kind=AuditEntry.Kind.UPDATE, verb=verb, changes=changes)


def history(obj: models.Model) -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.for_object(obj).select_related("actor")


# --- how the trail reads: labels of verbs and of change keys that are not model fields --------
# Each app registers its own (in its ``audit_labels`` module, imported from ``AppConfig.ready``).

VERB_LABELS: dict[str, Any] = {}
CHANGE_LABELS: dict[tuple[str, str], Any] = {("", "reason"): gettext_lazy("Reason")}


def register_verb(verb: str, label: Any) -> None:
    """Name an audit verb (``record(verb=...)``) for display. Verbs are global: two apps giving one
    verb different labels is a mistake (one would relabel the other's history), so it is refused."""
    known = VERB_LABELS.get(verb)
    if known is not None and known is not label and str(known) != str(label):
        raise ValueError(f"audit verb {verb!r} is already labelled {str(known)!r}; choose another verb")
    VERB_LABELS[verb] = label


def register_change_label(model_label: str, key: str, label: Any) -> None:
    """Name a change key that is not a field (``"org.team", "managers"``); model "" for any model."""
    CHANGE_LABELS[(model_label.lower(), key)] = label


# --- who reads which entries -----------------------------------------------------------------
# An entry is shown to whoever sees its record: records with a ``visible_to`` entry point follow it;
# other models (configuration such as roles) register who may read their entries.

_ACCESS_CHECKS: dict[str, Callable[[Any], bool]] = {}


def register_access(model_label: str, check: Callable[[Any], bool]) -> None:
    """Who may read the entries of a model without ``visible_to`` (e.g. roles: holders of roles.view)."""
    _ACCESS_CHECKS[model_label.lower()] = check


def visible_entries(user: Any) -> models.QuerySet[AuditEntry]:
    """The audit entries of records ``user`` sees — the same rule as every other path. One query:
    a ``visible_to`` subquery per kind of record."""
    from django.apps import apps
    from django.db.models import Q

    from .visibility import VisibleQuerySet, attached_to_visible

    all_models = apps.get_models()
    condition = attached_to_visible(
        user, [m for m in all_models if isinstance(m._default_manager.all(), VisibleQuerySet)]
    )
    for model in all_models:
        check = _ACCESS_CHECKS.get(model._meta.label_lower)
        if check is not None and check(user):
            condition |= Q(content_type=ContentType.objects.get_for_model(model))
    return AuditEntry.objects.filter(condition)
