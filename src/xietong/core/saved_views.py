"""Saved views: a person's named filters and sort on a list page, one mechanism for every list.

- ``saved_view_save(user=..., list_name="customers", name="A-level in Shanghai", query="level=A&...")``
  saves (or, under the same name, replaces) the view; the cursor and page parameters are dropped.
- ``saved_view_delete(user=..., pk=...)`` deletes one's own view (anyone else's is ``NotFound``).
- ``saved_views(user=..., list_name=...)`` the user's views of a list, by name (one query).
- The page shows them with ``{% load saved_views %}{% saved_views "customers" %}``
  (``templates/components/saved_views.html``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from .errors import NotFound, ValidationError
from .models import SavedView

PAGE_PARAMS = frozenset({"after", "before", "page"})  # where a list is, not what it shows
NAME_MAX = 60  # SavedView.name
LIST_NAME_MAX = 40  # SavedView.list_name
QUERY_MAX = 2000


def clean_query(query: str) -> str:
    """The querystring without cursor/page parameters and empty values, in a stable order (so the same
    filters always give the same string, whatever order the form sent them in)."""
    params = QueryDict(query.lstrip("?"), mutable=True)
    kept = QueryDict(mutable=True)
    for key in sorted(params):
        if key in PAGE_PARAMS:
            continue
        values = [v for v in params.getlist(key) if v != ""]
        if values:
            kept.setlist(key, values)
    return kept.urlencode()


def saved_views(*, user: Any, list_name: str) -> QuerySet[SavedView]:
    """The user's own saved views of a list, by name."""
    return SavedView.objects.filter(user=user, list_name=list_name).order_by("name", "pk")


@transaction.atomic
def saved_view_save(*, user: Any, list_name: str, name: str, query: str) -> SavedView:
    """Save the current filters under ``name``; a view of the same name on that list is replaced."""
    name = (name or "").strip()
    list_name = (list_name or "").strip()
    if not name:
        raise ValidationError({"name": _("Enter a name for the view.")})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": _("A view's name has at most %(max)d characters.") % {"max": NAME_MAX}})
    if not list_name or len(list_name) > LIST_NAME_MAX:
        raise ValidationError({"list_name": _("Unknown list.")})
    query = clean_query(query or "")
    if len(query) > QUERY_MAX:
        raise ValidationError({"query": _("These filters are too long to save.")})
    view, _created = SavedView.objects.update_or_create(
        user=user, list_name=list_name, name=name, defaults={"query": query}
    )
    return view


@transaction.atomic
def saved_view_delete(*, user: Any, pk: int) -> None:
    """Delete one of the user's own views; another person's (or a missing one) is ``NotFound``."""
    deleted, _rows = SavedView.objects.filter(user=user, pk=pk).delete()
    if not deleted:
        raise NotFound()
