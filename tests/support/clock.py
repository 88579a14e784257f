"""Keep a test on one calendar day.

Modules that compute ``TODAY`` once at import, or put a due time a few minutes from now, fail when
the suite runs across local midnight. ``midday(day)`` pins the clock to noon of ``day`` in the
site's time zone and lets it tick, so a test sees one day from start to end; ``local_time`` pins
it to any hour.

The URL configuration is imported before the clock is pinned: django-ninja builds its pydantic
schemas at import, and pydantic cannot build one for freezegun's stand-in ``datetime`` class.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time

from django.conf import settings
from django.urls import get_resolver
from django.utils import timezone
from freezegun import freeze_time


@contextmanager
def midday(day: date | None = None) -> Iterator[datetime]:
    with local_time(time(12), day) as noon:
        yield noon


@contextmanager
def local_time(at: time, day: date | None = None) -> Iterator[datetime]:
    """Pin the clock to ``at`` on ``day`` (today by default) in the site's time zone; it ticks on.
    A test of what happens across local midnight pins itself late in the evening."""
    get_resolver(settings.ROOT_URLCONF).url_patterns  # noqa: B018 - import the API before the clock stops
    moment = timezone.make_aware(datetime.combine(day or timezone.localdate(), at))
    with freeze_time(moment, tick=True):
        yield moment
