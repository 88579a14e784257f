"""The pipeline analysis's part of the permission matrix (tests/test_permission_matrix.py): its page
and endpoint address a sales process by a query parameter (no id in the path); the foreign record is
BU2's process (``matrix_pages.foreign`` makes it, under the record kind "process"). Every role outside
BU2 answers 404 for it, the same as for a missing process."""

from __future__ import annotations

from typing import Any

from tests.support.matrix import Route

ROUTES: list[Route] = [
    Route("GET", "/pipeline/analytics/?process={pk}", "process"),
    Route("GET", "/pipeline/analytics/?process={pk}&scope=team&date_from=2027-01-01&date_to=2027-03-31", "process"),
    Route("GET", "/api/v1/pipeline-analytics?process_id={pk}", "process", api=True),
    Route("GET", "/api/v1/pipeline-analytics?process_id={pk}&scope=mine&date_from=2027-01-01", "process", api=True),
]

NOT_SCOPED: dict[str, str] = {}


def foreign(org: dict[str, Any], outsider: Any) -> dict[str, Any]:
    """Nothing of its own: the process comes from ``matrix_pages.foreign``."""
    return {}
