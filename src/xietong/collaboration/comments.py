"""Comments on any record with the collaboration surface (docs/subsystems/comments.md).

Services (every write) and selectors (every read) of comments. A comment's body is markdown; the
HTML shown is rendered here at write time and sanitised with nh3, so templates and the API can show
``body_html`` as is. ``@username`` and ``@团队名`` mention a person or a team the author can see;
mentions notify through the ``collaboration.mentioned`` event (subscribed at the end of this module).
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any, cast

import nh3
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.html import escape, strip_tags
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

from xietong.core import events
from xietong.core.components import register_record_panel
from xietong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from xietong.core.visibility import addressable_people, addressable_teams

from . import registry
from .models import AttachedQuerySet, Comment, CommentMention
from .tasks import deliver_notifications

BODY_MAX = 10_000
EXCERPT_CHARS = 60
MAX_MENTIONS = 50  # names looked up per comment; more are left as plain text

# --- rendering: markdown → HTML → mentions → nh3 ------------------------------------------------

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False})  # raw HTML is shown as text

ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "blockquote", "a", "span"}
# ``@`` not preceded by a word character (so e-mail addresses are not mentions), then a run of word
# characters (letters of any script, digits, _), with . + - allowed inside (user names like "wang.fang")
MENTION_RE = re.compile(r"(?<![\w@])@(\w(?:[\w.+\-]*\w)?)")
_TAG_RE = re.compile(r"(<[^>]*>)")
_TAG_NAME_RE = re.compile(r"<(/?)([a-zA-Z0-9]+)")
_NO_MENTIONS_IN = {"code", "pre", "a"}


def sanitise(fragment: str) -> str:
    """The only HTML a comment may hold: simple formatting, http(s)/mailto links (rel nofollow), and
    the mention spans this module writes. No images, styles, event handlers or other attributes."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}, "*": set()},  # "*": none of the generic ones (title, lang)
        tag_attribute_values={"span": {"class": {"xt-mention"}}},
        url_schemes={"http", "https", "mailto"},
        url_relative="deny",
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def _map_text(fragment: str, func: Any) -> str:
    """Apply ``func`` to the text between tags, except inside code, pre and links. (markdown-it
    escapes ``<`` in text and attributes, so splitting on tags is exact.)"""
    out: list[str] = []
    depth = 0
    for part in _TAG_RE.split(fragment):
        if part.startswith("<") and part.endswith(">"):
            match = _TAG_NAME_RE.match(part)
            if match and match.group(2).lower() in _NO_MENTIONS_IN:
                depth = max(depth - 1, 0) if match.group(1) else depth + 1
            out.append(part)
        else:
            out.append(func(part) if depth == 0 else part)
    return "".join(out)


def mention_names(rendered: str) -> list[str]:
    names: list[str] = []

    def collect(text: str) -> str:
        names.extend(m.group(1) for m in MENTION_RE.finditer(text))
        return text

    _map_text(rendered, collect)
    return list(dict.fromkeys(names))[:MAX_MENTIONS]


def render(body: str, mentioned: set[str] | frozenset[str] = frozenset()) -> str:
    """The sanitised HTML of ``body``, with the ``mentioned`` names marked as mentions."""

    def mark(text: str) -> str:
        return MENTION_RE.sub(
            lambda m: (
                f'<span class="xt-mention">@{escape(m.group(1))}</span>' if m.group(1) in mentioned else m.group(0)
            ),
            text,
        )

    return sanitise(_map_text(_markdown.render(body), mark))


def excerpt(body_html: str, size: int = EXCERPT_CHARS) -> str:
    text = " ".join(html.unescape(strip_tags(body_html)).split())
    return text if len(text) <= size else text[: size - 1] + "…"


# --- mentions -------------------------------------------------------------------------------------


def _resolve_mentions(actor: Any, names: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Names → people and teams ``actor`` may address (core.visibility): by user name first, then by
    a team's exact name."""
    if not names:
        return {}, {}
    users = {u.username: u for u in addressable_people(actor).filter(username__in=names)}
    rest = [n for n in names if n not in users]
    teams: dict[str, Any] = {}
    if rest:
        for team in addressable_teams(actor).filter(name__in=rest).order_by("pk"):
            teams.setdefault(team.name, team)
    return users, teams


def _set_mentions(comment: Comment, users: list[Any], teams: list[Any]) -> tuple[list[Any], list[Any]]:
    """Store the mentions; return the users and teams that were not mentioned before."""
    old = list(comment.mentions.all()) if comment.pk else []
    old_users = {m.user_id for m in old if m.user_id}
    old_teams = {m.team_id for m in old if m.team_id}
    CommentMention.objects.filter(comment=comment).delete()
    CommentMention.objects.bulk_create(
        [CommentMention(comment=comment, user=u) for u in users]
        + [CommentMention(comment=comment, team=t) for t in teams]
    )
    return [u for u in users if u.pk not in old_users], [t for t in teams if t.pk not in old_teams]


def _sees(user: Any, record: models.Model) -> bool:
    return type(record)._default_manager.visible_to(user).filter(pk=record.pk).exists()  # type: ignore[attr-defined]


def _announce(
    *, comment: Comment, record: models.Model, actor: Any, users: list[Any], teams: list[Any], version: str
) -> None:
    """Publish who to tell. Mentioned people are checked one by one (few: typed by hand): who sees the
    record reads the comment's excerpt, who does not is told only that there is something to share.
    Members of mentioned teams are told which team was mentioned, nothing of the record (see kinds)."""
    from xietong.org.models import TeamMembership

    people = [u for u in users if u.pk != actor.pk]
    seen = [u.pk for u in people if _sees(u, record)]
    hidden = [u.pk for u in people if u.pk not in seen]
    told = {actor.pk, *seen, *hidden}
    groups: list[dict[str, Any]] = []
    if seen:
        params = {"actor": str(actor), "record": str(record), "excerpt": excerpt(comment.body_html)}
        groups.append({"kind": "mentioned", "recipient_ids": seen, "params": params})
    if hidden:
        groups.append({"kind": "mentioned_hidden", "recipient_ids": hidden, "params": {"actor": str(actor)}})
    for team in teams:
        members = sorted(
            set(
                TeamMembership.objects.filter(team=team, user__is_active=True)
                .exclude(user_id__in=told)
                .values_list("user_id", flat=True)
            )
        )
        told.update(members)
        if members:
            params = {"actor": str(actor), "team": team.name}
            groups.append({"kind": "team_mentioned", "recipient_ids": members, "params": params})
    if version == "v1":  # a new comment: followers hear of it (not those the mentions told)
        events.publish(
            "collaboration.commented",
            key=f"comment:{comment.pk}:followers",
            actor_id=actor.pk,
            actor=str(actor),
            record=[record._meta.label_lower, record.pk],
            comment_id=comment.pk,
            excerpt=excerpt(comment.body_html),
            exclude=sorted(told),
        )
    if groups:
        events.publish(
            "collaboration.mentioned",
            key=f"comment:{comment.pk}:{version}",
            actor_id=actor.pk,
            record=[record._meta.label_lower, record.pk],
            comment_id=comment.pk,
            groups=groups,
        )


@events.subscriber("collaboration.mentioned")
def notify_mentioned(event: events.Event) -> None:
    """One delivery (one bulk insert) per group of recipients that read the same text."""
    for group in event.data["groups"]:
        deliver_notifications.enqueue(
            event_key=event.key,
            kind=group["kind"],
            recipient_ids=group["recipient_ids"],
            actor_id=event.data["actor_id"],
            record=event.data["record"],
            params=group["params"],
        )


# --- services -------------------------------------------------------------------------------------


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a comment.")})
    if len(body) > BODY_MAX:
        raise ValidationError(
            {
                "body": _("A comment can be at most %(max)d characters (it has %(len)d).")
                % {"max": BODY_MAX, "len": len(body)}
            }
        )
    return body


def _render_with_mentions(actor: Any, body: str) -> tuple[str, list[Any], list[Any]]:
    users, teams = _resolve_mentions(actor, mention_names(_markdown.render(body)))
    return render(body, set(users) | set(teams)), list(users.values()), list(teams.values())


def comment_record(comment: Comment) -> models.Model:
    model = ContentType.objects.get_for_id(comment.content_type_id).model_class()
    assert model is not None
    return model._default_manager.get(pk=comment.object_id)


@transaction.atomic
def comment_create(*, actor: Any, record: models.Model, body: str, parent: Comment | None = None) -> Comment:
    """``record`` comes from ``registry.resolve(actor, key)``: whoever sees a record may comment on it.
    A reply to a reply joins its thread (one level of replies)."""
    if not registry.has_surface(record):
        raise NotFound()
    body = _clean_body(body)
    content_type = ContentType.objects.get_for_model(record)
    if parent is not None:
        if parent.parent_id is not None:
            parent = cast(Comment, Comment.objects.get(pk=parent.parent_id))
        if parent.content_type_id != content_type.pk or parent.object_id != str(record.pk):
            raise ValidationError({"parent": _("Reply to a comment on the same record.")})
        if parent.deleted_at is not None:
            raise ValidationError({"parent": _("This comment was deleted.")})
    body_html, users, teams = _render_with_mentions(actor, body)
    comment = Comment.objects.create(
        content_type=content_type,
        object_id=str(record.pk),
        author=actor,
        parent=parent,
        body=body,
        body_html=body_html,
    )
    users, teams = _set_mentions(comment, users, teams)
    _announce(comment=comment, record=record, actor=actor, users=users, teams=teams, version="v1")
    return comment


def edit_deadline(comment: Comment) -> Any:
    return comment.created_at + timedelta(minutes=settings.COMMENT_EDIT_MINUTES)


def can_edit(user: Any, comment: Comment) -> bool:
    return comment.author_id == user.pk and comment.deleted_at is None and timezone.now() <= edit_deadline(comment)


def comment_check_edit(*, actor: Any, comment: Comment) -> None:
    """Only its author edits a comment, and only for ``COMMENT_EDIT_MINUTES`` after posting."""
    if comment.author_id != actor.pk:
        raise PermissionDenied(_("Only its author can change a comment."))
    if comment.deleted_at is not None:
        raise Conflict(_("This comment was deleted."), field="body")
    if timezone.now() > edit_deadline(comment):
        raise Conflict(
            _("A comment can be edited for %(minutes)d minutes after posting; this one no longer.")
            % {"minutes": settings.COMMENT_EDIT_MINUTES},
            field="body",
        )


@transaction.atomic
def comment_edit(*, actor: Any, comment: Comment, body: str) -> Comment:
    """Re-renders the body; only people and teams newly mentioned are notified."""
    comment = cast(Comment, Comment.objects.select_for_update().get(pk=comment.pk))
    comment_check_edit(actor=actor, comment=comment)
    body = _clean_body(body)
    body_html, users, teams = _render_with_mentions(actor, body)
    comment.body, comment.body_html, comment.edited_at = body, body_html, timezone.now()
    comment.save(update_fields=["body", "body_html", "edited_at"])
    users, teams = _set_mentions(comment, users, teams)
    version = f"v{int(comment.edited_at.timestamp() * 1000)}"
    _announce(comment=comment, record=comment_record(comment), actor=actor, users=users, teams=teams, version=version)
    return comment


@transaction.atomic
def comment_delete(*, actor: Any, comment: Comment) -> Comment:
    """Only its author deletes a comment: the text, mentions and files go, a trace stays (and its replies)."""
    comment = cast(Comment, Comment.objects.select_for_update().get(pk=comment.pk))
    if comment.author_id != actor.pk:
        raise PermissionDenied(_("Only its author can delete a comment."))
    if comment.deleted_at is None:
        comment.body, comment.body_html, comment.deleted_at = "", "", timezone.now()
        comment.save(update_fields=["body", "body_html", "deleted_at"])
        CommentMention.objects.filter(comment=comment).delete()
        from .attachments import attachments_delete_of_comment

        attachments_delete_of_comment(actor=actor, comment=comment)  # its files go with its text
    return comment


def unseen_mentions(*, comment: Comment, record: models.Model) -> list[Any]:
    """The people the comment mentions by name who cannot see its record (told only that there is
    something to share)."""
    people = [m.user for m in comment.mentions.select_related("user").order_by("pk") if m.user is not None]
    return [u for u in people if u.pk != comment.author_id and not _sees(u, record)]


def share_offer(*, actor: Any, comment: Comment) -> dict[str, Any] | None:
    """After posting: who was mentioned but cannot see the record, and whether the author may share
    it with them (core/shares.py) — or None when everyone mentioned sees it."""
    from xietong.core import shares

    record = comment_record(comment)
    people = unseen_mentions(comment=comment, record=record)
    if not people:
        return None
    names = _("、").join(str(u) for u in people)
    allowed = shares.can_share(actor, record)
    message = (
        _("%(names)s cannot see this record; they were told only that you mentioned them. Share it with them?")
        if allowed
        else _(
            "%(names)s cannot see this record; they were told only that you mentioned them. "
            "Ask someone who may edit it to share it."
        )
    ) % {"names": names}
    return {"people": people, "can_share": allowed, "key": registry.record_key(record), "message": message}


# --- selectors ------------------------------------------------------------------------------------


def _mentions_prefetch() -> Prefetch:
    return Prefetch("mentions", queryset=CommentMention.objects.select_related("user", "team").order_by("pk"))


def comment_thread(*, user: Any, record: models.Model, mentions: bool = True) -> AttachedQuerySet:
    """The record's top-level comments, newest first, each with its replies (oldest first), authors
    and (unless ``mentions=False``) mentions: a fixed number of queries, however many comments.
    (The read-only timeline reads its own lighter rows, by time: ``timeline.fetch_comments``.)"""
    replies = Comment.objects.select_related("author").order_by("id")
    thread = Comment.objects.visible_to(user).on(record).filter(parent__isnull=True).select_related("author")
    if mentions:
        replies = replies.prefetch_related(_mentions_prefetch())
        thread = thread.prefetch_related(_mentions_prefetch())
    return thread.prefetch_related(Prefetch("replies", queryset=replies)).order_by("-id")


def comment_list(*, user: Any, record: models.Model) -> AttachedQuerySet:
    """Every comment of the record (replies included, with ``parent_id``), for the API."""
    return (
        Comment.objects.visible_to(user)
        .on(record)
        .select_related("author", "content_type")
        .prefetch_related(_mentions_prefetch())
    )


def comment_get(*, user: Any, pk: Any) -> Comment:
    """The comment if ``user`` sees its record; ``NotFound`` otherwise (missing alike)."""
    found = Comment.objects.select_related("author").prefetch_related(_mentions_prefetch()).get_visible(user, pk)
    return cast(Comment, found)


# the panel on every record page; it shows only on records with the surface (templatetags/comments.py)
register_record_panel("collaboration/comments/panel.html", order=200)
