"""Which records get the collaboration surface (comments, followers, later tasks, files, timeline).

A domain app declares it once for its model, from its ``AppConfig.ready``::

    from xietong.collaboration import registry
    registry.register(Customer, owner_field="owner")

and its record pages include the collaboration panels. Records are addressed as ``"app_label.model:pk"``
(``"org.team:12"``) in the API (``/api/v1/comments?record=org.team:12``) and in URLs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import CharField, Q
from django.db.models.functions import Cast

from xietong.core.errors import NotFound


@dataclass(frozen=True)
class Surface:
    model: type[models.Model]
    owner_field: str | None = None  # owners follow their records automatically

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


_surfaces: dict[str, Surface] = {}


def register(model: type[models.Model], *, owner_field: str | None = None) -> Surface:
    surface = Surface(model=model, owner_field=owner_field)
    _surfaces[surface.label] = surface
    return surface


def surfaces() -> list[Surface]:
    return list(_surfaces.values())


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
    """A predicate on rows attached to records (``content_type`` + text ``object_id``): the rows whose
    record ``user`` sees. One ``visible_to`` subquery per kind of record."""
    condition = Q(pk__in=[])
    for surface in _surfaces.values():
        ids = (
            surface.model._default_manager.visible_to(user)  # type: ignore[attr-defined]
            .annotate(collab_object_id=Cast("pk", CharField()))
            .values("collab_object_id")
        )
        condition |= Q(**{ct_field: ContentType.objects.get_for_model(surface.model), f"{id_field}__in": ids})
    return condition


def model_for(label: str) -> type[models.Model]:
    return apps.get_model(label)
