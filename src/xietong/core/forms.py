"""Form helpers every app uses: Bootstrap markup, and service errors shown on the form.

Views call services inside ``service_errors(form)``; what the service refuses lands on the form
(field errors next to the field, the rest at the top) and the view re-renders it with what the user
typed::

    if form.is_valid():
        with service_errors(form, fields={"primary_team": "team"}):
            user = services.user_create(actor=request.user, ...)
        if form.is_valid():          # still valid: the service accepted it
            return done(request, user_url)
    return render_form(...)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC
from functools import cache, cached_property
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from .errors import Conflict
from .params import as_int

# Django 6.1's empty choice of required selects; Django has no zh-Hans text for it yet, ours does.
gettext_noop("- Select an option -")


def posted(request: HttpRequest) -> QueryDict | None:
    """The data to bind a form to: the POST on a post, nothing (an unbound form) otherwise."""
    return request.POST if request.method == "POST" else None


def style_widget(widget: forms.Widget) -> None:
    """Give a widget its Bootstrap class (once: calling it again changes nothing)."""
    if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    classes = widget.attrs.get("class", "").split()
    if css not in classes:
        widget.attrs["class"] = " ".join([css, *classes])


class XtFormMixin:
    """Bootstrap classes on every widget; ``{{ form }}`` renders our field markup.

    Fields are styled when the form is built and again when a field is reached for rendering, so a
    form that adds fields in its own ``__init__`` (after this one ran) is styled the same."""

    template_name = "components/form_fields.html"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            style_widget(field.widget)

    def __getitem__(self, name: str) -> Any:
        field = self.fields.get(name)  # type: ignore[attr-defined]
        if field is not None:
            style_widget(field.widget)
        return super().__getitem__(name)  # type: ignore[misc]


class XtForm(XtFormMixin, forms.Form):
    pass


class DateTimeField(forms.DateTimeField):
    """A local date and time the database can keep: it stores instants in UTC, and the first hours of
    year 1 or the last of year 9999 (local) lie outside the years UTC has. Forms use this one field
    for every date and time."""

    default_error_messages = {"out_of_range": _("Enter a date and time between the years 1 and 9999.")}

    def to_python(self, value: Any) -> Any:
        result = super().to_python(value)
        if result is not None:
            try:
                result.astimezone(UTC)
            except OverflowError:
                raise ValidationError(self.error_messages["out_of_range"], code="out_of_range") from None
        return result


class MonthField(forms.DateField):
    """A month (``<input type="month">``: ``2027-03``) as the 1st of that month. Line editors, filters
    and plan forms use this one field for every month."""

    input_formats = ["%Y-%m", "%Y-%m-%d"]
    default_error_messages = {"invalid": _("Enter a month, e.g. 2026-11.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        result = super().to_python(value)
        return result.replace(day=1) if result else result


class RowsFormSet(forms.BaseFormSet):
    """The formset of a line editor (``rows_formset``). A post builds at most the rows the document
    had (its ``initial``) plus ``new_rows``: ``*-TOTAL_FORMS`` is only what the browser says, and a
    forged count made Django build, validate and render again up to 2,000 rows of selects (20 s and
    8 MB for one request). A post that claims more is refused with the formset's own error
    ("Please submit at most … forms"), nothing is saved, and the editor shows again the rows whose
    fields were posted (not hundreds of empty rows, each "required"), so saving it again works."""

    new_rows = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit = len(self.initial or ()) + self.new_rows
        self.max_num = self.absolute_max = self.limit

    def total_form_count(self) -> int:
        count = super().total_form_count()
        if self.is_bound and count >= self.limit:  # as many as allowed, or a forged count
            count = min(count, self._posted_rows)
        return count

    @cached_property
    def management_form(self) -> forms.formsets.ManagementForm:
        form = super().management_form
        total = forms.formsets.TOTAL_FORM_COUNT
        if self.is_bound and (form.cleaned_data[total] or 0) > self.limit:
            # its count stays refused (``full_clean`` reads it); the page says the rows it shows
            form.data = {form.add_prefix(name): form.data.get(form.add_prefix(name)) for name in form.fields}
            form.data[form.add_prefix(total)] = str(min(self.limit, self._posted_rows))
        return form

    @cached_property
    def _posted_rows(self) -> int:
        """One more than the highest row number among the posted fields' names."""
        row = re.compile(rf"{re.escape(self.prefix or '')}-(\d{{1,9}})-")
        numbers = [int(found[1]) for key in self.data if (found := row.match(key))]
        return max(numbers, default=-1) + 1


def rows_formset(form: type[forms.BaseForm], *, new_rows: int, **kwargs: Any) -> type[RowsFormSet]:
    """A line editor's formset class: ``formset_factory`` with the limit of ``RowsFormSet``."""
    formset = forms.formset_factory(form, formset=RowsFormSet, extra=0, **kwargs)
    formset.new_rows = new_rows  # type: ignore[attr-defined]
    return formset  # type: ignore[return-value]


def blank_rows(request: HttpRequest, *, default: int, limit: int, filled: int = 0) -> int:
    """The blank rows a line editor shows under its ``filled`` ones: ``?rows=`` ("More rows") or
    ``default``, so that filled and blank rows stay within ``limit``; at least one when none is filled."""
    wanted = as_int(request.GET.get("rows", ""), default)
    return max(min(filled + wanted, limit) - filled, 0 if filled else 1)


class RowChoices:
    """The records a select on every row of a line editor offers (the products of a quote's lines,
    the people of a deal team), read once for the whole editor.

    A ``ModelChoiceField`` reads its queryset again for each row it renders and for each posted row
    it validates: a 200-line quote's editor ran 200 queries for its selects. A line form takes a
    ``RowChoices`` instead of a queryset and calls ``apply`` on its ``RowChoiceField``: every row
    (and the formset's ``empty_form``) then shows the choices read here and looks posted values up
    in them.

    When the rows' select is a ``SearchSelect`` (products: a catalogue too big to put on every row),
    ``chosen`` names the keys the rows hold (``chosen_keys``): only those records are read, and each
    row shows its own. A key posted on a row is among them, so it is looked up as before."""

    MAX_CHOSEN = 1000  # more rows than any editor takes (a forged post cannot make the query huge)

    def __init__(self, queryset: QuerySet[Any], *, chosen: Iterable[int] | None = None) -> None:
        self.queryset = queryset
        self.chosen = None if chosen is None else sorted(set(chosen))[: self.MAX_CHOSEN]
        self._choices: list[Any] | None = None  # made with the first row's field; every row's is alike

    @cached_property
    def records(self) -> list[Model]:
        if self.chosen is None:
            return list(self.queryset)
        return list(self.queryset.filter(pk__in=self.chosen)) if self.chosen else []

    @cached_property
    def _by_pk(self) -> dict[Any, Model]:
        return {record.pk: record for record in self.records}

    def apply(self, field: RowChoiceField) -> None:
        field.queryset = self.queryset
        field.rows = self
        if self._choices is None:
            made = forms.models.ModelChoiceIterator(field)
            empty = [("", field.empty_label)] if field.empty_label is not None else []
            self._choices = empty + [made.choice(record) for record in self.records]
        field.choices = self._choices

    def get(self, value: Any) -> Model | None:
        return self._by_pk.get(value)


def chosen_keys(
    field: str, *, prefix: str, initial: Iterable[Mapping[str, Any]] = (), data: Mapping[str, Any] | None = None
) -> set[int]:
    """The keys a line editor's rows hold in ``field``: its initial rows' and those posted on
    ``{prefix}-{n}-{field}`` (values that are not keys are left to the field to refuse)."""
    values = [row.get(field) for row in initial]
    if data is not None:
        pattern = re.compile(rf"{re.escape(prefix)}-\d+-{re.escape(field)}")
        values += [value for name, value in data.items() if pattern.fullmatch(name)]
    keys = set()
    for value in values:
        key = getattr(value, "pk", value)
        if isinstance(key, int) or (isinstance(key, str) and key.isdigit() and len(key) < 19):
            keys.add(int(key))
    return keys


class RowChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """The select of a line editor's row (see ``RowChoices``): a posted value is looked up among
    the records read once, as Django's field would look it up with ``queryset.get(pk=…)``."""

    rows: RowChoices | None = None

    def to_python(self, value: Any) -> Any:
        if self.rows is None or self.to_field_name or value in self.empty_values:
            return super().to_python(value)
        self.validate_no_null_characters(value)
        model = self.queryset.model  # type: ignore[union-attr]
        if isinstance(value, model):
            value = value.pk
        try:
            found = self.rows.get(model._meta.pk.to_python(value))
        except (ValueError, TypeError, ValidationError):
            found = None
        if found is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
        return found


class SearchSelect(forms.Select):
    """The select of a ``ModelChoiceField`` over a table too big to list (customers, products): the
    page holds only the chosen record and the browser searches as the user types.

    ``source`` names an API list endpoint (``"api:list_customers"``) that takes ``q`` and
    ``page_size`` (and ``params``, e.g. ``{"status": "active"}``) and answers
    ``{"results": [{"id", "name", …}]}`` with visibility applied; app.js turns the select into a
    search box (Tom Select) on it, labelling a found record "name (code)" with ``label`` = ("name",
    "code") and showing its ``detail`` fields beside it. The field keeps its queryset, so a posted key
    is still checked against what the user may see: the widget changes what is sent, not what is
    accepted.

    The chosen record is read by its key (one query); on a line editor's rows ``RowChoices`` reads
    the chosen records of every row at once and the rows take theirs from that list (no query)."""

    def __init__(
        self,
        source: str,
        *,
        params: Mapping[str, str] | None = None,
        label: Sequence[str] = ("name",),
        detail: Sequence[str] = (),
        attrs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(attrs)
        self.source, self.params, self.label, self.detail = source, dict(params or {}), tuple(label), tuple(detail)

    def build_attrs(self, base_attrs: dict[str, Any], extra_attrs: dict[str, Any] | None = None) -> dict[str, Any]:
        attrs = super().build_attrs(base_attrs, extra_attrs)
        query = f"?{urlencode(self.params)}" if self.params else ""
        attrs["data-xt-picker"] = reverse(self.source) + query
        attrs["data-xt-label"] = " ".join(self.label)
        if self.detail:
            attrs["data-xt-detail"] = " ".join(self.detail)
        attrs["data-xt-placeholder"] = str(_("Type to search…"))
        attrs["data-xt-empty"] = str(_("Nothing found."))
        attrs["data-xt-clear"] = str(_("Clear"))
        return attrs

    def use_required_attribute(self, initial: Any) -> bool:
        return not self.is_hidden  # (``Select`` would read the first choice, a query, to decide)

    def optgroups(self, name: str, value: list[Any], attrs: dict[str, Any] | None = None) -> list[Any]:
        """The empty choice and the chosen record only; a value that is not a key reads nothing."""
        choices = self.choices
        keys = [int(v) for v in value if str(v).isdigit()]
        options: list[Any] = []
        if isinstance(choices, forms.models.ModelChoiceIterator):
            if choices.field.empty_label is not None:
                options.append(("", choices.field.empty_label))
            if keys:
                options += [choices.choice(record) for record in choices.queryset.filter(pk__in=keys)]  # type: ignore[union-attr]
        else:  # a list already read (``RowChoices``): its empty choice and the chosen one
            options = [(v, label) for v, label in choices if v == "" or (keys and str(v) in value)]
        groups = []
        for index, (option_value, label) in enumerate(options):
            selected = str(option_value) in value if option_value != "" else not keys
            groups.append((None, [self.create_option(name, option_value, label, selected, index, attrs=attrs)], index))
        return groups


def kept_rows(formset: Any) -> list[Any]:
    """The rows of a line editor to hand to the service, in order: every row that was there (an
    initial form), changed or not, and every extra row that was filled in; less those marked for
    deletion. (``has_changed`` alone would drop a line the user left as it was.)"""
    existing = formset.initial_form_count()
    return [
        form
        for n, form in enumerate(formset.forms)
        if (n < existing or form.has_changed()) and not form.cleaned_data.get("DELETE", False)
    ]


def add_service_error(form: forms.BaseForm, exc: Exception, fields: Mapping[str, str] | None = None) -> None:
    """Put a service's ``ValidationError`` / ``Conflict`` / ``PermissionDenied`` on the form.

    ``fields`` maps service argument names to form field names; names the form does not have
    become errors at the top of the form.
    """
    fields = fields or {}

    def target(name: str | None) -> str | None:
        if not name or name == NON_FIELD_ERRORS:
            return None
        name = fields.get(name, name)
        return name if name in form.fields else None

    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            for name, messages in exc.message_dict.items():
                for message in messages:
                    form.add_error(target(name), message)
        else:
            for message in exc.messages:
                form.add_error(None, message)
    elif isinstance(exc, Conflict):
        form.add_error(target(exc.field), str(exc))
    else:
        form.add_error(None, str(exc))


# --- a service's refusal of rows (``lines[2].quantity``, ``installments.0.amount``) -----------------


@cache
def _row_key_pattern(key: str) -> re.Pattern[str]:
    before, _n, after = key.partition("{n}")
    return re.compile(rf"{re.escape(before)}(\d+){re.escape(after)}\.(\w+)")


def parse_row_key(name: str, *, key: str) -> tuple[int, str] | None:
    """The row number and field a service's error key names, by the key's pattern (``{n}`` the
    number): ``parse_row_key("lines[2].quantity", key="lines[{n}]")`` is ``(2, "quantity")``; None for
    a key of another shape. The number as the service wrote it: where it counts from is the
    caller's to know."""
    found = _row_key_pattern(key).fullmatch(name)
    return (int(found.group(1)), found.group(2)) if found else None


def spread_row_errors(
    exc: ValidationError, rows: Sequence[forms.BaseForm], *, key: str, first: int, hidden_at_top: bool = False
) -> dict[str, list[str]]:
    """Put a service's errors on rows (``key`` as in ``parse_row_key``; ``first`` the number of the
    first row, the service's counting: ``lines[1]`` or ``installments.0``) and return the others,
    by key in the order given: those of no row, of a row not sent, or of a field the row has not.

    ``rows`` are the rows sent to the service, in its order (rows left out are not counted).
    ``hidden_at_top``: an error of a hidden field goes at the top of its row, not under the field."""
    if not hasattr(exc, "error_dict"):
        return {NON_FIELD_ERRORS: list(exc.messages)}
    rest: dict[str, list[str]] = {}
    for name, texts in exc.message_dict.items():
        found = parse_row_key(name, key=key)
        index = found[0] - first if found else -1
        if found and 0 <= index < len(rows) and found[1] in rows[index].fields:
            field: str | None = found[1]
            if hidden_at_top and rows[index].fields[found[1]].widget.is_hidden:
                field = None
            for text in texts:
                rows[index].add_error(field, text)
        else:
            rest[name] = texts
    return rest


def add_row_errors(
    formset: forms.BaseFormSet,
    rows: Sequence[forms.BaseForm],
    exc: Exception,
    *,
    key: str,
    first: int,
    hidden_at_top: bool = False,
) -> None:
    """A line editor's refusal (``ValidationError``, ``Conflict``, ``PermissionDenied``): the errors of
    a row on that row (``spread_row_errors``), the rest at the top of the formset."""
    if isinstance(exc, ValidationError):
        rest = spread_row_errors(exc, rows, key=key, first=first, hidden_at_top=hidden_at_top)
        texts = [text for messages in rest.values() for text in messages]
    else:
        texts = [str(exc)]
    # Django keeps the formset's own errors there (full_clean); there is no public way to add to them
    formset._non_form_errors = formset.error_class([*formset.non_form_errors(), *texts])  # type: ignore[attr-defined]


@contextmanager
def service_errors(
    form: forms.BaseForm, *, fields: Mapping[str, str] | None = None, denied: bool = False
) -> Iterator[None]:
    """Turn a service's refusal into form errors. ``denied=True`` also catches ``PermissionDenied``
    (a refused grant is a form error; any other refusal stays a 403 page)."""
    caught: tuple[type[Exception], ...] = (ValidationError, Conflict)
    if denied:
        caught += (PermissionDenied,)
    try:
        yield
    except caught as exc:
        add_service_error(form, exc, fields)


# --- a secret shown once after a post (initial passwords, new access tokens) -----------------

_ONCE_KEY = "xt_show_once"


def show_once(request: HttpRequest, key: str, value: str) -> None:
    """Keep ``value`` for the next page only (server-side in the session, never in a cookie)."""
    request.session[_ONCE_KEY] = {"key": key, "value": value}


def take_once(request: HttpRequest, key: str) -> str | None:
    """The value kept by ``show_once`` for ``key``, removed as it is read."""
    stored = request.session.get(_ONCE_KEY)
    if not stored or stored.get("key") != key:
        return None
    del request.session[_ONCE_KEY]
    return str(stored["value"])
