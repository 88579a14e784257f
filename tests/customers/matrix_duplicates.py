"""This area's part of the permission matrix (tests/test_permission_matrix.py): its routes with an
id, the routes with an id that address no scoped record (and why), and its foreign records."""

from __future__ import annotations

from typing import Any

from tests.support.matrix import Route

ROUTES: list[Route] = []
NOT_SCOPED: dict[str, str] = {}


def foreign(org: dict[str, Any], outsider: Any) -> dict[str, Any]:
    """Records of this area owned in BU2 by ``outsider`` (or another BU2 user): name → record."""
    return {}
