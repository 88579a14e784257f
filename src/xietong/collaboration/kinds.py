"""Kinds of notification: how each reads, written in the reader's language when shown.

Apps register their kinds here (later: mentions, tasks, follow-ups, approvals …)::

    register(Kind("task_assigned", _("Tasks"), lambda n: _("%(actor)s assigned you “%(title)s”") % ...))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


@dataclass(frozen=True)
class Kind:
    code: str
    label: str | Promise  # what it is about, for filters and e-mail preferences
    text: Callable[[dict[str, Any]], str]  # params (plus "actor") → the sentence


_kinds: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    _kinds[kind.code] = kind


def get(code: str) -> Kind | None:
    return _kinds.get(code)


def text_of(code: str, params: dict[str, Any]) -> str:
    kind = _kinds.get(code)
    if kind is None:
        return code
    try:
        return kind.text(params)
    except (KeyError, TypeError, ValueError):  # params from an older release: say what we can
        return str(kind.label)


# --- the organisation's kinds: changes to your own rights and place in the tree ----------------

ACCOUNT = gettext_lazy("Your account")


def _role(params: dict[str, Any]) -> str:
    return f"{params['role']} · {params['business_unit']}" if params.get("business_unit") else params["role"]


register(
    Kind(
        "role_assigned",
        ACCOUNT,
        lambda p: _("%(actor)s gave you the role “%(role)s”.") % {"actor": p["actor"], "role": _role(p)},
    )
)
register(
    Kind(
        "role_revoked",
        ACCOUNT,
        lambda p: _("%(actor)s took the role “%(role)s” from you.") % {"actor": p["actor"], "role": _role(p)},
    )
)
register(
    Kind(
        "user_moved",
        ACCOUNT,
        lambda p: _("%(actor)s moved you to the team “%(team)s”.") % {"actor": p["actor"], "team": p["team"]},
    )
)
register(
    Kind(
        "made_manager",
        ACCOUNT,
        lambda p: _("%(actor)s made you a manager of “%(team)s”.") % {"actor": p["actor"], "team": p["team"]},
    )
)
register(
    Kind(
        "password_reset",
        ACCOUNT,
        lambda p: (
            _("%(actor)s reset your password. If you did not ask for it, tell your administrator.")
            % {"actor": p["actor"]}
        ),
    )
)


# --- comments: @mentions (collaboration/comments.py) -------------------------------------------

MENTIONS = gettext_lazy("Mentions")

register(
    Kind(
        "mentioned",
        MENTIONS,
        lambda p: (
            _("%(actor)s mentioned you on “%(record)s”: %(excerpt)s")
            % {"actor": p["actor"], "record": p["record"], "excerpt": p["excerpt"]}
        ),
    )
)
# the recipient cannot see the record: neither its name nor the comment is told
register(
    Kind(
        "mentioned_hidden",
        MENTIONS,
        lambda p: (
            _("%(actor)s mentioned you on a record you cannot see; ask them to share it.") % {"actor": p["actor"]}
        ),
    )
)
# members of a mentioned team: whether each can see the record is not checked one by one (a team
# may have hundreds of members), so the text names only the team; the link appears only for those
# who can see the record (selectors.decorate)
register(
    Kind(
        "team_mentioned",
        MENTIONS,
        lambda p: (
            _("%(actor)s mentioned your team “%(team)s” in a comment.") % {"actor": p["actor"], "team": p["team"]}
        ),
    )
)


# --- tasks (collaboration/tasks_services.py) ----------------------------------------------------

TASKS = gettext_lazy("Tasks")

register(
    Kind(
        "task_assigned",
        TASKS,
        lambda p: _("%(actor)s assigned you “%(title)s”") % {"actor": p["actor"], "title": p["title"]},
    )
)
register(
    Kind(
        "task_done",
        TASKS,
        lambda p: _("%(actor)s completed “%(title)s”") % {"actor": p["actor"], "title": p["title"]},
    )
)


# --- records people own and follow (collaboration/follows.py) -------------------------------------

FOLLOWING = gettext_lazy("Records I follow")


def _field_labels(params: dict[str, Any]) -> str:
    """The changed fields' names in the reader's language."""
    from django.apps import apps

    from xietong.core.templatetags.xt import _field_label

    try:
        model = apps.get_model(params["model"])
    except (LookupError, ValueError):
        model = None
    return _("、").join(_field_label(model, name) for name in params["fields"])


register(
    Kind(
        "record_owner",
        FOLLOWING,
        lambda p: _("%(actor)s made you the owner of “%(record)s”.") % {"actor": p["actor"], "record": p["record"]},
    )
)
register(
    Kind(
        "record_changed",
        FOLLOWING,
        lambda p: (
            _("%(actor)s changed %(fields)s of “%(record)s”.")
            % {"actor": p["actor"], "fields": _field_labels(p), "record": p["record"]}
        ),
    )
)
register(
    Kind(
        "followed_comment",
        FOLLOWING,
        lambda p: (
            _("%(actor)s commented on “%(record)s”: %(excerpt)s")
            % {"actor": p["actor"], "record": p["record"], "excerpt": p["excerpt"]}
        ),
    )
)
register(
    Kind(
        "followed_file",
        FOLLOWING,
        lambda p: (
            _("%(actor)s added the file “%(name)s” to “%(record)s”.")
            % {"actor": p["actor"], "name": p["name"], "record": p["record"]}
        ),
    )
)


def _when(value: Any) -> str:
    """A stored ISO time, written in the reader's time zone and format (it is read, not stored, so
    every reader gets their own)."""
    from django.utils import formats, timezone
    from django.utils.dateparse import parse_datetime

    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        return str(value or "")
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


# the reminder job (collaboration/reminders.py): to the assignee and the collaborators
register(
    Kind(
        "task_reminder",
        TASKS,
        lambda p: (
            _("Reminder: “%(title)s” is due %(due)s") % {"title": p["title"], "due": _when(p["due"])}
            if p.get("due")
            else _("Reminder: “%(title)s”") % {"title": p["title"]}
        ),
    )
)
register(
    Kind(
        "record_shared",
        FOLLOWING,
        lambda p: _("%(actor)s shared “%(record)s” with you.") % {"actor": p["actor"], "record": p["record"]},
    )
)
