"""The global search of the top bar: apps register providers; each answers only what the user may see.

An app adds one ``SearchProvider`` per kind of record (docs/subsystems/search.md), from its
``AppConfig.ready`` like the navigation entries::

    search.register(SearchProvider("customers", _("Customers"), "buildings", _customers, order=20))

The rule every provider follows, because search must agree with the lists about who sees what
(design/data-visibility.md, "the same rule applies to every path"):

- its ``search(user, query, limit)`` **starts from the model's ``visible_to(user)``** (directly or
  through a selector that does), never from ``Model.objects.all()`` or ``.filter()``;
- it asks the module permission first (``user.access.can(module, "view")``) and returns ``[]``
  without a query when the user lacks it;
- it slices its queryset to ``limit`` (no unbounded query) and fetches related rows up front
  (``select_related``), so a search costs a fixed number of queries whatever the number of matches.

The query reaching a provider is already stripped, capped at ``MAX_QUERY_LENGTH`` characters and
long enough (``is_too_short``): one CJK character is a meaningful query ("王"), one Latin letter is not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

MAX_QUERY_LENGTH = 100
MIN_LENGTH = 2  # a query without CJK characters ("li", "13")
MIN_LENGTH_CJK = 1  # a query with at least one CJK character ("王")

# CJK ideographs (with extensions and compatibility forms), kana and hangul.
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]")


@dataclass(frozen=True)
class SearchHit:
    """One result: what it is called, one line that tells it apart, and the record page."""

    title: str
    subtitle: str
    url: str


@dataclass(frozen=True)
class SearchProvider:
    """One kind of record in the global search. ``search(user, query, limit)`` MUST start from the
    model's ``visible_to(user)`` and return at most ``limit`` hits (see the module docstring)."""

    key: str
    label: str | Promise
    icon: str  # a Bootstrap Icons name without the "bi-" prefix
    search: Callable[[Any, str, int], list[SearchHit]]
    order: int = 100


_providers: dict[str, SearchProvider] = {}


def register(provider: SearchProvider) -> None:
    """Add (or, for the same key, replace) a provider. Call it from ``AppConfig.ready``."""
    _providers[provider.key] = provider


def providers() -> list[SearchProvider]:
    return sorted(_providers.values(), key=lambda p: (p.order, p.key))


def clean_query(raw: str | None) -> str:
    """The query as providers get it: surrounding whitespace and NUL characters (which no name holds
    and PostgreSQL refuses) stripped, at most 100 characters."""
    return (raw or "").replace("\x00", "").strip()[:MAX_QUERY_LENGTH].strip()


def is_too_short(query: str) -> bool:
    """One CJK character is a name ("王"); one Latin letter or digit matches nearly everything."""
    minimum = MIN_LENGTH_CJK if _CJK.search(query) else MIN_LENGTH
    return len(query) < minimum


def search_all(user: Any, q: str, limit_per_provider: int = 5) -> list[tuple[SearchProvider, list[SearchHit]]]:
    """Each provider's hits for ``q`` (cleaned here), in provider order; providers without hits are left out.
    An empty or too short query searches nothing."""
    query = clean_query(q)
    if not query or is_too_short(query):
        return []
    results: list[tuple[SearchProvider, list[SearchHit]]] = []
    for provider in providers():
        hits = provider.search(user, query, limit_per_provider)[:limit_per_provider]
        if hits:
            results.append((provider, hits))
    return results


def highlight(text: Any, query: str) -> SafeString:
    """``text`` escaped, each case-insensitive occurrence of ``query`` wrapped in ``<mark>``.

    The text is split on the raw query and every piece is escaped on its own, so a query can never
    match inside an entity (``amp`` in ``&amp;``) and nothing the user typed is trusted.
    """
    value = "" if text is None else str(text)
    if not query:
        return format_html("{}", value)
    parts = re.split(f"({re.escape(query)})", value, flags=re.IGNORECASE)
    # With one capturing group the odd pieces are the matches.
    return format_html_join(
        "",
        "{}",
        ((format_html("<mark>{}</mark>", part) if index % 2 else part,) for index, part in enumerate(parts) if part),
    )
