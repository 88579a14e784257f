"""Every field of an XtForm gets its Bootstrap class, also fields a form adds in its own __init__."""

from django import forms
from django.template.loader import render_to_string

from xietong.core.forms import XtForm


class _Late(XtForm):
    first = forms.CharField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["later"] = forms.ChoiceField(choices=[("a", "A")])
        self.fields["flag"] = forms.BooleanField(required=False)


def test_fields_added_after_the_form_was_built_are_styled_too():
    html = render_to_string("components/form_fields.html", {"form": _Late()})
    assert 'class="form-control"' in html and 'name="first"' in html
    assert '<select name="later" class="form-select"' in html
    assert '<input type="checkbox" name="flag" class="form-check-input"' in html
    assert html.count("form-control") == 1  # styling twice adds nothing
