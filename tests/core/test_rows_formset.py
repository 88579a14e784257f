"""A line editor's formset: a post builds at most the rows the document had plus ``new_rows``
(``RowsFormSet``), and the select on every row reads its records once (``RowChoices``), whatever the
number of rows rendered or posted."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.utils import translation

from tests.support.factories import BusinessUnitFactory
from tests.support.queries import count_queries
from xietong.core.forms import RowChoiceField, RowChoices, blank_rows, rows_formset
from xietong.org.models import BusinessUnit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


class _Row(forms.Form):
    unit = RowChoiceField(queryset=None)
    quantity = forms.IntegerField()

    def __init__(self, *args: Any, units: RowChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units.apply(self.fields["unit"])  # type: ignore[arg-type]


_Rows = rows_formset(_Row, new_rows=5, can_delete=True)


def _posted(rows: list[tuple[Any, str]], *, total: int | None = None, initial: int = 0) -> dict[str, str]:
    data = {"r-TOTAL_FORMS": str(len(rows) if total is None else total), "r-INITIAL_FORMS": str(initial)}
    for n, (unit, quantity) in enumerate(rows):
        data[f"r-{n}-unit"] = str(unit)
        data[f"r-{n}-quantity"] = quantity
    return data


def _units(count: int) -> list[BusinessUnit]:
    return [BusinessUnitFactory() for _ in range(count)]


def _formset(data: dict[str, str] | None, *, initial: list[dict[str, Any]] | None = None) -> Any:
    units = RowChoices(BusinessUnit.objects.order_by("pk"))
    return _Rows(data, prefix="r", initial=initial, form_kwargs={"units": units})


def test_a_post_claiming_more_rows_than_the_editor_offers_is_refused_and_shows_the_rows_posted() -> None:
    (unit,) = _units(1)
    data = _posted([(unit.pk, "1"), (unit.pk, "2"), ("", "")], total=100_000, initial=2)
    formset = _formset(data, initial=[{"unit": unit.pk, "quantity": 1}] * 2)
    assert len(formset.forms) == 3  # not 100,000 nor 7 rows, the last 4 of them each "required"
    assert not formset.is_valid()
    assert formset.non_form_errors() == ["Please submit at most 7 forms."]  # the 2 rows it had and 5 new ones
    assert [form.errors for form in formset.forms] == [{}, {}, {}]
    shown = {name: formset.management_form[name].value() for name in ("TOTAL_FORMS", "INITIAL_FORMS")}
    assert shown == {"TOTAL_FORMS": "3", "INITIAL_FORMS": "2"}  # saved again as shown, it is accepted


def test_rows_posted_past_the_limit_build_no_more_than_the_limit() -> None:
    (unit,) = _units(1)
    data = _posted([(unit.pk, "1")], total=100_000)
    data["r-99999-quantity"] = "1"
    formset = _formset(data, initial=[{"unit": unit.pk, "quantity": 1}] * 2)
    assert len(formset.forms) == 7
    assert not formset.is_valid()


def test_a_post_with_the_rows_the_editor_offers_is_valid() -> None:
    a, b = _units(2)
    formset = _formset(
        _posted([(a.pk, "1"), (b.pk, "2"), ("", "")], initial=1), initial=[{"unit": a.pk, "quantity": 1}]
    )
    assert formset.is_valid(), formset.errors
    assert [f.cleaned_data.get("unit") for f in formset.forms] == [a, b, None]


def test_an_unbound_editor_shows_the_documents_rows_and_at_most_new_rows_more() -> None:
    (unit,) = _units(1)
    formset = _formset(None, initial=[{"unit": unit.pk, "quantity": 1}] * 9)
    formset.extra = 50
    assert len(formset.forms) == 14


def test_every_row_renders_and_validates_with_one_query_for_its_select() -> None:
    units = _units(3)
    rows = [(units[n % 3].pk, str(n)) for n in range(40)]
    data = _posted(rows, initial=40)
    queries, html, _ = count_queries(lambda: _with_forms(data, 40))
    assert queries == 1
    assert html.count(f'<option value="{units[0].pk}" selected>') == 14
    assert html.count("<select") == 41  # the 40 rows and the empty row the editor copies


def _with_forms(data: dict[str, str], count: int) -> str:
    formset = _formset(data, initial=[{"quantity": 0}] * count)
    assert formset.is_valid(), formset.errors
    return "".join(str(form["unit"]) for form in [*formset.forms, formset.empty_form])


@pytest.mark.parametrize(("posted", "found"), [("{pk}", True), ("00{pk}", True), (" {pk} ", True), ("x", False)])
def test_a_posted_value_is_looked_up_as_the_database_would(posted: str, found: bool) -> None:
    (unit,) = _units(1)
    formset = _formset(_posted([(posted.format(pk=unit.pk), "1")]))
    assert formset.is_valid() is found
    if found:
        assert formset.forms[0].cleaned_data["unit"] == unit
    else:
        assert formset.forms[0].errors == {
            "unit": ["Select a valid choice. That choice is not one of the available choices."]
        }


def test_a_record_outside_the_choices_is_refused_like_a_missing_one() -> None:
    shown, hidden = _units(2)
    units = RowChoices(BusinessUnit.objects.filter(pk=shown.pk))
    formset = _Rows(_posted([(hidden.pk, "1"), (hidden.pk + 1000, "1")]), prefix="r", form_kwargs={"units": units})
    assert not formset.is_valid()
    assert [f.errors["unit"] for f in formset.forms] == [
        ["Select a valid choice. That choice is not one of the available choices."]
    ] * 2


@pytest.mark.parametrize(
    ("query", "filled", "blank"),
    [
        ("", 0, 3),  # the default
        ("?rows=13", 0, 13),  # "More rows"
        ("?rows=999", 0, 200),  # at most the limit
        ("?rows=0", 0, 1),  # a new document shows one row at least
        ("?rows=abc", 0, 3),  # nonsense: the default
        ("", 2, 3),
        ("?rows=0", 2, 0),  # a document with lines needs no blank row
        ("?rows=50", 190, 10),  # filled and blank rows stay within the limit
        ("", 200, 0),
    ],
)
def test_blank_rows_follow_the_request_within_the_limit(rf, query, filled, blank):
    assert blank_rows(rf.get(f"/editor/{query}"), default=3, limit=200, filled=filled) == blank
