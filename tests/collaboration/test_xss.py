"""An XSS payload corpus through every text field of the collaboration surface renders inert on
every page that shows it: record names, people's names, team names, task titles and descriptions,
comment bodies (and, in test_attachments.py, file names).

"Inert" is checked on the parsed HTML, not by string search: no element, event handler, URL or
htmx attribute anywhere carries the payload's marker, and no template syntax was evaluated.
"""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from tests.conftest import login
from tests.sampleapp.services import deal_create, deal_update
from tests.support.factories import TeamFactory, UserFactory, grant, make_role
from xietong.collaboration import comments, follows, registry, tasks_services
from xietong.core.choices import DataScope

pytestmark = pytest.mark.django_db

MARK = "XSS1"
CORPUS = [
    f'<script>alert("{MARK}")</script>',
    f'<img src=x onerror=alert("{MARK}")>',
    f'"><svg onload=alert("{MARK}")>',
    f"'><iframe src=javascript:alert('{MARK}')>",
    f'[click](javascript:alert("{MARK}"))',
    f'<a href="data:text/html,{MARK}">x</a>',
    f'<div hx-get="/{MARK}" hx-trigger="load">x</div>',
    f'<form action="/{MARK}"><button>go</button></form>',
    f"{{{{7*7}}}}{MARK}{{% debug %}}",
    f"\u202e{MARK}gpj.exe",
]
URL_ATTRS = {"href", "src", "action", "formaction", "srcdoc", "data", "style", "xlink:href"}


class Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag in ("script", "style")
        for name, value in attrs:
            if MARK in name:
                self.problems.append(f"<{tag}> has an attribute named from user input: {name}")
            dangerous = name.startswith(("on", "hx-", "data-hx")) or name in URL_ATTRS
            if value and MARK in value and dangerous:
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag in ("script", "svg", "iframe", "img", "object", "embed") and any(MARK in (v or "") for _n, v in attrs):
            self.problems.append(f"user-made <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and MARK in data:
            self.problems.append(f"user text inside a script: {data[:60]!r}")


def inert(html: str) -> list[str]:
    parser = Inspector()
    parser.feed(html)
    problems = parser.problems
    if f"49{MARK}" in html:
        problems.append("template syntax was evaluated")
    return problems


@pytest.fixture(autouse=True)
def _commit_at_once(monkeypatch):
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.mark.parametrize("payload", CORPUS)
def test_every_text_field_renders_inert_everywhere(org, payload):
    seller = make_role(
        "seller", {"sample": (DataScope.BUSINESS_UNIT, {"view", "create", "edit"}), "org": (DataScope.GROUP, {"view"})}
    )
    bad_team = TeamFactory(business_unit=org["bu1"], name=f"组{payload}"[:50])
    wang = UserFactory(username="wang", display_name=f"王{payload}"[:50], primary_team=bad_team)
    li = UserFactory(username="lilei", display_name="李雷", primary_team=bad_team)
    grant(wang, seller)
    grant(li, seller)
    deal = deal_create(actor=wang, name=payload[:100], owner=li, business_unit=org["bu1"])
    follows.follow(actor=li, record=deal)
    follows.follow(actor=li, record=bad_team)
    deal_update(actor=wang, deal=deal, stage=payload[:20])
    task = tasks_services.task_create(
        actor=wang,
        title=payload[:200],
        description=payload,
        assignee=li,
        due_at=timezone.now() - timedelta(hours=1),
        record_key=registry.record_key(deal),
    )
    comments.comment_create(actor=wang, record=deal, body=f"{payload} @lilei @{bad_team.name}")
    comments.comment_create(actor=wang, record=bad_team, body=payload)
    client = login(li)
    pages = [
        "/",
        "/feed/?scope=mine",
        "/feed/?scope=team",
        "/notifications/",
        "/tasks/?view=assigned",
        f"/tasks/{task.pk}/",
        f"/sample/deals/{deal.pk}/",
        f"/org/teams/{bad_team.pk}/",
        f"/collaboration/timeline/?record={registry.record_key(deal)}",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert MARK in html, f"{url} does not show the payload at all: the test would prove nothing"
        assert inert(html) == [], url


@pytest.mark.parametrize(
    "unsafe",
    [
        CORPUS[0],
        CORPUS[1],
        CORPUS[2],
        CORPUS[3],
        f'<a href="javascript:alert(&quot;{MARK}&quot;)">click</a>',  # CORPUS[4] rendered naively
        CORPUS[5],
        CORPUS[6],
        CORPUS[7],
        f"49{MARK}",  # CORPUS[8] evaluated
    ],
)
def test_the_inspector_catches_each_payload_left_unsafe(unsafe):
    """The check above can fail: each payload, in the page in its dangerous form, is caught."""
    assert inert(f"<p>{unsafe}</p>") != []
