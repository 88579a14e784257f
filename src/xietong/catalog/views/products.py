"""Pages: products and categories (see catalog/urls.py)."""

from __future__ import annotations

from typing import Any

urlpatterns: list[Any] = []
