"""The permission matrix: every route × every role × a record outside the role's scope.

A route is declared once with the record kind it addresses. For each role the test builds a user
holding that role, picks a record the user cannot see, sends the request and requires 404 — the
same answer as a missing record — with nothing changed in the database. ``uncovered_routes`` lets
a test fail when an app adds a page or endpoint with a record id that no matrix row covers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    """``path`` contains ``{pk}`` for the foreign record (and may contain other ``{name}`` slots)."""

    method: str
    path: str
    record: str  # key of the record kind, e.g. "user", "team", "business_unit"
    data: dict[str, Any] | None = None
    api: bool = False
    extra: dict[str, Callable[[Any], Any]] = field(default_factory=dict)

    def url(self, record: Any) -> str:
        values = {"pk": record.pk, **{k: fn(record) for k, fn in self.extra.items()}}
        return self.path.format(**values)

    def send(self, client: Client, record: Any) -> Any:
        url = self.url(record)
        method = self.method.lower()
        if self.api:
            body = json.dumps(self.data or {})
            return (
                getattr(client, method)(url, data=body, content_type="application/json")
                if method != "get"
                else client.get(url)
            )
        if method == "get":
            return client.get(url)
        return getattr(client, method)(url, data=self.data or {})


def database_fingerprint(models: Iterable[str] | None = None) -> str:
    """A hash of every row of the given models (default: every model of our apps)."""
    digest = hashlib.sha256()
    labels = (
        list(models)
        if models is not None
        else [m._meta.label for m in apps.get_models() if m.__module__.startswith("xietong.")]
    )
    for label in sorted(labels):
        model = apps.get_model(label)
        rows = list(model._default_manager.order_by("pk").values_list())
        digest.update(label.encode())
        digest.update(repr(rows).encode())
    return digest.hexdigest()


def assert_invisible(client: Client, routes: Iterable[Route], records: dict[str, Any], *, who: str = "") -> None:
    """Each route on the record outside the scope answers 404 and changes nothing."""
    failures = []
    before = database_fingerprint()
    for route in routes:
        record = records[route.record]
        response = route.send(client, record)
        after = database_fingerprint()
        if response.status_code != 404:
            failures.append(f"{who}: {route.method} {route.url(record)} → {response.status_code}, expected 404")
        if before != after:
            failures.append(f"{who}: {route.method} {route.url(record)} changed the database")
        if route.api and response.status_code == 404:
            body = response.json()
            if set(body) != {"detail", "errors"}:
                failures.append(f"{who}: {route.method} {route.url(record)} error shape {sorted(body)}")
        before = after  # the state after one route is the state before the next
    assert not failures, "\n".join(failures)


def _walk(patterns: list[Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def routes_with_ids() -> list[str]:
    """Every URL pattern of our apps that addresses a record by id (pages and API operations)."""
    found = []
    for pattern, _p in _walk(get_resolver().url_patterns):
        if pattern.startswith(("django-admin/", "static/", "media/")):
            continue
        if "<" in pattern or "{" in pattern:  # any path parameter: Django's <int:pk>, ninja's <user_id>
            found.append(pattern)
    return sorted(set(found))


def normalise(path: str) -> str:
    """``/org/users/{pk}/edit/`` and ``org/users/<int:pk>/edit/`` both become ``org/users/*/edit/``."""
    import re

    path = path.lstrip("/")
    path = re.sub(r"<[^>]+>", "*", path)
    path = re.sub(r"\{[^}]+\}", "*", path)
    return path


def uncovered_routes(routes: Iterable[Route]) -> list[str]:
    covered = {normalise(r.path) for r in routes}
    return [p for p in routes_with_ids() if normalise(p) not in covered]


def vendor() -> str:
    return connection.vendor
