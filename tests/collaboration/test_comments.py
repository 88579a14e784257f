"""Comments on records: threads, the edit window, deleted traces, mentions that notify, sanitised
bodies, fixed query counts and the record's visibility on every path."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from tests.conftest import login
from tests.support.factories import UserFactory, grant, make_role
from tests.support.queries import assert_queries_constant
from xietong.collaboration import comments
from xietong.collaboration.models import Comment, CommentMention, Notification
from xietong.collaboration.registry import record_key
from xietong.core.choices import DataScope
from xietong.core.errors import Conflict

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def people(org):
    """The record is the supply team. 王芳 (group-wide view) writes; 李雷 (a member) sees the team;
    外人 (in BU2, own teams only) does not."""
    viewer = make_role("viewer", {"org": (DataScope.GROUP, {"view"})})
    own = make_role("own-teams", {"org": (DataScope.SELF, {"view"})})
    author = UserFactory(username="wang", display_name="王芳", primary_team=org["supply"])
    grant(author, viewer)
    colleague = UserFactory(username="lilei", display_name="李雷", primary_team=org["supply"])
    grant(colleague, own)
    outsider = UserFactory(username="outsider", display_name="外人", primary_team=org["north"])
    grant(outsider, own)
    return {"author": author, "colleague": colleague, "outsider": outsider, "record": org["supply"]}


def post(client, url, data, **headers):
    return client.post(url, data=json.dumps(data), content_type="application/json", headers=headers)


def test_a_comment_stores_its_sanitised_html_and_its_mentions(people, org):
    c = comments.comment_create(
        actor=people["author"], record=people["record"], body="**请** @lilei 和 @华北销售部 看一下"
    )
    assert c.body_html == (
        '<p><strong>请</strong> <span class="xt-mention">@lilei</span> 和 '
        '<span class="xt-mention">@华北销售部</span> 看一下</p>\n'
    )
    assert {(m.user_id, m.team_id) for m in c.mentions.all()} == {
        (people["colleague"].pk, None),
        (None, org["north"].pk),
    }


def test_only_people_and_teams_the_author_sees_are_mentioned(people, org):
    c = comments.comment_create(actor=people["colleague"], record=people["record"], body="@wang @华北销售部 @nobody")
    # 李雷 sees only his own team: neither 王芳's user record (no scope over it)... nor BU2's team
    mentioned = {(m.user_id, m.team_id) for m in c.mentions.all()}
    assert (None, org["north"].pk) not in mentioned
    assert "@华北销售部" in c.body_html and 'xt-mention">@华北销售部' not in c.body_html
    assert "@nobody" in c.body_html


def test_a_reply_to_a_reply_joins_the_thread_and_replies_stay_on_the_record(people, org):
    top = comments.comment_create(actor=people["author"], record=people["record"], body="first")
    reply = comments.comment_create(actor=people["colleague"], record=people["record"], body="re", parent=top)
    nested = comments.comment_create(actor=people["author"], record=people["record"], body="re re", parent=reply)
    assert (reply.parent_id, nested.parent_id) == (top.pk, top.pk)
    with pytest.raises(ValidationError) as exc:
        comments.comment_create(actor=people["author"], record=org["east"], body="x", parent=top)
    assert list(exc.value.message_dict) == ["parent"]


@pytest.mark.parametrize(("body", "field"), [("   ", "body"), ("x" * 10_001, "body")])
def test_the_body_is_required_and_limited(people, body, field):
    with pytest.raises(ValidationError) as exc:
        comments.comment_create(actor=people["author"], record=people["record"], body=body)
    assert list(exc.value.message_dict) == [field]


def test_only_the_author_edits_and_only_within_the_window(people, settings):
    settings.COMMENT_EDIT_MINUTES = 15
    c = comments.comment_create(actor=people["author"], record=people["record"], body="draft")
    with pytest.raises(PermissionDenied):
        comments.comment_edit(actor=people["colleague"], comment=c, body="mine now")
    edited = comments.comment_edit(actor=people["author"], comment=c, body="*final*")
    assert (edited.body, edited.body_html, edited.edited_at is not None) == ("*final*", "<p><em>final</em></p>\n", True)
    Comment.objects.filter(pk=c.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    with pytest.raises(Conflict) as exc:
        comments.comment_edit(actor=people["author"], comment=c, body="too late")
    assert str(exc.value) == "评论发布后 15 分钟内可以编辑，这条已经过了时限。"


def test_deleting_leaves_a_trace_without_the_text_or_mentions(people):
    c = comments.comment_create(actor=people["author"], record=people["record"], body="secret @lilei")
    with pytest.raises(PermissionDenied):
        comments.comment_delete(actor=people["colleague"], comment=c)
    comments.comment_delete(actor=people["author"], comment=c)
    c.refresh_from_db()
    assert (c.body, c.body_html, c.deleted_at is not None) == ("", "", True)
    assert CommentMention.objects.filter(comment=c).count() == 0
    page = login(people["author"]).get(f"/org/teams/{people['record'].pk}/").content.decode()
    assert "此评论已删除" in page and "secret" not in page


# --- mentions notify ------------------------------------------------------------------------------


def test_mentioning_a_person_and_a_team_notifies_them_after_commit(people, org, django_capture_on_commit_callbacks):
    member = UserFactory(username="north1", display_name="北方", primary_team=org["north"])
    with django_capture_on_commit_callbacks(execute=True):
        c = comments.comment_create(
            actor=people["author"],
            record=people["record"],
            body="@lilei 请和 @华北销售部 对一下交期，谢谢大家的配合与支持！",
        )
        assert Notification.objects.count() == 0
    told = {n.recipient.username: n for n in Notification.objects.select_related("recipient")}
    assert set(told) == {"lilei", "outsider", "north1"}
    note = told["lilei"]
    assert (note.kind, note.actor, note.event_key) == ("mentioned", people["author"], f"comment:{c.pk}:v1")
    assert note.params == {
        "actor": "王芳",
        "record": "供应计划组",
        "excerpt": "@lilei 请和 @华北销售部 对一下交期，谢谢大家的配合与支持！",
    }
    assert (told["north1"].kind, told["north1"].params) == ("team_mentioned", {"actor": "王芳", "team": "华北销售部"})
    assert member.pk == told["north1"].recipient_id


def test_someone_who_cannot_see_the_record_is_told_without_its_content(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        comments.comment_create(actor=people["author"], record=people["record"], body="@outsider 价格底线是 8 折")
    note = Notification.objects.get(recipient=people["outsider"])
    assert (note.kind, note.params) == ("mentioned_hidden", {"actor": "王芳"})
    page = login(people["outsider"]).get("/notifications/").content.decode()
    assert "王芳在一条你看不到的记录上提到了你，请让对方共享给你。" in page
    assert "8 折" not in page and "供应计划组" not in page
    api = login(people["outsider"]).get("/api/v1/notifications").json()["results"][0]
    assert api["url"] == ""


def test_the_excerpt_is_plain_text_of_60_characters(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        comments.comment_create(actor=people["author"], record=people["record"], body="@lilei **" + "长" * 100 + "**")
    excerpt = Notification.objects.get().params["excerpt"]
    assert excerpt == "@lilei " + "长" * 52 + "…"
    assert len(excerpt) == 60


def test_an_edit_notifies_only_the_newly_mentioned(people, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        c = comments.comment_create(actor=people["author"], record=people["record"], body="@lilei")
    with django_capture_on_commit_callbacks(execute=True):
        comments.comment_edit(actor=people["author"], comment=c, body="@lilei @outsider")
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == ["lilei", "outsider"]


def test_a_team_of_200_is_notified_with_a_bounded_number_of_queries(
    people, org, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    for i in range(200):
        UserFactory(username=f"east{i}", primary_team=org["east"])
    author = type(people["author"]).objects.get(pk=people["author"].pk)  # access not cached yet
    with django_assert_max_num_queries(25), django_capture_on_commit_callbacks(execute=True):
        comments.comment_create(actor=author, record=people["record"], body="@华东销售部 请确认")
    assert Notification.objects.filter(kind="team_mentioned").count() == 200


# --- sanitising -----------------------------------------------------------------------------------

XSS = {
    "<script>alert(1)</script>": "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n",
    "<img src=x onerror=alert(1)>": "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n",
    "[x](javascript:alert(1))": "<p>[x](javascript:alert(1))</p>\n",
    "[x](data:text/html,<script>alert(1)</script>)": (
        "<p>[x](data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;)</p>\n"
    ),
    '<a href="javascript:alert(1)">x</a>': '<p>&lt;a href="javascript:alert(1)"&gt;x&lt;/a&gt;</p>\n',
    '<div hx-get="/org/" hx-trigger="load">x</div>': (
        '<p>&lt;div hx-get="/org/" hx-trigger="load"&gt;x&lt;/div&gt;</p>\n'
    ),
    "{{ request.user.password }} {% debug %}": "<p>{{ request.user.password }} {% debug %}</p>\n",
    '[ok](https://example.com "t")': '<p><a href="https://example.com" rel="noopener noreferrer nofollow">ok</a></p>\n',
    "![i](https://example.com/x.png)": "<p></p>\n",
    "[rel](/org/)": '<p><a rel="noopener noreferrer nofollow">rel</a></p>\n',
}


@pytest.mark.parametrize(("body", "expected"), list(XSS.items()))
def test_bodies_are_sanitised_exactly(people, body, expected):
    assert comments.comment_create(actor=people["author"], record=people["record"], body=body).body_html == expected


def test_the_xss_corpus_is_inert_in_the_page_and_the_api(people):
    for body in XSS:
        comments.comment_create(actor=people["author"], record=people["record"], body=body)
    client = login(people["author"])
    page = client.get(f"/org/teams/{people['record'].pk}/").content.decode()
    start = page.index('class="xt-card xt-comments"')
    panel = page[start:]
    # the payloads survive only as escaped text: no element or attribute of theirs exists
    for needle in ("<script>alert", "<img", '<a href="javascript:', "data:text/html,<", "<div hx-get", 'href="/org/"'):
        assert needle not in panel
    assert panel.count('class="xt-comment-body" hx-disable>') == len(XSS)
    api = client.get(f"/api/v1/comments?record=org.team:{people['record'].pk}").json()["results"]
    assert sorted(c["body_html"] for c in api) == sorted(XSS.values())


# --- the page -------------------------------------------------------------------------------------


def test_posting_with_htmx_answers_the_panel_and_without_redirects_to_the_record(people):
    client = login(people["author"])
    team = people["record"]
    key = record_key(team)
    fragment = client.post("/collaboration/comments/new/", {"record": key, "body": "hello **all**"}, headers=HTMX)
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert html.lstrip().startswith('<section class="xt-card xt-comments" id="xt-comments-org-team-')
    assert "<strong>all</strong>" in html
    plain = client.post("/collaboration/comments/new/", {"record": key, "body": "again"})
    assert (plain.status_code, plain["Location"]) == (303, f"/org/teams/{team.pk}/")
    invalid = client.post("/collaboration/comments/new/", {"record": key, "body": ""}, headers=HTMX)
    assert "is-invalid" in invalid.content.decode() or "invalid-feedback" in invalid.content.decode()
    assert Comment.objects.count() == 2


def test_a_reply_to_a_parent_that_is_no_id_is_refused_like_a_gone_one(people):
    """Found by a sweep of the forms: ``parent=abc`` answered 500."""
    client = login(people["author"])
    key = record_key(people["record"])
    for parent in ("abc", "²", "99999999999999999999999"):
        refused = client.post(
            "/collaboration/comments/new/", {"record": key, "body": "re", "parent": parent}, headers=HTMX
        )
        assert refused.status_code == 200
        assert "你回复的评论已不存在。" in refused.content.decode()
    assert Comment.objects.count() == 0


def test_reply_edit_and_delete_through_the_pages(people):
    client = login(people["author"])
    key = record_key(people["record"])
    client.post("/collaboration/comments/new/", {"record": key, "body": "top"})
    top = Comment.objects.get()
    client.post("/collaboration/comments/new/", {"record": key, "body": "reply", "parent": top.pk})
    assert Comment.objects.get(body="reply").parent_id == top.pk
    form = client.get(f"/collaboration/comments/{top.pk}/edit/", headers=HTMX)
    assert form.status_code == 200 and "top</textarea>" in form.content.decode()
    saved = client.post(f"/collaboration/comments/{top.pk}/edit/", {"body": "changed"}, headers=HTMX)
    assert saved.headers["HX-Retarget"].startswith("#xt-comments-org-team-")
    assert client.post(f"/collaboration/comments/{top.pk}/delete/").status_code == 303
    top.refresh_from_db()
    assert top.deleted_at is not None


def test_someone_elses_comment_cannot_be_edited_or_deleted(people):
    c = comments.comment_create(actor=people["author"], record=people["record"], body="mine")
    client = login(people["colleague"])
    assert client.get(f"/collaboration/comments/{c.pk}/edit/").status_code == 403
    assert client.post(f"/collaboration/comments/{c.pk}/edit/", {"body": "x"}).status_code == 403
    assert client.post(f"/collaboration/comments/{c.pk}/delete/").status_code == 403
    patched = client.patch(f"/api/v1/comments/{c.pk}", data=json.dumps({"body": "x"}), content_type="application/json")
    assert patched.status_code == 403
    assert client.delete(f"/api/v1/comments/{c.pk}").status_code == 403
    c.refresh_from_db()
    assert (c.body, c.deleted_at) == ("mine", None)


def test_the_thread_takes_a_fixed_number_of_queries(people):
    client = login(people["author"])
    key = record_key(people["record"])
    counter = iter(range(1000))

    def add_rows():
        for _ in range(3):
            top = comments.comment_create(
                actor=people["author"], record=people["record"], body=f"@lilei {next(counter)}"
            )
            comments.comment_create(actor=people["colleague"], record=people["record"], body="re", parent=top)

    add_rows()
    assert_queries_constant(
        lambda: client.get(f"/collaboration/comments/panel/?record={key}"), add_rows, max_queries=14
    )
    assert_queries_constant(lambda: client.get(f"/api/v1/comments?record={key}"), add_rows, max_queries=10)


# --- the API --------------------------------------------------------------------------------------


def test_the_api_creates_lists_edits_and_deletes(people):
    client = login(people["author"])
    key = record_key(people["record"])
    created = post(client, "/api/v1/comments", {"record": key, "body": "hi @lilei"})
    assert created.status_code == 201
    body = created.json()
    assert (body["record"], body["author_name"], body["mentions"]) == (
        key,
        "王芳",
        [{"user_id": people["colleague"].pk, "team_id": None, "name": "李雷"}],
    )
    reply = post(client, "/api/v1/comments", {"record": key, "body": "re", "parent_id": body["id"]})
    assert reply.json()["parent_id"] == body["id"]
    listed = client.get(f"/api/v1/comments?record={key}").json()["results"]
    assert [c["body"] for c in listed] == ["re", "hi @lilei"]
    patched = client.patch(
        f"/api/v1/comments/{body['id']}", data=json.dumps({"body": "hey"}), content_type="application/json"
    )
    assert (patched.status_code, patched.json()["body_html"]) == (200, "<p>hey</p>\n")
    assert client.delete(f"/api/v1/comments/{body['id']}").status_code == 204
    assert client.get(f"/api/v1/comments/{body['id']}").json()["body"] == ""


def test_the_api_answers_invalid_input_and_the_closed_window(people, settings):
    client = login(people["author"])
    key = record_key(people["record"])
    empty = post(client, "/api/v1/comments", {"record": key, "body": " "})
    assert (empty.status_code, empty.json()["errors"][0]["field"]) == (422, "body")
    bad_parent = post(client, "/api/v1/comments", {"record": key, "body": "x", "parent_id": 999999})
    assert (bad_parent.status_code, bad_parent.json()["errors"][0]["field"]) == (422, "parent")
    c = comments.comment_create(actor=people["author"], record=people["record"], body="x")
    Comment.objects.filter(pk=c.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    late = client.patch(f"/api/v1/comments/{c.pk}", data=json.dumps({"body": "y"}), content_type="application/json")
    assert (late.status_code, late.json()["errors"][0]["field"]) == (409, "body")


# --- visibility -----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["org.team:{pk}", "org.team:999999", "org.businessunit:{bu}", "nonsense", ""])
def test_the_list_answers_404_for_invisible_missing_or_unknown_records(people, org, key):
    client = login(people["outsider"])
    url_key = key.format(pk=people["record"].pk, bu=org["bu1"].pk)
    response = client.get(f"/api/v1/comments?record={url_key}")
    assert (response.status_code, set(response.json())) == (404, {"detail", "errors"})


def test_a_user_who_cannot_see_the_record_gets_404_everywhere(people):
    c = comments.comment_create(actor=people["author"], record=people["record"], body="内部讨论")
    key = record_key(people["record"])
    client = login(people["outsider"])
    assert post(client, "/api/v1/comments", {"record": key, "body": "x"}).status_code == 404
    assert post(client, "/api/v1/comments", {"record": key, "body": "x", "parent_id": c.pk}).status_code == 404
    assert client.get(f"/api/v1/comments/{c.pk}").status_code == 404
    edit = client.patch(f"/api/v1/comments/{c.pk}", data=json.dumps({"body": "x"}), content_type="application/json")
    assert edit.status_code == 404
    assert client.delete(f"/api/v1/comments/{c.pk}").status_code == 404
    assert client.post("/collaboration/comments/new/", {"record": key, "body": "x"}).status_code == 404
    assert client.get(f"/collaboration/comments/panel/?record={key}").status_code == 404
    assert client.get(f"/collaboration/comments/{c.pk}/edit/").status_code == 404
    assert client.post(f"/collaboration/comments/{c.pk}/delete/").status_code == 404
    assert Comment.objects.count() == 1


def test_the_panel_renders_only_for_people_who_see_the_record(people):
    comments.comment_create(actor=people["author"], record=people["record"], body="内部讨论")
    for who, shown in (("author", True), ("colleague", True), ("outsider", False)):
        request = RequestFactory().get("/")
        request.user = people[who]
        html = render_to_string("collaboration/comments/panel.html", {"record": people["record"]}, request=request)
        assert ("内部讨论" in html) is shown, who
        assert (html.strip() == "") is not shown, who


def test_a_mention_reads_hidden_once_the_reader_lost_sight_of_the_record(org):
    """Found in review: the record name and the excerpt must not outlive the reader's access."""
    from xietong.collaboration import selectors as csel
    from xietong.collaboration import services as collab
    from xietong.collaboration.models import Notification

    reader = UserFactory(username="reader_x", primary_team=org["north"])  # cannot see BU1's teams
    collab.notifications_deliver(
        event_key="comment:1:v1",
        kind="mentioned",
        recipient_ids=[reader.pk],
        record=("org.team", org["east"].pk),
        params={"actor": "某人", "record": "华东销售部", "excerpt": "机密报价"},
    )
    (note,) = csel.decorate(Notification.objects.filter(recipient=reader), user=reader)
    assert "华东销售部" not in note.text and "机密报价" not in note.text
    assert note.url == ""
