"""REST API (see config/api.py)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["pipeline"])
