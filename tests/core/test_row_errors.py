"""A service's refusal of rows lands on the rows it names, in either key shape the services use
(``lines[1].quantity`` counted from 1, ``installments.0.amount`` counted from 0); the rest is returned
(``spread_row_errors``) or put at the top of the formset (``add_row_errors``)."""

import pytest
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from xietong.core.errors import Conflict
from xietong.core.forms import add_row_errors, parse_row_key, spread_row_errors


class _Row(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    quantity = forms.IntegerField()


_Rows = forms.formset_factory(_Row, extra=0)


def _formset(count: int = 2) -> forms.BaseFormSet:
    data = {"r-TOTAL_FORMS": str(count), "r-INITIAL_FORMS": "0"}
    data.update({f"r-{n}-quantity": "1" for n in range(count)})
    formset = _Rows(data, prefix="r")
    assert formset.is_valid()
    return formset


@pytest.mark.parametrize(
    ("name", "key", "parsed"),
    [
        ("lines[2].quantity", "lines[{n}]", (2, "quantity")),
        ("lines[12].unit_price", "lines[{n}]", (12, "unit_price")),
        ("installments.0.amount", "installments.{n}", (0, "amount")),
        ("allocations.3.installment", "allocations.{n}", (3, "installment")),
        ("lines", "lines[{n}]", None),
        ("lines[x].quantity", "lines[{n}]", None),
        ("lines[2]", "lines[{n}]", None),
        ("lines[2].", "lines[{n}]", None),
        ("lines.2.quantity", "lines[{n}]", None),  # the other shape is not this key's
        ("installments[2].amount", "installments.{n}", None),
        ("contacts[1].contact", "lines[{n}]", None),
        ("xlines[1].quantity", "lines[{n}]", None),
    ],
)
def test_a_row_key_is_read_by_its_pattern(name, key, parsed):
    assert parse_row_key(name, key=key) == parsed


def test_brackets_count_from_one_and_dots_from_zero_as_the_caller_says():
    formset = _formset()
    rest = spread_row_errors(
        ValidationError({"lines[2].quantity": ["Too many."], "lines[1].quantity": ["Too few."]}),
        formset.forms,
        key="lines[{n}]",
        first=1,
    )
    assert rest == {}
    assert [dict(row.errors) for row in formset.forms] == [{"quantity": ["Too few."]}, {"quantity": ["Too many."]}]

    formset = _formset()
    rest = spread_row_errors(
        ValidationError({"installments.1.quantity": ["Too many."]}), formset.forms, key="installments.{n}", first=0
    )
    assert rest == {}
    assert [dict(row.errors) for row in formset.forms] == [{}, {"quantity": ["Too many."]}]


def test_what_names_no_row_sent_or_no_field_of_it_is_returned_in_order():
    formset = _formset()
    rest = spread_row_errors(
        ValidationError(
            {
                "lines[3].quantity": ["No third row."],
                "title": ["Give it a title."],
                "lines[0].quantity": ["Rows count from 1."],
                "lines[1].colour": ["No such field."],
                "lines": ["Add a line."],
            }
        ),
        formset.forms,
        key="lines[{n}]",
        first=1,
    )
    assert list(rest.items()) == [
        ("lines[3].quantity", ["No third row."]),
        ("title", ["Give it a title."]),
        ("lines[0].quantity", ["Rows count from 1."]),
        ("lines[1].colour", ["No such field."]),
        ("lines", ["Add a line."]),
    ]
    assert [dict(row.errors) for row in formset.forms] == [{}, {}]


def test_an_error_without_keys_is_returned_as_the_forms_own():
    rest = spread_row_errors(ValidationError("Not now."), _formset().forms, key="lines[{n}]", first=1)
    assert rest == {NON_FIELD_ERRORS: ["Not now."]}


def test_a_hidden_fields_error_goes_under_the_field_or_at_the_rows_top():
    refusal = ValidationError({"lines[1].id": ["Listed twice."]})
    formset = _formset()
    spread_row_errors(refusal, formset.forms, key="lines[{n}]", first=1)
    assert dict(formset.forms[0].errors) == {"id": ["Listed twice."]}

    formset = _formset()
    spread_row_errors(refusal, formset.forms, key="lines[{n}]", first=1, hidden_at_top=True)
    assert dict(formset.forms[0].errors) == {NON_FIELD_ERRORS: ["Listed twice."]}


def test_a_line_editors_refusal_puts_the_rest_at_the_top_of_the_formset():
    formset = _formset()
    add_row_errors(
        formset,
        formset.forms,
        ValidationError({"lines[2].quantity": ["Too many."], "lines": ["Add a line."], "lines[9].quantity": ["Gone."]}),
        key="lines[{n}]",
        first=1,
    )
    assert dict(formset.forms[1].errors) == {"quantity": ["Too many."]}
    assert list(formset.non_form_errors()) == ["Add a line.", "Gone."]

    add_row_errors(formset, formset.forms, ValidationError("Not now."), key="lines[{n}]", first=1)
    add_row_errors(formset, formset.forms, Conflict("Someone changed it."), key="lines[{n}]", first=1)
    assert list(formset.non_form_errors()) == ["Add a line.", "Gone.", "Not now.", "Someone changed it."]


def test_only_the_rows_sent_are_counted():
    formset = _formset(3)
    sent = [formset.forms[0], formset.forms[2]]  # the middle row was left empty
    spread_row_errors(
        ValidationError({"installments.1.quantity": ["Too many."]}), sent, key="installments.{n}", first=0
    )
    assert [dict(row.errors) for row in formset.forms] == [{}, {}, {"quantity": ["Too many."]}]
