"""This area's part of the permission matrix (tests/test_permission_matrix.py): the board's routes
with an opportunity id, the routes with an id that address no scoped record (none), and its foreign
record."""

from __future__ import annotations

from typing import Any

from tests.support import pipeline
from tests.support.matrix import Route

ROUTES: list[Route] = [
    Route("POST", "/pipeline/board/{pk}/move/", "opportunity", {"stage": ""}),
    Route("GET", "/pipeline/opportunities/{pk}/quick/", "opportunity"),
    Route("POST", "/pipeline/opportunities/{pk}/quick/", "opportunity", {"amount": "1", "expected_close": ""}),
]

NOT_SCOPED: dict[str, str] = {}


def foreign(org: dict[str, Any], outsider: Any) -> dict[str, Any]:
    """An opportunity owned in BU2 by ``outsider``: name → record."""
    return {"opportunity": pipeline.opportunity(outsider, business_unit=org["bu2"], name="华北外部商机")}
