"""Whole numbers from query strings and unformed fields (core/params.py): ``"²".isdigit()`` holds but
``int("²")`` fails, so every page reads ids, offsets and counts through ``as_int``; an offset past the
databases' integers is held below them (it failed in the database)."""

from __future__ import annotations

import pytest

from xietong.core.params import LARGEST, as_int
from xietong.org import services
from xietong.org.models import User


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        (0, 0),
        (42, 42),
        (str(LARGEST), LARGEST),
        ("007", 7),
        ("²", None),  # a superscript: a digit to str.isdigit, not to int()
        ("①", None),  # a circled number, common in Chinese text
        ("١٢", None),  # Arabic-Indic digits: int() reads them; ids are ASCII
        (str(LARGEST + 1), LARGEST + 1),  # past the databases' integers: refused where it is used
        ("9" * 5000, None),  # past the 4,300 digits int() reads
        ("-1", None),
        (-1, None),
        ("1e3", None),
        ("1.0", None),
        ("", None),
        (None, None),
        (True, None),
        ("abc", None),
    ],
)
def test_as_int_reads_only_whole_numbers_the_database_can_hold(value, expected):
    assert as_int(value, None) == expected
    assert as_int(value, -1) == (-1 if expected is None else expected)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/pipeline/?process=²", 200),  # not a process: the default one
        ("/pipeline/analytics/?process=²", 200),
        ("/org/teams/new/?business_unit=²&parent=①", 200),
        ("/customers/duplicates/merge/?target=customer&cluster=abc&ids=1,2", 404),
        ("/customers/duplicates/merge/?target=customer&cluster=²&ids=1,2", 404),
    ],
)
def test_pages_given_digits_that_are_not_numbers_answer_rather_than_fail(admin_client, url, status):
    assert admin_client.get(url).status_code == status


@pytest.mark.parametrize(
    ("offset", "shown"),
    # past the end, however far: nothing more to show
    [("²", 10), ("99999999999999999999999999", 0), (str(LARGEST), 0), ("10", 2)],
)
def test_the_history_panel_past_the_end_or_at_a_nonsense_offset_answers(admin_client, org, offset, shown):
    team = org["supply"]
    for i in range(12):
        services.team_update(actor=User.objects.get(username="admin"), team=team, name=f"供应计划组{i}")

    more = admin_client.get(f"/org/teams/{team.pk}/history/?offset={offset}", headers={"HX-Request": "true"})

    assert more.status_code == 200
    assert len(more.context["entries"]) == shown


@pytest.mark.parametrize("text", ["①", "²", "١٢", "-³"])
def test_an_api_body_holding_digits_that_are_not_numbers_is_read_not_failed(admin_client, text):
    response = admin_client.post("/api/v1/tasks", {"title": text}, content_type="application/json")

    assert response.status_code == 201
    assert response.json()["title"] == text
