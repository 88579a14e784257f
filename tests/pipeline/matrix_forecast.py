"""The forecast's part of the permission matrix (tests/test_permission_matrix.py): its routes address
a team by a query parameter or in the body (no id in the path), and its foreign record is a BU2
sales team. Every role outside BU2 answers 404 for it, the same as for a missing team."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.test import Client

from tests.support.matrix import Route


@dataclass(frozen=True)
class BodyRoute(Route):
    """An API route whose JSON body names the foreign record (``body(record)``)."""

    body: Callable[[Any], dict[str, Any]] | None = None

    def send(self, client: Client, record: Any) -> Any:
        payload = self.body(record) if self.body else (self.data or {})
        return getattr(client, self.method.lower())(
            self.url(record), data=json.dumps(payload), content_type="application/json"
        )


ADJUST = "/pipeline/forecast/adjust/?team={pk}&month=2027-01&category=commit"

ROUTES: list[Route] = [
    # pages
    Route("GET", "/pipeline/forecast/?team={pk}", "forecast_team"),
    Route("GET", "/pipeline/forecast/?team={pk}&period=2027-Q1", "forecast_team"),
    Route("GET", ADJUST, "forecast_team"),
    Route("POST", ADJUST, "forecast_team", {"commit-amount": "1000.00", "commit-comment": "越权"}),
    # API
    Route("GET", "/api/v1/forecasts?team_id={pk}", "forecast_team", api=True),
    Route("GET", "/api/v1/forecasts?team_id={pk}&period=2027-Q1", "forecast_team", api=True),
    BodyRoute(
        "PUT",
        "/api/v1/forecasts/adjustments",
        "forecast_team",
        api=True,
        body=lambda team: {
            "team_id": team.pk,
            "month": "2027-01",
            "category": "commit",
            "amount": "1000.00",
            "comment": "越权",
        },
    ),
]

NOT_SCOPED: dict[str, str] = {}


def foreign(org: dict[str, Any], outsider: Any) -> dict[str, Any]:
    """BU2's sales team 华北销售部 (with a deal of the outsider's in it, when the pipeline has a process)."""
    return {"forecast_team": org["north"]}
