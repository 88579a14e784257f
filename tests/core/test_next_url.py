"""``next`` after a post goes back to a page of this site, never to another host (open redirect)."""

import pytest
from django.test import RequestFactory

from xietong.core.htmx import next_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/customers/?level=A", "/customers/?level=A"),
        ("", "/home/"),
        ("//evil.example/phish", "/home/"),
        ("https://evil.example/", "/home/"),
        ("javascript:alert(1)", "/home/"),
        ("/\\evil.example", "/home/"),
    ],
)
def test_next_is_a_path_of_this_site_or_the_default(given, expected):
    request = RequestFactory().post("/x/", {"next": given}, HTTP_HOST="testserver")
    assert next_url(request, "/home/") == expected
