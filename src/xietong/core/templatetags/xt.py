"""Template filters and tags every app uses: money, relative time, permissions, sorting, audit display.

``{% load xt %}`` then:

- ``{{ amount|money }}`` → ``¥1,234.56`` (``-¥1,234.56`` when negative, ``—`` when empty);
  ``{{ amount|money_cell }}`` wraps it in a span that is red when negative.
- ``{{ when|ago }}`` → ``<time title="2026-11-28 14:03">3 days ago</time>`` (the exact time on hover).
- ``{% if request.user|can:"org.edit" %}`` asks the user's roles (module.action).
- ``{% sort_th "username" _("Username") %}`` a sortable column header keeping the other filters.
- ``{% saved_views "customers" %}`` the user's saved views of a list (``xietong.core.saved_views``).
- ``{{ entry|audit_changes }}`` the (label, old, new) rows of an audit entry.
- ``{{ hit.title|highlight:q }}`` the text escaped, the matches of ``q`` in ``<mark>``.
- ``{% record_link order.customer "customers:customer_detail" %}`` a related record's name, linked
  only when the user sees it.
"""

from __future__ import annotations

import datetime
import functools
import re
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django import template
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from xietong.core import audit, search
from xietong.core.choices import DataScope
from xietong.core.visibility import is_seen

register = template.Library()

EMPTY = "—"


# --- money ------------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


_CENT = Decimal("0.01")


def _amount_text(amount: Decimal) -> str:
    """``abs(amount)`` with two decimals, grouped as the active language says. Our formats (Chinese and
    English alike: ``.``, ``,``, groups of 3) take Python's own formatting, truncated to the cent as
    Django's ``number_format`` truncates; any other format goes through ``number_format``. A quote page
    shows a thousand amounts, so this is on the hot path."""
    amount = abs(amount)
    if amount.is_finite() and _python_grouping(get_language()):
        return format(amount.quantize(_CENT, rounding=ROUND_DOWN), ",.2f")
    return formats.number_format(amount, 2, use_l10n=True, force_grouping=True)


@functools.cache
def _python_grouping(language: str | None) -> bool:
    """Whether the language's number format is Python's ``,`` grouping (formats do not change while
    the process runs)."""
    return (
        formats.get_format("NUMBER_GROUPING", language) == 3
        and formats.get_format("THOUSAND_SEPARATOR", language) == ","
        and formats.get_format("DECIMAL_SEPARATOR", language) == "."
    )


@register.filter
def money(value: Any, currency: str = "CNY") -> str:
    """CNY with two decimals and thousands separators: ``¥1,234.56``; negative ``-¥1,234.56``.
    Another currency by its sign or code (``{{ amount|money:quote.currency }}``: ``$1,234.56``)."""
    amount = _decimal(value)
    if amount is None:
        return EMPTY
    text = currency_sign(currency) + _amount_text(amount)
    return f"-{text}" if amount < 0 else text


@register.filter
def money_cell(value: Any, currency: str = "CNY") -> SafeString:
    """``money`` in a right-aligned, tabular span; red when negative (the minus sign stays)."""
    amount = _decimal(value)
    if amount is None:
        return SafeString(f'<span class="xt-money">{EMPTY}</span>')
    css = "xt-money xt-negative" if amount < 0 else "xt-money"
    text = escape(currency_sign(currency)) + _amount_text(amount)  # digits and separators: nothing to escape
    return SafeString(f'<span class="{css}">{"-" if amount < 0 else ""}{text}</span>')


CURRENCY_SIGNS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$", "JPY": "JP¥"}


def currency_sign(currency: str) -> str:
    """``¥`` for CNY (and an empty currency), the usual sign of a few others, else the code and a
    space (``THB 1,234.56``)."""
    code = (currency or "CNY").upper()
    return CURRENCY_SIGNS.get(code) or f"{code} "


# --- time -------------------------------------------------------------------------------------


def relative_text(value: datetime.datetime, now: datetime.datetime | None = None) -> str:
    now = now or timezone.now()
    seconds = int((now - value).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 60:
        return _("just now")
    steps = [(86400 * 30, None), (86400, "day"), (3600, "hour"), (60, "minute")]
    for size, unit in steps:
        if seconds >= size:
            if unit is None:  # a month or more: the date says more than "47 days ago"
                return formats.date_format(timezone.localtime(value), "SHORT_DATE_FORMAT")
            num = seconds // size
            if unit == "day":
                text = (
                    ngettext("in %(num)d day", "in %(num)d days", num)
                    if future
                    else ngettext("%(num)d day ago", "%(num)d days ago", num)
                )
            elif unit == "hour":
                text = (
                    ngettext("in %(num)d hour", "in %(num)d hours", num)
                    if future
                    else ngettext("%(num)d hour ago", "%(num)d hours ago", num)
                )
            else:
                text = (
                    ngettext("in %(num)d minute", "in %(num)d minutes", num)
                    if future
                    else ngettext("%(num)d minute ago", "%(num)d minutes ago", num)
                )
            return text % {"num": num}
    return _("just now")  # pragma: no cover


@register.filter
def ago(value: Any) -> SafeString | str:
    """Relative time with the exact local time on hover, e.g. ``3 天前`` / ``2026-11-28 14:03``."""
    if not value:
        return EMPTY
    if isinstance(value, datetime.datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        exact = formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
        return format_html('<time datetime="{}" title="{}">{}</time>', value.isoformat(), exact, relative_text(value))
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    return str(value)


@register.filter
def highlight(value: Any, query: str) -> SafeString:
    """``value`` escaped, every occurrence of ``query`` (case-insensitive) wrapped in ``<mark>``."""
    return search.highlight(value, query or "")


@register.filter
def minutes(value: Any) -> int:
    """A timedelta in whole minutes (rounded up), e.g. for a lockout's cool-off."""
    if not isinstance(value, datetime.timedelta):
        return 0
    return max(int(-(-value.total_seconds() // 60)), 1)


# --- permissions and labels -------------------------------------------------------------------


@register.filter
def can(user: Any, spec: str) -> bool:
    """``user|can:"module.action"``: whether the user's roles allow the action in the module."""
    access = getattr(user, "access", None)
    if access is None:
        return False
    module, _sep, action = spec.partition(".")
    return bool(access.can(module, action or "view"))


@register.simple_tag(takes_context=True)
def record_link(context: Any, record: Any, url_name: str, text: Any = None) -> SafeString | str:
    """``{% record_link order.customer "customers:customer_detail" %}``: a related record's name
    (``text`` when given), linked to its page only when the page's user sees the record, since the
    link would otherwise answer 404 (``core.visibility.seen_by``; a view may ask for several
    records at once beforehand to save the queries). Nothing when there is no record."""
    if record is None:
        return ""
    label = record if text is None else text
    if is_seen(context.get("user"), record):
        return format_html('<a href="{}">{}</a>', reverse(url_name, args=[record.pk]), label)
    return escape(label)


@register.filter
def scope_label(value: Any) -> str:
    try:
        return str(DataScope(int(value)).label)
    except (TypeError, ValueError):
        return EMPTY


# --- lists ------------------------------------------------------------------------------------


@register.inclusion_tag("components/sort_th.html", takes_context=True)
def sort_th(context: dict[str, Any], key: str, label: str, css: str = "") -> dict[str, Any]:
    """A column header that sorts by ``key`` (ascending first, then descending), keeping other filters."""
    request = context["request"]
    current = request.GET.get("sort", "")
    direction = "asc" if current == key else "desc" if current == f"-{key}" else ""
    params = request.GET.copy()
    params["sort"] = f"-{key}" if direction == "asc" else key
    for name in ("page", "after", "before"):  # a new order starts at its first page
        params.pop(name, None)
    return {
        "label": label,
        "direction": direction,
        "query": params.urlencode(),
        "css": css,
        "target": context.get("results_id", ""),
    }


@register.inclusion_tag("components/saved_views.html", takes_context=True)
def saved_views(context: dict[str, Any], list_name: str) -> dict[str, Any]:
    """The user's saved views of a list as tabs (the one matching the current filters active), a "Save
    view" form for the current filters, and a delete button per view (one query). Inside an htmx
    fragment it swaps itself out of band, so it follows the filters the user just changed."""
    from xietong.core import saved_views as saved

    request = context["request"]
    current = saved.clean_query(request.GET.urlencode())
    views = list(saved.saved_views(user=request.user, list_name=list_name))
    return {
        "list_name": list_name,
        "views": views,
        "current_query": current,
        "active": next((v.pk for v in views if v.query == current), None),
        "next": request.get_full_path(),
        "oob": bool(context.get("fragment")),
        "csrf_token": context.get("csrf_token"),
    }


# --- the audit trail --------------------------------------------------------------------------
# Labels of verbs and of change keys that are not fields are registered in xietong.core.audit.


@register.filter
def audit_verb(entry: Any) -> str:
    if entry.verb:
        return str(audit.VERB_LABELS.get(entry.verb, entry.verb.replace("_", " ")))
    return str(entry.get_kind_display())


def _field_label(model: Any, name: str) -> str:
    label = model._meta.label_lower if model is not None else ""
    if model is not None:
        try:
            verbose = getattr(model._meta.get_field(name), "verbose_name", None)  # a reverse relation has none
        except FieldDoesNotExist:
            verbose = None
        if isinstance(verbose, str):  # Django's own default ("business unit"), not marked for translation
            return _(verbose)
        if verbose is not None:
            return str(verbose)
    for key in ((label, name), ("", name)):
        if key in audit.CHANGE_LABELS:
            return str(audit.CHANGE_LABELS[key])
    from xietong.core import modules  # a role's permissions are recorded per module

    try:
        return str(modules.get(name).label)
    except KeyError:
        return name.replace("_", " ")


_RECORDED_DECIMAL = re.compile(r"^-?\d{4,}\.\d{2,3}$")  # an amount or quantity as recorded: 2705034.00


def _audit_value(value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, str) and _RECORDED_DECIMAL.match(value):
        return format(Decimal(value), ",")  # grouped like every figure on the pages: 2,705,034.00
    return str(value)


@register.filter
def audit_changes(entry: Any) -> list[tuple[str, str, str]]:
    """(field label, old, new) for each change of an audit entry (no queries: content types are cached)."""
    model = ContentType.objects.get_for_id(entry.content_type_id).model_class() if entry.content_type_id else None
    rows = []
    for name, pair in (entry.changes or {}).items():
        old, new = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
        rows.append((_field_label(model, name), _audit_value(old), _audit_value(new)))
    return rows


@register.filter
def audit_record_url(entry: Any) -> str:
    from xietong.core.components import record_url

    return record_url(entry.content_type_id, entry.object_id)


@register.simple_tag(takes_context=True)
def record_alerts(context: Any, record: Any) -> SafeString:
    """Render the alerts higher apps registered for record pages (``components.register_record_alert``)."""
    from django.template.loader import render_to_string
    from django.utils.safestring import SafeString

    from xietong.core.components import record_alerts as alerts

    if record is None or record == "":
        return SafeString("")
    request = context.get("request")
    return SafeString("".join(render_to_string(name, {"record": record}, request=request) for name in alerts()))


@register.filter
def qty(value: Any) -> str:
    """A quantity (or rate) without trailing zeros and never in exponent form: 10.000 → 10, 2.500 → 2.5
    (``Decimal.normalize`` alone gives 1E+1 for 10)."""
    from decimal import Decimal, InvalidOperation

    if value is None or value == "":
        return "—"
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return format(number.normalize(), "f")


@register.filter
def model_label(record: Any) -> str:
    """``quotes.quote`` for a quote: the panels and actions shown on every record page test what they
    are on."""
    meta = getattr(record, "_meta", None)
    return meta.label_lower if meta is not None else ""


@register.simple_tag(takes_context=True)
def record_actions(context: Any, record: Any) -> SafeString:
    """Render the actions higher apps registered for record pages (``components.register_record_action``),
    each with the page's context (what the page decided the user may do) and ``record``."""
    from django.template.loader import render_to_string
    from django.utils.safestring import SafeString

    from xietong.core.components import record_actions as actions

    if record is None or record == "":
        return SafeString("")
    values = {**context.flatten(), "record": record}
    return SafeString("".join(render_to_string(name, values, request=context.get("request")) for name in actions()))


@register.simple_tag(takes_context=True)
def record_panels(context: Any, record: Any) -> SafeString:
    """Render the panels higher apps registered for record pages (``components.register_record_panel``)."""
    from django.template.loader import render_to_string
    from django.utils.safestring import SafeString

    from xietong.core.components import record_panels as panels

    request = context.get("request")
    # each part is a template rendered (and so escaped) by the template engine
    return SafeString("".join(render_to_string(name, {"record": record}, request=request) for name in panels()))
