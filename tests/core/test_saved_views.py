"""Saved views of list pages: save, replace and delete one's own; nobody else's is visible or deletable;
cursor/page params are never saved; the lists show them with one query."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.template import Context, Template
from django.test import RequestFactory

from tests.conftest import login
from tests.customers.customers_people import make_people
from tests.support.queries import count_queries
from xietong.core import saved_views
from xietong.core.errors import NotFound, ValidationError
from xietong.core.models import SavedView

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org):
    return make_people(org)


def test_save_strips_cursor_and_page_params_and_empty_values(people):
    view = saved_views.saved_view_save(
        user=people.rep, list_name="customers", name=" A级 ", query="?sort=-name&after=abc&level=A&q=&page=3&before=x"
    )
    assert (view.name, view.list_name, view.query) == ("A级", "customers", "level=A&sort=-name")


def test_the_same_name_replaces_the_view(people):
    first = saved_views.saved_view_save(user=people.rep, list_name="customers", name="A级", query="level=A")
    again = saved_views.saved_view_save(user=people.rep, list_name="customers", name="A级", query="level=B")
    assert again.pk == first.pk
    assert list(SavedView.objects.values_list("query", flat=True)) == ["level=B"]
    # the same name on another list, or by another person, is another view
    saved_views.saved_view_save(user=people.rep, list_name="leads", name="A级", query="status=new")
    saved_views.saved_view_save(user=people.rep2, list_name="customers", name="A级", query="level=C")
    assert SavedView.objects.count() == 3


@pytest.mark.parametrize(("name", "field"), [("", "name"), ("   ", "name"), ("x" * 61, "name")])
def test_a_name_is_required_and_short(people, name, field):
    with pytest.raises(ValidationError) as exc:
        saved_views.saved_view_save(user=people.rep, list_name="customers", name=name, query="level=A")
    assert field in exc.value.message_dict
    assert not SavedView.objects.exists()


def test_only_ones_own_views_are_listed_and_deletable(people):
    mine = saved_views.saved_view_save(user=people.rep, list_name="customers", name="我的", query="level=A")
    theirs = saved_views.saved_view_save(user=people.rep2, list_name="customers", name="他的", query="level=B")
    assert list(saved_views.saved_views(user=people.rep, list_name="customers")) == [mine]
    assert list(saved_views.saved_views(user=people.rep, list_name="contacts")) == []
    with pytest.raises(NotFound):
        saved_views.saved_view_delete(user=people.rep, pk=theirs.pk)
    saved_views.saved_view_delete(user=people.rep, pk=mine.pk)
    assert list(SavedView.objects.all()) == [theirs]


def test_save_and_delete_through_the_pages(people):
    client = login(people.rep)
    response = client.post(
        "/saved-views/",
        {"list_name": "customers", "name": "A级", "query": "level=A&after=xyz", "next": "/customers/?level=A"},
    )
    assert response.status_code == 303
    assert response["Location"] == "/customers/?level=A"
    view = SavedView.objects.get(user=people.rep)
    assert view.query == "level=A"
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]

    response = client.post("/saved-views/", {"list_name": "customers", "name": "", "next": "//evil.example/"})
    assert response.status_code == 303
    assert response["Location"] == "/"  # never another host
    assert [m.level_tag for m in get_messages(response.wsgi_request)][-1] == "error"

    other = login(people.rep2)
    assert other.post(f"/saved-views/{view.pk}/delete/", {"next": "/customers/"}).status_code == 404
    assert other.get(f"/saved-views/{view.pk}/delete/").status_code == 405
    response = client.post(f"/saved-views/{view.pk}/delete/", {"next": "/customers/"})
    assert response.status_code == 303
    assert response["Location"] == "/customers/"
    assert not SavedView.objects.exists()


def test_the_lists_show_the_users_saved_views(people):
    saved_views.saved_view_save(user=people.rep, list_name="customers", name="A级客户", query="level=A")
    saved_views.saved_view_save(user=people.rep2, list_name="customers", name="别人的视图", query="level=B")
    client = login(people.rep)
    html = client.get("/customers/").content.decode()
    assert 'href="?level=A"' in html
    assert "A级客户" in html
    assert "别人的视图" not in html
    assert 'aria-current="page">A级客户' not in html
    # the view matching the current filters is the active one, whatever the cursor
    html = client.get("/customers/?level=A&after=abc").content.decode()
    assert 'aria-current="page">A级客户' in html
    # the htmx fragment carries the bar out of band, following the filters just chosen
    html = client.get("/customers/?level=A", headers={"HX-Request": "true", "HX-Target": "customer-results"})
    assert 'id="xt-saved-views" hx-swap-oob="true"' in html.content.decode()
    # the other lists have their own
    assert "A级客户" not in client.get("/customers/contacts/").content.decode()
    assert "A级客户" not in client.get("/leads/").content.decode()


def test_the_component_costs_one_query_however_many_views(people):
    request = RequestFactory().get("/customers/?level=A")
    request.user = people.rep
    template = Template("{% load xt %}{% saved_views 'customers' %}")

    def render() -> str:
        return template.render(Context({"request": request}))

    queries, html, _ = count_queries(render)
    assert queries == 1
    assert "xt-saved-views" in html
    for n in range(3):
        saved_views.saved_view_save(user=people.rep, list_name="customers", name=f"视图{n}", query=f"level={n}")
    queries, html, _ = count_queries(render)
    assert queries == 1
    assert html.count('class="nav-link') == 3


def test_the_list_page_queries_do_not_grow_with_saved_views(people):
    client = login(people.rep)
    client.get("/customers/")  # warm caches
    before, _response, _sql = count_queries(lambda: client.get("/customers/"))
    for n in range(3):
        saved_views.saved_view_save(user=people.rep, list_name="customers", name=f"视图{n}", query=f"level={n}")
    after, _response, _sql = count_queries(lambda: client.get("/customers/"))
    assert after == before
