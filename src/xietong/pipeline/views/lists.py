"""Pages: the opportunity list — the board's filters plus the status, sortable columns, keyset pages
with a count, saved views, and its export (Excel or CSV, what the export scope allows). The same
view answers the customer page's "Opportunities" tab (``?customer=`` with the tab as htmx target)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from xietong.core.exports import csv_response, xlsx_response
from xietong.core.htmx import fragment_requested, page_view, render_page
from xietong.core.pagination import keyset_paginate
from xietong.org.policies import require

from .. import selectors
from ..exports import OPPORTUNITY_COLUMNS
from ..filters import OpportunityFilterForm
from .board import decorate

MODULE = "opportunities"
RESULTS_ID = "opportunity-results"
CUSTOMER_TAB_ID = "customer-opportunities"  # the customer page's tab loads its rows from here
CUSTOMER_TAB_ROWS = 10
SORTS = {
    "created": "pk",
    "amount": "amount",
    "expected_close": "expected_close",
    "stage_entered": "stage_entered_at",
}
DEFAULT_SORT = "-created"


def _filter_form(request: HttpRequest) -> OpportunityFilterForm:
    return OpportunityFilterForm(request.GET, user=request.user)


@page_view
@require_GET
def opportunity_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require(user, MODULE, "view")
    form = _filter_form(request)
    filters = form.filters()
    rows = selectors.opportunity_list(user=user, **filters)
    if fragment_requested(request, {CUSTOMER_TAB_ID: "rows"}):
        return _customer_tab(request, rows)
    page = keyset_paginate(request, rows, columns=SORTS, default=DEFAULT_SORT)
    decorate(page["rows"])
    return render_page(
        request,
        "pipeline/list.html",
        {
            "form": form,
            "page": page,
            "results_id": RESULTS_ID,
            "filtered": form.is_filtered(),
            "scope": form.scope_value,
            "scopes": list(form.fields["scope"].choices),  # type: ignore[attr-defined]
            "today": timezone.localdate(),
        },
        fragments={RESULTS_ID: "results"},
    )


def _customer_tab(request: HttpRequest, rows: Any) -> HttpResponse:
    """The customer's opportunities (newest first, the first few) for the customer page's tab."""
    shown = list(rows.order_by("-pk")[: CUSTOMER_TAB_ROWS + 1])
    return render_page(
        request,
        "pipeline/customer_tab.html",
        {
            "rows": decorate(shown[:CUSTOMER_TAB_ROWS]),
            "more": len(shown) > CUSTOMER_TAB_ROWS,
            "customer_id": request.GET.get("customer", ""),
            "today": timezone.localdate(),
        },
        fragments={CUSTOMER_TAB_ID: "rows"},
    )


@page_view
@require_GET
def opportunity_export(request: HttpRequest) -> HttpResponseBase:
    """The list with its filters and sort as Excel (or ``?format=csv``), every row the export scope allows."""
    user = request.user
    require(user, MODULE, "export")
    filters = _filter_form(request).filters()
    rows = selectors.opportunity_list(user=user, action="export", **filters)
    sort = request.GET.get("sort") or DEFAULT_SORT
    key = sort.lstrip("-")
    if key not in SORTS:
        sort, key = DEFAULT_SORT, DEFAULT_SORT.lstrip("-")
    down = "-" if sort.startswith("-") else ""
    rows = rows.order_by(f"{down}{SORTS[key]}", f"{down}pk")
    name = f"{_('Opportunities')}-{timezone.localdate():%Y%m%d}"
    logged = {k: str(getattr(v, "pk", v)) for k, v in filters.items() if v not in (None, "")}
    logged["sort"] = sort
    if request.GET.get("format") == "csv":
        return csv_response(filename=name, columns=OPPORTUNITY_COLUMNS, rows=rows, actor=user, filters=logged)
    return xlsx_response(
        filename=name,
        sheet_title=_("Opportunities"),
        columns=OPPORTUNITY_COLUMNS,
        rows=rows,
        actor=user,
        filters=logged,
    )


urlpatterns: list[Any] = [
    path("pipeline/list/", opportunity_list, name="list"),
    path("pipeline/list/export/", opportunity_export, name="export"),
]
