"""The shared UI helpers: money and time filters, service errors on forms, fragment rendering."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from django.utils import timezone, translation

from xietong.core.errors import Conflict
from xietong.core.forms import service_errors
from xietong.core.htmx import fragment_requested
from xietong.core.templatetags.xt import ago, money, money_cell, relative_text


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1234567.891"), "¥1,234,567.89"),
        (Decimal("-1234.5"), "-¥1,234.50"),
        (0, "¥0.00"),
        ("12.3", "¥12.30"),
        (None, "—"),
        ("abc", "—"),
    ],
)
def test_money_is_yuan_with_two_decimals_and_thousands_separators(value, text):
    assert money(value) == text


def test_money_cell_marks_negative_amounts():
    assert money_cell(Decimal("-5")) == '<span class="xt-money xt-negative">-¥5.00</span>'
    assert money_cell(Decimal("5")) == '<span class="xt-money">¥5.00</span>'


def test_relative_time_in_words_and_the_date_after_a_month():
    now = timezone.make_aware(datetime.datetime(2026, 11, 28, 12, 0))
    assert relative_text(now - datetime.timedelta(seconds=20), now) == "just now"
    assert relative_text(now - datetime.timedelta(minutes=5), now) == "5 minutes ago"
    assert relative_text(now - datetime.timedelta(hours=1), now) == "1 hour ago"
    assert relative_text(now - datetime.timedelta(days=3, hours=2), now) == "3 days ago"
    assert relative_text(now + datetime.timedelta(days=2), now) == "in 2 days"
    assert relative_text(now - datetime.timedelta(days=45), now) == "2026-10-14"


def test_ago_shows_the_exact_local_time_on_hover():
    when = timezone.now() - datetime.timedelta(days=3)
    exact = timezone.localtime(when).strftime("%Y-%m-%d %H:%M")
    assert ago(when) == f'<time datetime="{when.isoformat()}" title="{exact}">3 days ago</time>'
    assert ago(None) == "—"


class Sample(forms.Form):
    name = forms.CharField()
    team = forms.CharField(required=False)


def test_service_errors_land_on_the_mapped_fields_and_the_rest_on_top():
    form = Sample({"name": "x", "team": "y"})
    assert form.is_valid()
    with service_errors(form, fields={"primary_team": "team"}):
        raise ValidationError({"primary_team": "Unknown team.", "permissions": "Too wide.", "name": "Taken."})
    assert form.errors == {"team": ["Unknown team."], "__all__": ["Too wide."], "name": ["Taken."]}
    assert form.data == {"name": "x", "team": "y"}  # what the user typed stays


def test_a_conflict_goes_to_its_field_and_denials_only_when_asked():
    form = Sample({"name": "x"})
    form.is_valid()
    with service_errors(form):
        raise Conflict("Already held.", field="name")
    assert form.errors == {"name": ["Already held."]}
    form = Sample({"name": "x"})
    form.is_valid()
    with service_errors(form, denied=True):
        raise PermissionDenied("You cannot grant more than you hold.")
    assert form.errors == {"__all__": ["You cannot grant more than you hold."]}
    with pytest.raises(PermissionDenied), service_errors(Sample({"name": "x"})):
        raise PermissionDenied("no")


def test_a_fragment_only_for_the_target_it_was_asked_for():
    from django_htmx.middleware import HtmxDetails

    def request(**headers):
        req = RequestFactory().get("/", headers=headers)
        req.htmx = HtmxDetails(req)
        return req

    fragments = {"user-results": "results"}
    assert fragment_requested(request(), fragments) is None
    assert fragment_requested(request(**{"HX-Request": "true"}), fragments) is None
    assert fragment_requested(request(**{"HX-Request": "true", "HX-Target": "user-results"}), fragments) == "results"
    restore = {"HX-Request": "true", "HX-Target": "user-results", "HX-History-Restore-Request": "true"}
    assert fragment_requested(request(**restore), fragments) is None
