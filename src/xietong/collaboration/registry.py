"""Which records get the collaboration surface (comments, followers, later tasks, files, timeline).

A domain app declares it once for its model, from its ``AppConfig.ready``::

    from xietong.collaboration import registry
    registry.register(Customer, owner_field="owner", notify_fields=("owner", "status", "level"))

and its record pages include the collaboration panels. Records are addressed as ``"app_label.model:pk"``
(``"org.team:12"``) in the API (``/api/v1/comments?record=org.team:12``) and in URLs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from xietong.core.errors import NotFound
from xietong.core.params import as_int
from xietong.core.visibility import attached_to_visible


@dataclass(frozen=True)
class Surface:
    model: type[models.Model]
    owner_field: str | None = None  # owners follow their records automatically
    # the changes followers are told of (audited field names); None: every audited change
    notify_fields: tuple[str, ...] | None = None

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


_surfaces: dict[str, Surface] = {}


def register(
    model: type[models.Model], *, owner_field: str | None = None, notify_fields: tuple[str, ...] | None = None
) -> Surface:
    surface = Surface(model=model, owner_field=owner_field, notify_fields=notify_fields)
    _surfaces[surface.label] = surface
    return surface


def surfaces() -> list[Surface]:
    return list(_surfaces.values())


def has_surface(record: Any) -> bool:
    """Whether ``record`` is of a model with the collaboration surface."""
    label = getattr(getattr(record, "_meta", None), "label_lower", None)
    return label is not None and label in _surfaces


def surface_of(label: str) -> Surface | None:
    """The surface of the model ``"app_label.model"``, or None when it has none."""
    return _surfaces.get(label.lower())


def record_key(obj: models.Model) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def resolve(user: Any, key: str, action: str = "view") -> models.Model:
    """The record named by ``"app_label.model:pk"`` if it has the surface and ``user`` may take
    ``action`` on it; ``NotFound`` otherwise (unknown kind, missing, invisible: all alike)."""
    label, _sep, pk = (key or "").partition(":")
    surface = _surfaces.get(label.lower())
    if surface is None or not pk:
        raise NotFound()
    return surface.model._default_manager.get_visible(user, pk, action)  # type: ignore[attr-defined]


def visible_records_q(user: Any, *, ct_field: str = "content_type", id_field: str = "object_id") -> Q:
    """A predicate on rows attached to records with the surface: the rows whose record ``user`` sees."""
    return attached_to_visible(user, [s.model for s in _surfaces.values()], ct_field=ct_field, id_field=id_field)


def model_for(label: str) -> type[models.Model]:
    return apps.get_model(label)


RecordRef = tuple[int, str]  # (content type id, object id) as collaboration rows store them


def visible_records(user: Any, refs: Iterable[RecordRef]) -> dict[RecordRef, models.Model]:
    """The records among ``refs`` that ``user`` sees, by reference: one ``visible_to`` query per kind
    of record, whatever the number of refs (for links from notifications, tasks, the timeline)."""
    wanted: dict[int, set[str]] = {}
    for ct_id, object_id in refs:
        wanted.setdefault(ct_id, set()).add(object_id)
    found: dict[RecordRef, models.Model] = {}
    for ct_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        manager = getattr(model, "_default_manager", None)
        if manager is None or not hasattr(manager, "visible_to"):
            continue
        for obj in manager.visible_to(user).filter(pk__in=[as_int(i, 0) for i in ids]):
            found[(ct_id, str(obj.pk))] = obj
    return found


def panel_viewer(context: Any, record: Any) -> Any:
    """For the record panels' template tags: the request's user when ``record`` has the surface and
    they see it (checked once per record and request: ``timeline.sees_record`` remembers), else None
    — the panel then renders nothing."""
    from .timeline import sees_record

    user = getattr(context.get("request"), "user", None)
    if user is None or not has_surface(record) or not sees_record(user, record):
        return None
    return user
