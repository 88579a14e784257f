"""The record timeline: changes and comments merged newest first, filters by kind, keyset pages
that continue exactly where the last one ended, the record's visibility on every path, a fixed
number of queries and comment bodies shown as sanitised as in the comments panel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation

from tests.conftest import login
from tests.support.factories import UserFactory, grant, make_role
from tests.support.queries import assert_queries_constant, count_queries
from xietong.collaboration import comments, timeline
from xietong.collaboration.models import Comment
from xietong.collaboration.registry import record_key
from xietong.core.choices import DataScope
from xietong.core.errors import NotFound
from xietong.core.models import AuditEntry
from xietong.core.templatetags.xt import audit_changes, audit_verb
from xietong.org.models import UserRole

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def people(org):
    """The record is the supply team. 王芳 (group-wide view) sees it; 外人 (BU2, own teams) does not."""
    viewer = make_role("viewer", {"org": (DataScope.GROUP, {"view"})})
    own = make_role("own-teams", {"org": (DataScope.SELF, {"view"})})
    author = UserFactory(username="wang", display_name="王芳", primary_team=org["supply"])
    grant(author, viewer)
    outsider = UserFactory(username="outsider", display_name="外人", primary_team=org["north"])
    grant(outsider, own)
    return {"author": author, "outsider": outsider, "record": org["supply"]}


def add_changes(record, actor, minutes):
    """Audit entries at T0 + each of ``minutes`` (append-only: their time is set as they are written)."""
    ct = ContentType.objects.get_for_model(record)
    rows = [
        AuditEntry(
            actor=actor,
            kind=AuditEntry.Kind.UPDATE,
            content_type=ct,
            object_id=str(record.pk),
            object_repr=str(record),
            changes={"name": [f"旧{m}", f"新{m}"]},
        )
        for m in minutes
    ]
    with mock.patch("django.utils.timezone.now", side_effect=[T0 + timedelta(minutes=m) for m in minutes]):
        return AuditEntry.objects.bulk_create(rows)


def add_comments(record, author, minutes, body="评论 {m}", parent=None):
    ct = ContentType.objects.get_for_model(record)
    rows = [
        Comment(
            content_type=ct,
            object_id=str(record.pk),
            author=author,
            parent=parent,
            body=body.format(m=m),
            body_html=comments.render(body.format(m=m)),
        )
        for m in minutes
    ]
    with mock.patch("django.utils.timezone.now", side_effect=[T0 + timedelta(minutes=m) for m in minutes]):
        return Comment.objects.bulk_create(rows)


def seq(entries):
    return [(e.kind, e.id) for e in entries]


def test_changes_and_comments_merge_newest_first(people):
    user, record = people["author"], people["record"]
    c1, c3 = add_changes(record, user, [1, 3])
    k2, k4 = add_comments(record, user, [2, 4])
    add_comments(record, user, [5], body="回复", parent=k2)  # a reply shows under its thread, not as an entry
    page = timeline.timeline_page(user=user, record=record)
    assert seq(page.entries) == [("comment", k4.pk), ("change", c3.pk), ("comment", k2.pk), ("change", c1.pk)]
    assert page.next is None
    assert [(e.actor.pk, str(e.actor)) for e in page.entries] == [(user.pk, "王芳")] * 4
    assert page.entries[1].text == "修改: 名称: 旧3 → 新3"
    assert page.entries[0].text == "评论 4"


def test_the_timeline_filters_by_kind(people):
    user, record = people["author"], people["record"]
    c1, c3 = add_changes(record, user, [1, 3])
    k2, k4 = add_comments(record, user, [2, 4])
    assert seq(timeline.timeline_page(user=user, record=record, kinds={"change"}).entries) == [
        ("change", c3.pk),
        ("change", c1.pk),
    ]
    assert seq(timeline.timeline_page(user=user, record=record, kinds={"comment"}).entries) == [
        ("comment", k4.pk),
        ("comment", k2.pk),
    ]
    api = login(user).get(f"/api/v1/timeline?record={record_key(record)}&kinds=comment").json()
    assert [(r["kind"], r["id"]) for r in api["results"]] == [("comment", k4.pk), ("comment", k2.pk)]
    bad = login(user).get(f"/api/v1/timeline?record={record_key(record)}&kinds=gossip")
    assert bad.status_code == 422


def _build_45(people):
    """25 changes and 20 comments; several share a timestamp with an entry of the other kind."""
    user, record = people["author"], people["record"]
    changes = add_changes(record, user, list(range(25)))
    notes = add_comments(record, user, [m for m in range(0, 40, 2)])  # 0, 2, … 38: ties with changes 0-24
    expected = sorted(
        [(T0 + timedelta(minutes=i), "change", c.pk) for i, c in enumerate(changes)]
        + [(T0 + timedelta(minutes=2 * i), "comment", c.pk) for i, c in enumerate(notes)],
        reverse=True,
    )
    return [(kind, pk) for _t, kind, pk in expected]


def test_load_more_continues_exactly_where_the_page_ended(people):
    user, record = people["author"], people["record"]
    expected = _build_45(people)
    seen, before, pages = [], None, 0
    while True:
        page = timeline.timeline_page(user=user, record=record, before=before)
        seen += seq(page.entries)
        pages += 1
        if page.next is None:
            break
        before = timeline.Cursor.decode(page.next.encode())
    assert (pages, seen) == (3, expected)


def test_the_api_follows_next_without_duplicates_or_gaps(people):
    user, record = people["author"], people["record"]
    expected = _build_45(people)
    client, url, seen = login(user), f"/api/v1/timeline?record={record_key(record)}", []
    while url:
        body = client.get(url).json()
        seen += [(r["kind"], r["id"]) for r in body["results"]]
        url = body["next"]
    assert seen == expected
    assert client.get(f"/api/v1/timeline?record={record_key(record)}&before=garbage").status_code == 422


def test_the_load_more_button_appends_the_next_entries(people):
    user, record = people["author"], people["record"]
    expected = _build_45(people)
    client = login(user)
    page = client.get(f"/org/teams/{record.pk}/").content.decode()
    assert "动态" in page and "加载更多" in page
    first = timeline.timeline_page(user=user, record=record)
    more = client.get(
        f"/collaboration/timeline/?record={record_key(record)}&before={first.next.encode()}", headers=HTMX
    )
    assert more.status_code == 200
    html = more.content.decode()
    assert "<section" not in html and html.count('class="xt-history-more"') == 1
    second = expected[20:40]
    assert html.count('class="xt-history-entry') == sum(kind == "change" for kind, _pk in second)
    assert html.count("xt-timeline-entry xt-kind-comment") == sum(kind == "comment" for kind, _pk in second)
    for kind, pk in expected:
        if kind == "comment":
            assert (f'id="comment-{pk}"' in html) == ((kind, pk) in second)
    assert f"before={timeline.timeline_page(user=user, record=record, before=first.next).next.encode()}" in html


def test_filter_chips_reload_the_panel_with_one_kind(people):
    user, record = people["author"], people["record"]
    add_changes(record, user, [1])
    add_comments(record, user, [2], body="只看评论")
    html = login(user).get(f"/collaboration/timeline/?record={record_key(record)}&kinds=change", headers=HTMX)
    text = html.content.decode()
    assert html.status_code == 200 and "<section" in text
    assert "新1" in text and "只看评论" not in text
    assert all(label in text for label in ("全部", "变更", "评论"))


def test_an_invisible_record_answers_404_on_the_view_and_the_api(people):
    record, outsider = people["record"], people["outsider"]
    add_comments(record, people["author"], [1], body="内部价格")
    client = login(outsider)
    assert client.get(f"/collaboration/timeline/?record={record_key(record)}").status_code == 404
    api = client.get(f"/api/v1/timeline?record={record_key(record)}")
    assert api.status_code == 404
    assert api.json() == client.get("/api/v1/timeline?record=org.team:999999").json()
    assert client.get("/collaboration/timeline/?record=org.team:999999").status_code == 404


def test_the_number_of_queries_does_not_depend_on_the_number_of_entries(people):
    user, record = people["author"], people["record"]
    add_changes(record, user, range(5))
    threads = add_comments(record, user, range(5, 10))
    client = login(user)
    url = f"/collaboration/timeline/?record={record_key(record)}"

    def more_rows():
        add_changes(record, user, range(10, 1010))
        newer = add_comments(record, user, range(1010, 2010))
        for thread in (threads[0], newer[-1], newer[-2]):  # replies on old threads and on the page shown
            add_comments(record, user, [2100, 2101, 2102], parent=thread)

    # the request (session, user, access: 3), the record (1), then one query per source and one for
    # the replies of the threads shown (follow-ups are read only on records that can have them)
    expected = 4 + len([s for s in timeline.sources() if s.kind != "follow_up"]) + 1
    assert assert_queries_constant(lambda: client.get(url, headers=HTMX), more_rows) == expected
    api = f"/api/v1/timeline?record={record_key(record)}"
    # the API shows each entry's text, not the replies: it never reads them
    assert assert_queries_constant(lambda: client.get(api), lambda: add_comments(record, user, range(3000, 3050))) == (
        expected - 1
    )


def test_a_page_reads_one_query_per_source_and_one_for_the_replies_shown(people):
    user, record = people["author"], people["record"]
    record = timeline.resolve_record(user, record_key(record))
    add_changes(record, user, range(3))
    threads = add_comments(record, user, range(3, 6))

    def page():
        found = timeline.timeline_page(user=user, record=record, kinds={"change", "comment"})
        texts = [(str(e.actor), e.text) for e in found.entries]  # what the API shows
        count, replies, _sql = count_queries(
            lambda: [(str(r.author), r.body_html) for e in found.entries if e.kind == "comment" for r in e.obj.replies]
        )
        return texts, count, replies

    queries, (texts, reply_queries, replies) = count_queries(page)[:2]
    assert (queries, reply_queries, len(texts), replies) == (3, 1, 6, [])
    add_changes(record, user, range(10, 2010))
    add_comments(record, user, range(2010, 3010))
    add_comments(record, user, [3011, 3012], body="回复 {m}", parent=threads[0])
    newest = add_comments(record, user, [3020])[0]
    add_comments(record, user, [3021, 3022], body="回复 {m}", parent=newest)
    queries, (texts, reply_queries, replies) = count_queries(page)[:2]
    assert (queries, reply_queries, len(texts)) == (3, 1, 20)
    assert replies == [("王芳", "<p>回复 3021</p>\n"), ("王芳", "<p>回复 3022</p>\n")]


def test_an_invisible_records_comments_never_show_whatever_the_caller_passes(people):
    """The sources read a vouched-for record's rows without a visibility predicate of their own: a
    record nobody vouched for the reader, or vouched for someone else, is checked again."""
    author, outsider, record = people["author"], people["outsider"], people["record"]
    add_comments(record, author, [1], body="内部价格")
    add_changes(record, author, [2])
    with pytest.raises(NotFound):
        timeline.timeline_page(user=outsider, record=record)
    seen = timeline.resolve_record(author, record_key(record))  # vouched for the author only
    assert seq(timeline.timeline_page(user=author, record=seen).entries) != []
    with pytest.raises(NotFound):
        timeline.timeline_page(user=outsider, record=seen)
    assert timeline.fetch_comments(user=outsider, record=seen, cursor=None, limit=20) == []
    with pytest.raises(NotFound):
        timeline.resolve_record(outsider, record_key(record))
    panel = Template("{% load timeline_tags %}{% timeline_panel record as panel %}{{ panel|default:'none' }}")
    assert panel.render(Context({"request": RequestFactory().get("/"), "record": seen})) == "none"  # no user
    request = RequestFactory().get("/")
    request.user = outsider
    assert panel.render(Context({"request": request, "record": seen})) == "none"


def test_a_vouch_lasts_only_as_long_as_the_readers_access(people, org):
    """Vouching is tied to the reader's access of this request: when their roles change, the record
    is checked again, so a revoked reader stops seeing its comments at once."""
    author, record = people["author"], people["record"]
    add_comments(record, author, [1], body="内部价格")
    seen = timeline.resolve_record(author, record_key(record))
    assert count_queries(lambda: timeline.sees_record(author, seen))[0] == 0
    UserRole.objects.filter(user=author).delete()
    author.__dict__.pop("access", None)  # the next request computes the access anew
    assert timeline.sees_record(author, seen) is False
    with pytest.raises(NotFound):
        timeline.timeline_page(user=author, record=seen)
    fresh = type(author).objects.get(pk=author.pk)
    assert timeline.fetch_comments(user=fresh, record=seen, cursor=None, limit=20) == []


def test_comments_of_other_records_never_show(people, org):
    user, record = people["author"], people["record"]
    add_comments(org["north"], user, [1], body="别的记录")
    mine = add_comments(record, user, [2])
    entries = timeline.timeline_page(user=user, record=record).entries
    assert seq(entries) == [("comment", mine[0].pk)]


def test_entry_texts_read_as_the_markup_in_the_readers_language(people):
    user, record = people["author"], people["record"]
    ct = ContentType.objects.get_for_model(record)
    with mock.patch("django.utils.timezone.now", return_value=T0):
        entry = AuditEntry.objects.create(
            actor=None,
            kind=AuditEntry.Kind.UPDATE,
            content_type=ct,
            object_id=str(record.pk),
            object_repr=str(record),
            changes={"name": ["旧", "新"], "is_active": [True, False], "parent": [None, "华东销售部"]},
        )
    entry = AuditEntry.objects.get(pk=entry.pk)  # as stored (PostgreSQL's jsonb orders the keys its own way)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            page = timeline.timeline_page(user=user, record=record)
            verb = audit_verb(entry)
            rows = "; ".join(f"{label}: {old} → {new}" for label, old, new in audit_changes(entry))
            assert [e.text for e in page.entries] == [f"{verb}: {rows}"]
            assert page.entries[0].actor is None  # the system
    with translation.override("en"):
        assert page.entries[0].text.startswith("Changed: ")


def test_the_panel_shows_each_threads_replies_under_it_oldest_first(people):
    user, record = people["author"], people["record"]
    other = UserFactory(username="li", display_name="李雷", primary_team=record)
    first, second = add_comments(record, user, [1, 2], body="主题 {m}")
    add_comments(record, other, [3, 4], body="回复 {m}", parent=first)
    html = login(user).get(f"/collaboration/timeline/?record={record_key(record)}", headers=HTMX).content.decode()
    assert html.count('class="list-unstyled ms-4 xt-comment-replies"') == 1
    thread = html[html.index(f'id="comment-{first.pk}"') :]
    assert thread.index("回复 3") < thread.index("回复 4") and "<strong>李雷</strong>" in thread
    assert html.index(f'id="comment-{second.pk}"') < html.index(f'id="comment-{first.pk}"')


def test_comment_bodies_are_shown_sanitised_and_read_only(people):
    user, record = people["author"], people["record"]
    comments.comment_create(
        actor=user, record=record, body="<script>alert(1)</script> **粗体** [x](javascript:alert(1))"
    )
    html = login(user).get(f"/collaboration/timeline/?record={record_key(record)}&kinds=comment").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <strong>粗体</strong> [x](javascript:alert(1))" in html
    assert "<script>alert" not in html and 'href="javascript' not in html
    assert '<div class="xt-comment-body" hx-disable>' in html
    assert "comment_delete" not in html and "/delete/" not in html and "/edit/" not in html


def test_the_panel_reloads_only_its_inside_so_its_listener_stays_in_the_page(people):
    user, record = people["author"], people["record"]
    add_comments(record, user, [1], body="刚发的评论")
    client = login(user)
    page = client.get(f"/org/teams/{record.pk}/").content.decode()
    reload_url = f"/collaboration/timeline/?record={record_key(record).replace(':', '%3A')}&amp;part=inner"
    assert f'hx-get="{reload_url}" hx-trigger="xt-record-changed from:body"' in page
    assert 'hx-swap="innerHTML"' in page
    inner = client.get(reload_url.replace("&amp;", "&"), headers=HTMX).content.decode()
    assert "<section" not in inner and "刚发的评论" in inner and "xt-timeline-filters" in inner
    assert inner.count('class="xt-timeline-entries') == 0 and inner.count("xt-timeline-entries") == 1
