"""Context for the UI components every record page shows: the history panel and "why can I see this?".

Templates: ``components/history.html`` (partial ``entries`` for "load more") and ``components/why.html``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db import models

from .audit import history
from .params import LARGEST
from .visibility import explain

HISTORY_PAGE = 10


def history_panel(obj: models.Model, *, url: str, offset: int = 0, size: int = HISTORY_PAGE) -> dict[str, Any]:
    """One page of ``obj``'s audit history from ``offset``; ``more_url`` loads the next page."""
    offset = min(max(offset, 0), LARGEST - size - 1)  # past the end is empty, not a database error
    entries = list(history(obj).select_related("actor")[offset : offset + size + 1])
    more = len(entries) > size
    return {
        "entries": entries[:size],
        "offset": offset,
        "history_url": url,
        "more_url": f"{url}?offset={offset + size}" if more else "",
    }


def why_panel(user: Any, obj: models.Model) -> dict[str, Any]:
    return {"reasons": explain(user, obj), "record": obj}


# --- links from the audit trail to the records it names ------------------------------------

_record_urls: dict[str, str] = {}


def register_record_url(model_label: str, url_name: str) -> None:
    """Apps name the page of their records (``"org.team"`` → ``"org:team_detail"``, one ``pk`` arg)."""
    _record_urls[model_label.lower()] = url_name


def record_url(content_type_id: int, object_id: str) -> str:
    """The page of an audited record, or "" when its app registered none."""
    from django.contrib.contenttypes.models import ContentType
    from django.urls import NoReverseMatch, reverse

    ct = ContentType.objects.get_for_id(content_type_id)
    url_name = _record_urls.get(f"{ct.app_label}.{ct.model}")
    if not url_name:
        return ""
    try:
        return reverse(url_name, args=[object_id])
    except NoReverseMatch:
        return ""


# --- panels that higher apps add to record pages (NetBox's template extensions) ---------------

_record_panels: list[tuple[int, str]] = []


def register_record_panel(template_name: str, *, order: int = 100) -> None:
    """A template rendered on every record page below its body, with ``record`` in its context.
    The template decides whether it applies (e.g. only to records with the collaboration surface)."""
    if template_name not in [name for _order, name in _record_panels]:
        _record_panels.append((order, template_name))
        _record_panels.sort()


def record_panels() -> list[str]:
    return [name for _order, name in _record_panels]


_record_alerts: list[str] = []


def register_record_alert(template_name: str) -> None:
    """A template rendered under a record page's header (before its body), with ``record`` in its
    context: for what must be seen first (a deal at risk). It decides whether it applies."""
    if template_name not in _record_alerts:
        _record_alerts.append(template_name)


def record_alerts() -> list[str]:
    return list(_record_alerts)


_record_actions: list[str] = []


def register_record_action(template_name: str) -> None:
    """A template rendered among a record page's header actions, after the page's own, with the
    page's context and ``record``: a higher app's action on a lower app's record (the import of a
    price book's prices). It decides whether it applies."""
    if template_name not in _record_actions:
        _record_actions.append(template_name)


def record_actions() -> list[str]:
    return list(_record_actions)


# --- badges that higher apps put on the product lines of lower apps' documents -----------------

_line_annotators: list[tuple[Callable[[Any, list[Any], date], list[Any]], str]] = []


def register_line_annotator(annotate: Callable[[Any, list[Any], date], list[Any]], template_name: str) -> None:
    """Decorate the product lines of quotes and orders (S&OP's available-to-promise).

    ``annotate(user, lines, on)`` sets attributes on the lines for all of them at once (no query per
    line) and answers the lines it has something to show on (none for a user who may not see stock);
    ``template_name`` then renders on those lines' rows with ``line`` in its context."""
    if template_name not in [name for _fn, name in _line_annotators]:
        _line_annotators.append((annotate, template_name))


def annotate_lines(user: Any, lines: list[Any], on: date) -> None:
    """Run the registered annotators on ``lines``: each line's ``badges`` are the templates to include
    on its row (a line with nothing to show includes none)."""
    for line in lines:
        line.badges = []
    if not lines:
        return
    for annotate, name in _line_annotators:
        for line in annotate(user, lines, on):
            line.badges.append(name)
