"""``SearchSelect``: a select over a table too big to list holds the empty choice and the chosen
record only (one query by key, none without a key), names the API that searches it, and leaves what
is accepted to the field's queryset."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.utils import translation

from tests.support.factories import BusinessUnitFactory
from tests.support.queries import count_queries
from xietong.core.forms import RowChoiceField, RowChoices, SearchSelect, chosen_keys, rows_formset
from xietong.org.models import BusinessUnit

pytestmark = pytest.mark.django_db

INVALID = "Select a valid choice. That choice is not one of the available choices."


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def _form(queryset: Any, *, required: bool = True, **kwargs: Any) -> forms.Form:
    class _Form(forms.Form):
        unit = forms.ModelChoiceField(
            queryset=queryset, required=required, empty_label="Every unit", widget=SearchSelect("api:list_customers")
        )

    return _Form(**kwargs)


def _options(html: str) -> int:
    return html.count("<option")


def test_the_chosen_record_is_the_only_one_on_the_page_read_with_one_query():
    units = [BusinessUnitFactory(name=f"事业部{n}") for n in range(5)]
    form = _form(BusinessUnit.objects.order_by("name"), initial={"unit": units[2].pk})

    queries, html, _ = count_queries(lambda: str(form["unit"]))

    assert queries == 1
    assert _options(html) == 2
    assert '<option value="">Every unit</option>' in html
    assert f'<option value="{units[2].pk}" selected>事业部2</option>' in html
    assert [u.name for u in units if u.name in html] == ["事业部2"]
    assert 'data-xt-picker="/api/v1/customers"' in html
    assert 'data-xt-placeholder="Type to search…"' in html
    assert 'data-xt-empty="Nothing found."' in html
    assert " required" in html


def test_without_a_choice_it_holds_the_empty_choice_and_reads_nothing():
    BusinessUnitFactory.create_batch(3)
    form = _form(BusinessUnit.objects.all())

    queries, html, _ = count_queries(lambda: str(form["unit"]))

    assert (queries, _options(html)) == (0, 1)
    assert '<option value="" selected>Every unit</option>' in html


@pytest.mark.parametrize("value", ["abc", "1 OR 1=1", "-1", ""])
def test_a_value_that_is_not_a_key_reads_nothing_and_is_refused(value):
    BusinessUnitFactory()
    form = _form(BusinessUnit.objects.all(), data={"unit": value})
    assert not form.is_valid()  # (validation may look the value up: "-1" is a query by key)

    queries, html, _ = count_queries(lambda: str(form["unit"]))

    assert (queries, _options(html)) == (0, 1)
    assert form.errors["unit"] == (
        ["This field is required."]
        if value == ""
        else ["Select a valid choice. That choice is not one of the available choices."]
    )


def test_a_key_outside_the_fields_queryset_is_refused_and_not_shown():
    seen, hidden = BusinessUnitFactory(name="看得见"), BusinessUnitFactory(name="看不见")
    form = _form(BusinessUnit.objects.filter(pk=seen.pk), data={"unit": str(hidden.pk)})

    assert not form.is_valid()
    assert form.errors["unit"] == [INVALID]
    assert "看不见" not in str(form["unit"])


def test_a_posted_key_in_the_queryset_is_accepted_and_shown_again():
    unit = BusinessUnitFactory(name="华东")
    form = _form(BusinessUnit.objects.all(), data={"unit": str(unit.pk)})

    assert form.is_valid()
    assert form.cleaned_data["unit"] == unit
    assert f'<option value="{unit.pk}" selected>华东</option>' in str(form["unit"])


def test_an_optional_field_has_no_required_attribute():
    html = str(_form(BusinessUnit.objects.all(), required=False)["unit"])
    assert " required" not in html


# --- on a line editor's rows: RowChoices reads the chosen records of every row at once --------------------


class _Row(forms.Form):
    unit = RowChoiceField(queryset=None, widget=SearchSelect("api:list_products"))

    def __init__(self, *args: Any, units: RowChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units.apply(self.fields["unit"])  # type: ignore[arg-type]


_Rows = rows_formset(_Row, new_rows=3)


def test_chosen_keys_are_those_of_the_initial_rows_and_of_the_posted_rows():
    unit = BusinessUnitFactory()
    initial = [{"unit": unit}, {"unit": 7}, {"unit": None}, {}]
    data = {"r-0-unit": "12", "r-1-unit": "abc", "r-2-unit": "", "r-10-unit": "5", "x-0-unit": "99", "r-0-other": "8"}
    assert chosen_keys("unit", prefix="r", initial=initial, data=data) == {unit.pk, 7, 12, 5}
    assert chosen_keys("unit", prefix="r", data={"r-0-unit": "9" * 30}) == set()  # not a key: left to the field


def test_each_row_shows_its_own_record_and_the_editor_reads_them_with_one_query():
    units = [BusinessUnitFactory(name=f"事业部{n}") for n in range(6)]
    initial = [{"unit": units[1].pk}, {"unit": units[4].pk}]
    choices = RowChoices(BusinessUnit.objects.order_by("name"), chosen=chosen_keys("unit", prefix="r", initial=initial))
    formset = _Rows(prefix="r", initial=initial, form_kwargs={"units": choices})
    formset.extra = 2

    queries, html, _ = count_queries(lambda: "".join(str(form["unit"]) for form in formset.forms))

    assert queries == 1
    assert [u.name for u in units if u.name in html] == ["事业部1", "事业部4"]
    assert html.count("事业部1") == html.count("事业部4") == 1
    assert html.count("<option") == 2 + 4  # each row: its empty choice, and its record if it has one


def test_a_posted_row_is_checked_against_the_fields_queryset():
    seen, hidden = BusinessUnitFactory(), BusinessUnitFactory()
    data = {"r-TOTAL_FORMS": "2", "r-INITIAL_FORMS": "0", "r-0-unit": str(seen.pk), "r-1-unit": str(hidden.pk)}
    queryset = BusinessUnit.objects.filter(pk=seen.pk)
    units = RowChoices(queryset, chosen=chosen_keys("unit", prefix="r", data=data))
    formset = _Rows(data, prefix="r", form_kwargs={"units": units})

    assert not formset.is_valid()
    assert formset.forms[0].cleaned_data["unit"] == seen
    assert formset.forms[1].errors["unit"] == [INVALID]
