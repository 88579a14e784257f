"""My day (今日工作台), the home page: sections that each app registers (docs/subsystems/my-day.md).

A section is ``Section(code, title, template, context, order)``: ``context(user)`` returns what its
template shows (in a fixed number of queries), or None when the section does not apply to the
user (no rights on its module, nothing to show that is worth a card). Later apps add theirs —
follow-ups due, approvals waiting, payments due, customers about to return to the pool::

    from xietong.collaboration import myday
    myday.register(myday.Section("followups", _("Follow-ups due"), "crm/myday/followups.html", followups_due, order=15))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import feeds, selectors, tasks_services
from .models import Notification, Task

LIMIT = 10
MENTION_KINDS = ("mentioned", "mentioned_hidden", "team_mentioned")


@dataclass(frozen=True)
class Section:
    code: str
    title: str | Promise
    template: str
    context: Callable[[Any], dict[str, Any] | None]
    order: int = 100


_sections: dict[str, Section] = {}


def register(section: Section) -> Section:
    _sections[section.code] = section
    return section


def sections() -> list[Section]:
    return sorted(_sections.values(), key=lambda s: (s.order, s.code))


def end_of_today() -> datetime:
    tomorrow = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(tomorrow, time.min))


def build(user: Any) -> list[dict[str, Any]]:
    """The sections that apply to ``user``, each with its context, in order."""
    out = []
    for section in sections():
        context = section.context(user)
        if context is not None:
            out.append({"section": section, **context})
    return out


# --- the collaboration app's own sections --------------------------------------------------------


def my_tasks(user: Any) -> dict[str, Any]:
    """My open tasks due today or already overdue, soonest first."""
    qs = tasks_services.task_list(user=user, view="assigned").filter(status__in=Task.ACTIVE, due_at__lt=end_of_today())
    items = list(qs.order_by("due_at", "id")[: LIMIT + 1])
    now = timezone.now()
    shown = items[:LIMIT]
    return {
        "overdue": [t for t in shown if t.due_at and t.due_at < now],
        "today": [t for t in shown if t.due_at and t.due_at >= now],
        "count": len(shown),
        "more": len(items) > LIMIT,
    }


def _notifications(user: Any, *, mentions: bool) -> list[Notification]:
    qs = selectors.notification_list(user=user, unread_only=True)
    qs = qs.filter(kind__in=MENTION_KINDS) if mentions else qs.exclude(kind__in=MENTION_KINDS)
    return selectors.decorate(qs[:LIMIT], user=user)


def my_mentions(user: Any) -> dict[str, Any]:
    return {"items": _notifications(user, mentions=True)}


def my_notifications(user: Any) -> dict[str, Any]:
    return {"items": _notifications(user, mentions=False)}


def following_activity(user: Any) -> dict[str, Any]:
    """What others did lately on the records I follow."""
    return {"items": feeds.feed_page(user=user, scope="following", size=LIMIT).items}


register(Section("tasks", _("Tasks due today and overdue"), "collaboration/myday/tasks.html", my_tasks, order=10))
register(Section("mentions", _("Mentions"), "collaboration/myday/notifications.html", my_mentions, order=20))
register(
    Section("notifications", _("Notifications"), "collaboration/myday/notifications.html", my_notifications, order=30)
)
register(
    Section(
        "following",
        _("Activity on records I follow"),
        "collaboration/myday/activity.html",
        following_activity,
        order=40,
    )
)
