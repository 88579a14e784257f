"""The four error pages share one frame (``errors/base.html``) and each says its own: title, code,
heading. 500.html is rendered by Django without a request, so it needs no user and no database."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import loader
from django.test import RequestFactory
from django.utils import translation


def _render(name: str, *, request: bool) -> str:
    if not request:
        return loader.get_template(name).render()  # as django.views.defaults.server_error does
    anonymous = RequestFactory().get("/somewhere/")
    anonymous.user = AnonymousUser()
    return loader.get_template(name).render({}, anonymous)


@pytest.mark.parametrize(
    ("name", "request_", "title", "heading"),
    [
        ("400.html", True, "Bad request", "Bad request"),
        ("403.html", True, "Not allowed", "Not allowed"),
        ("404.html", True, "Not found", "Not found"),
        ("500.html", False, "Server error", "Something went wrong"),
    ],
)
def test_each_error_page_renders_its_own_title_code_and_heading_without_the_database(name, request_, title, heading):
    # no django_db mark: a query here would fail the test
    with translation.override("en"):
        html = _render(name, request=request_)
    code = name.removesuffix(".html")
    assert f"<title>{title} · XieTong</title>" in html
    assert f'<div class="xt-error-code">{code}</div>' in html
    assert f"<h1>{heading}</h1>" in html
    assert '<a class="btn btn-primary" href="/">Back to the home page</a>' in html
    assert '<body class="xt-bare">' in html  # no one signed in: the bare frame
    assert html.count('<div class="xt-error-page">') == 1


def test_the_server_error_page_speaks_chinese_without_a_request():
    with translation.override("zh-hans"):
        html = _render("500.html", request=False)
    assert "<title>服务器错误 · 协同</title>" in html
    assert "<h1>出错了</h1>" in html


def test_the_forbidden_page_says_why_when_it_knows():
    anonymous = RequestFactory().get("/somewhere/")
    anonymous.user = AnonymousUser()
    with translation.override("en"):
        told = loader.get_template("403.html").render({"exception": "Only the owner may."}, anonymous)
        untold = loader.get_template("403.html").render({}, anonymous)
    assert "<p>Only the owner may.</p>" in told and "Your roles do not allow this." not in told
    assert "<p>Your roles do not allow this.</p>" in untold
    for html in (told, untold):
        assert '<p class="text-body-secondary">If you need it for your work, ask an administrator' in html


@pytest.mark.django_db
def test_a_signed_in_users_404_keeps_the_apps_frame(admin_client):
    response = admin_client.get("/org/users/999999/")
    html = response.content.decode()
    assert (response.status_code, [t.name for t in response.templates[:2]]) == (404, ["404.html", "errors/base.html"])
    assert 'class="xt-sider' in html and '<body class="xt-bare">' not in html
    assert '<div class="xt-error-code">404</div>' in html
