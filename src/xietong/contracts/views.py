"""Pages of contracts: the list (filters, keyset pages, Excel export; the customer tab's rows), a
contract's page (lines, parties, status actions, scan, versions, the approval panel and the panels
of the apps above), create and edit with the lines, create from a quote, submit, sign, terminate,
amend, the versions, and the BUs' number patterns. Thin: parse → service or selector → render."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.core.components import why_panel
from xietong.core.errors import Conflict, NotFound
from xietong.core.exports import xlsx_response
from xietong.core.files import stored_file_response
from xietong.core.forms import RowChoices, add_row_errors, add_service_error, blank_rows, chosen_keys, kept_rows, posted
from xietong.core.htmx import done, page_view, render_form, render_page
from xietong.core.pagination import keyset_paginate
from xietong.org.policies import require

from . import numbering, selectors, services
from .choices import ContractStatus
from .exports import CONTRACT_COLUMNS
from .forms import (
    MAX_ROWS,
    AmendForm,
    ContractForm,
    FilterForm,
    FromQuoteForm,
    LineFormSet,
    SequenceForm,
    SignForm,
    TerminateForm,
)
from .models import Contract, ContractVersion
from .registrations import termination_notices

MODULE = "contracts"
S = ContractStatus
RESULTS_ID = "contract-results"
CUSTOMER_TAB_ID = "customer-contracts"
CUSTOMER_TAB_ROWS = 10
SORTS = {"created": "pk", "amount": "amount", "end": "end_date", "start": "start_date"}
DEFAULT_SORT = "-created"
EXTRA_ROWS = 3


def _crumbs(*extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [(_("Contracts"), reverse("contracts:list")), *extra]


def _url(contract: Contract) -> str:
    return reverse("contracts:detail", args=[contract.pk])


# --- the list -----------------------------------------------------------------------------------------------


@page_view
@require_GET
def contract_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require(user, MODULE, "view")
    form = FilterForm(request.GET, user=user)
    rows = selectors.contract_list(user=user, **form.filters())
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == CUSTOMER_TAB_ID:
        shown = list(rows.order_by("-pk")[: CUSTOMER_TAB_ROWS + 1])
        return render_page(
            request,
            "contracts/customer_tab.html",
            {
                "rows": shown[:CUSTOMER_TAB_ROWS],
                "more": len(shown) > CUSTOMER_TAB_ROWS,
                "customer_id": request.GET.get("customer", ""),
            },
            fragments={CUSTOMER_TAB_ID: "rows"},
        )
    page = keyset_paginate(request, rows, columns=SORTS, default=DEFAULT_SORT)
    return render_page(
        request,
        "contracts/list.html",
        {"form": form, "page": page, "results_id": RESULTS_ID, "filtered": form.is_filtered()},
        fragments={RESULTS_ID: "results"},
    )


@page_view
@require_GET
def contract_export(request: HttpRequest) -> HttpResponseBase:
    user = request.user
    require(user, MODULE, "export")
    filters = FilterForm(request.GET, user=user).filters()
    rows = selectors.contract_list(user=user, action="export", **filters).order_by("-pk")
    logged = {k: str(getattr(v, "pk", v)) for k, v in filters.items() if v not in (None, "")}
    return xlsx_response(
        filename=f"{_('Contracts')}-{timezone.localdate():%Y%m%d}",
        sheet_title=_("Contracts"),
        columns=CONTRACT_COLUMNS,
        rows=rows,
        actor=user,
        filters=logged,
    )


# --- create and edit ------------------------------------------------------------------------------------------


def _products(user: Any, current: list[int] | None = None) -> Any:
    from xietong.catalog.models import Product

    qs = Product.objects.visible_to(user).on_sale()
    if current:
        qs = qs | Product.objects.visible_to(user).filter(pk__in=current)
    return qs.order_by("name")


def _line_initial(contract: Contract) -> list[dict[str, Any]]:
    return [
        {
            "id": line.pk,
            "product": line.product_id,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_amount": line.discount_amount,
            "tax_rate": f"{line.tax_rate:.2f}",
            "delivery_month": line.delivery_month,
            "description": line.description,
        }
        for line in contract.lines.all()
    ]


def _apply(form: Any, formset: Any, rows: list[Any], exc: Exception) -> None:
    """A service's refusal: line errors on the rows, the rest next to the form's fields."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        line_errors = {k: v for k, v in exc.message_dict.items() if k.startswith("lines")}
        other = {k: v for k, v in exc.message_dict.items() if not k.startswith("lines")}
        if line_errors:
            add_row_errors(formset, rows, ValidationError(line_errors), key="lines[{n}]", first=1)
        if other:
            add_service_error(form, ValidationError(other))
        return
    add_service_error(form, exc)


def _editor(
    request: HttpRequest, form: Any, formset: Any, *, title: str, cancel_url: str, **extra: Any
) -> HttpResponse:
    return render_page(
        request,
        "contracts/form.html",
        {
            "form": form,
            "formset": formset,
            "title": title,
            "cancel_url": cancel_url,
            "breadcrumbs": _crumbs((title, "")),
            "more_rows_url": f"{request.path}?rows={len(formset.forms) + EXTRA_ROWS}",
            **extra,
        },
        fragments={"contract-editor": "editor"},
    )


@page_view
@require_http_methods(["GET", "POST"])
def contract_create(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "create")
    initial = {
        "renewal_notice_days": 30,
        "customer": request.GET.get("customer"),
        "opportunity": request.GET.get("opportunity"),
    }
    form = ContractForm(posted(request), user=user, creating=True, initial=initial)
    chosen = chosen_keys("product", prefix="lines", data=posted(request))
    formset = LineFormSet(
        posted(request), prefix="lines", form_kwargs={"products": RowChoices(_products(user), chosen=chosen)}
    )
    if request.method == "GET":
        formset.extra = blank_rows(request, default=EXTRA_ROWS, limit=MAX_ROWS)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        rows = kept_rows(formset)
        try:
            contract = services.contract_create(
                actor=user,
                customer=form.cleaned_data["customer"],
                opportunity=form.cleaned_data.get("opportunity"),
                lines=[r.service_row() for r in rows],
                **form.service_fields(),
            )
        except (ValidationError, Conflict) as exc:
            _apply(form, formset, rows, exc)
        else:
            messages.success(request, _("Contract %(number)s has been created.") % {"number": contract.number})
            return done(request, _url(contract))
    return _editor(request, form, formset, title=_("New contract"), cancel_url=reverse("contracts:list"))


def _for_edit(request: HttpRequest, pk: int) -> Contract:
    user: Any = request.user
    contract = selectors.contract_get(user=user, pk=pk)
    if not user.access.can(MODULE, "edit") or not Contract.objects.visible_to(user, "edit").filter(pk=pk).exists():
        raise PermissionDenied(_("You may not change this contract."))
    return contract


@page_view
@require_http_methods(["GET", "POST"])
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _for_edit(request, pk)
    if contract.status not in (S.DRAFT, S.APPROVED):
        return _refused(request, contract, services.status_conflict(contract, _("edited (amend it instead)")))
    return _edit_or_amend(request, contract, amend=False)


def _edit_or_amend(request: HttpRequest, contract: Contract, *, amend: bool) -> HttpResponse:
    user: Any = request.user
    current = [line.product_id for line in contract.lines.all()]
    lines = _line_initial(contract)
    chosen = chosen_keys("product", prefix="lines", initial=lines, data=posted(request))
    initial = {name: getattr(contract, name) for name in ContractForm.FIELDS}
    form_class = AmendForm if amend else ContractForm
    form = form_class(posted(request), user=user, creating=False, initial=initial)
    formset = LineFormSet(
        posted(request),
        prefix="lines",
        initial=lines,
        form_kwargs={"products": RowChoices(_products(user, current), chosen=chosen)},
    )
    if request.method == "GET":
        formset.extra = blank_rows(request, default=EXTRA_ROWS, limit=MAX_ROWS, filled=len(current))
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        rows = kept_rows(formset)
        lines = [r.service_row() for r in rows]
        fields = form.service_fields()
        try:
            if amend:
                changed = {k: v for k, v in fields.items() if v != initial.get(k)}
                same_lines = _same_lines(contract, lines)
                services.contract_amend(
                    actor=user,
                    contract=contract,
                    reason=form.cleaned_data["reason"],
                    lines=None if same_lines else lines,
                    **changed,
                )
            else:
                services.contract_update(actor=user, contract=contract, lines=lines, **fields)
        except (ValidationError, Conflict) as exc:
            _apply(form, formset, rows, exc)
        else:
            messages.success(
                request, _("The amendment has been sent for review.") if amend else _("The contract has been saved.")
            )
            return done(request, _url(contract))
    title = (_("Amend %(number)s") if amend else _("Edit %(number)s")) % {"number": contract.number}
    return _editor(request, form, formset, title=title, cancel_url=_url(contract), contract=contract, amend=amend)


def _same_lines(contract: Contract, lines: list[dict[str, Any]]) -> bool:
    """The rows sent are the contract's lines as they are (an amendment of other fields only)."""
    from decimal import Decimal

    def key(line: Mapping[str, Any]) -> tuple[Any, ...]:
        numbers = (Decimal(line[name]) for name in ("quantity", "unit_price", "discount_amount", "tax_rate"))
        return (
            line["id"],
            getattr(line["product"], "pk", line["product"]),
            *numbers,
            line["description"],
            line["delivery_month"],
        )

    old = [
        key({**{name: getattr(x, name) for name in services.LINE_FIELDS}, "id": x.pk, "product": x.product_id})
        for x in contract.lines.all()
    ]
    return old == [key(x) for x in lines]


@page_view
@require_http_methods(["GET", "POST"])
def contract_amend(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _for_edit(request, pk)
    if contract.status not in (S.SIGNED, S.ACTIVE):
        return _refused(request, contract, services.status_conflict(contract, _("amended")))
    return _edit_or_amend(request, contract, amend=True)


@page_view
@require_http_methods(["GET", "POST"])
def contract_from_quote(request: HttpRequest, quote_pk: int) -> HttpResponse:
    """A contract from a quote the user sees (an unseen quote: 404)."""
    from xietong.quotes.models import Quote

    user: Any = request.user
    quote = Quote.objects.visible_to(user).filter(pk=quote_pk).first()
    if quote is None:
        raise NotFound()
    require(user, MODULE, "create")
    title = _("Contract for %(opportunity)s") % {"opportunity": quote.opportunity.name}
    form = FromQuoteForm(posted(request), initial={"title": title})
    if request.method == "POST" and form.is_valid():
        try:
            contract = services.contract_create_from_quote(actor=user, quote=quote, **form.cleaned_data)
        except (ValidationError, Conflict) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Contract %(number)s has been created.") % {"number": contract.number})
            return done(request, _url(contract))
    return render_form(
        request,
        form,
        title=_("Contract from quote %(number)s") % {"number": quote.number},
        intro=_("The contract takes the quote's customer, opportunity and lines."),
        cancel_url=request.META.get("HTTP_REFERER") or reverse("contracts:list"),
        submit_label=_("Create the contract"),
    )


# --- a contract's page -----------------------------------------------------------------------------------------


@page_view
@require_GET
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    contract = selectors.contract_get(user=user, pk=pk)
    editable = (
        bool(user.access.can(MODULE, "edit")) and Contract.objects.visible_to(user, "edit").filter(pk=pk).exists()
    )
    return render_page(
        request,
        "contracts/detail.html",
        {
            "contract": contract,
            "record": contract,
            "breadcrumbs": _crumbs((contract.number, "")),
            "can_edit": editable,
            "lines": list(contract.lines.all()),
            "versions": list(selectors.versions_of(contract)[:20]),
            "why_url": reverse("contracts:why", args=[pk]),
            "today": timezone.localdate(),
        },
    )


@page_view
@require_GET
def contract_why(request: HttpRequest, pk: int) -> HttpResponse:
    contract = selectors.contract_get(user=request.user, pk=pk)
    return render(request, "components/why.html", why_panel(request.user, contract))


@page_view
@require_GET
def contract_scan(request: HttpRequest, pk: int) -> HttpResponseBase:
    contract = selectors.contract_get(user=request.user, pk=pk)
    name = contract.signed_scan.name if contract.signed_scan else ""
    return stored_file_response(contract.signed_scan.storage, name, filename=(name or "").rsplit("/", 1)[-1])


def _refused(request: HttpRequest, contract: Contract, exc: Exception) -> HttpResponse:
    """A refused action: back to the page with the reason (409 for htmx and plain posts alike)."""
    messages.error(request, str(exc) if not isinstance(exc, ValidationError) else " ".join(exc.messages))
    response = render_page(
        request, "contracts/refused.html", {"contract": contract, "reason": exc, "breadcrumbs": _crumbs()}, status=409
    )
    return response


@page_view
@require_POST
def contract_submit(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _for_edit(request, pk)
    try:
        services.contract_submit(actor=request.user, contract=contract)
    except (ValidationError, Conflict) as exc:
        return _refused(request, contract, exc)
    messages.success(request, _("The contract has been submitted for review."))
    return done(request, _url(contract))


@page_view
@require_http_methods(["GET", "POST"])
def contract_sign(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _for_edit(request, pk)
    if contract.status != S.APPROVED:
        return _refused(request, contract, services.status_conflict(contract, _("signed")))
    form = SignForm(posted(request), request.FILES or None, initial={"signed_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_sign(
                actor=request.user,
                contract=contract,
                signed_date=form.cleaned_data["signed_date"],
                scan=form.cleaned_data["scan"],
            )
        except (ValidationError, Conflict) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The contract has been signed."))
            return done(request, _url(contract))
    return render_form(
        request,
        form,
        title=_("Sign %(number)s") % {"number": contract.number},
        cancel_url=_url(contract),
        submit_label=_("Signed"),
        template_name="contracts/upload_form.html",
    )


@page_view
@require_http_methods(["GET", "POST"])
def contract_terminate(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _for_edit(request, pk)
    if contract.status not in (S.SIGNED, S.ACTIVE):
        return _refused(request, contract, services.status_conflict(contract, _("terminated")))
    form = TerminateForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_terminate(actor=request.user, contract=contract, reason=form.cleaned_data["reason"])
        except (ValidationError, Conflict) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The contract has been terminated."))
            return done(request, _url(contract))
    notices = termination_notices(request.user, contract)  # e.g. orders still to deliver (the orders app)
    return render_form(
        request,
        form,
        title=_("Terminate %(number)s") % {"number": contract.number},
        intro=_("A terminated contract cannot be made active again."),
        cancel_url=_url(contract),
        submit_label=_("Terminate"),
        context={"notices": notices, "before_form": "contracts/partials/terminate_notices.html"} if notices else None,
    )


# --- versions ----------------------------------------------------------------------------------------------------


@page_view
@require_GET
def contract_versions(request: HttpRequest, pk: int) -> HttpResponse:
    contract = selectors.contract_get(user=request.user, pk=pk)
    return render_page(
        request,
        "contracts/versions.html",
        {
            "contract": contract,
            "versions": list(selectors.versions_of(contract)),
            "breadcrumbs": _crumbs((contract.number, _url(contract)), (_("Versions"), "")),
        },
    )


@page_view
@require_GET
def contract_version(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    contract = selectors.contract_get(user=request.user, pk=pk)
    found = ContractVersion.objects.filter(contract=contract, version=version).select_related("created_by").first()
    if found is None:
        raise NotFound()
    return render_page(
        request,
        "contracts/version.html",
        {
            "contract": contract,
            "version": found,
            "fields": found.snapshot.get("fields", {}),
            "lines": found.snapshot.get("lines", []),
            "breadcrumbs": _crumbs(
                (contract.number, _url(contract)),
                (_("Versions"), reverse("contracts:versions", args=[pk])),
                (f"v{version}", ""),
            ),
        },
    )


# --- number patterns -------------------------------------------------------------------------------------------


@page_view
@require_GET
def sequence_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require(user, MODULE, "administer")
    today = timezone.localdate()
    rows = []
    for bu in selectors.administered_business_units(user):
        sequence = numbering.sequence_of(bu)
        rows.append({"business_unit": bu, "sequence": sequence, "preview": numbering.preview(sequence, today)})
    return render_page(
        request, "contracts/sequences.html", {"rows": rows, "breadcrumbs": [(_("Contract numbers"), "")]}
    )


@page_view
@require_http_methods(["GET", "POST"])
def sequence_edit(request: HttpRequest, bu_pk: int) -> HttpResponse:
    user = request.user
    bu = next((b for b in selectors.administered_business_units(user) if b.pk == bu_pk), None)
    if bu is None:
        raise NotFound()
    sequence = numbering.sequence_of(bu)
    form = SequenceForm(
        posted(request),
        initial={"pattern": sequence.pattern, "prefix": sequence.prefix, "reset_yearly": sequence.reset_yearly},
    )
    preview = numbering.preview(sequence, timezone.localdate())
    if request.method == "POST" and form.is_valid():
        try:
            services.sequence_save(actor=user, business_unit=bu, **form.cleaned_data)
        except (ValidationError, Conflict) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The contract number pattern of %(bu)s has been saved.") % {"bu": bu.name})
            return done(request, reverse("contracts:sequences"))
    return render_form(
        request,
        form,
        title=_("Contract numbers of %(bu)s") % {"bu": bu.name},
        intro=_("The next contract will be numbered %(number)s.") % {"number": preview},
        cancel_url=reverse("contracts:sequences"),
    )


urlpatterns: list[Any] = [
    path("contracts/", contract_list, name="list"),
    path("contracts/export/", contract_export, name="export"),
    path("contracts/new/", contract_create, name="create"),
    path("contracts/from-quote/<int:quote_pk>/", contract_from_quote, name="from_quote"),
    path("contracts/<int:pk>/", contract_detail, name="detail"),
    path("contracts/<int:pk>/edit/", contract_edit, name="edit"),
    path("contracts/<int:pk>/submit/", contract_submit, name="submit"),
    path("contracts/<int:pk>/sign/", contract_sign, name="sign"),
    path("contracts/<int:pk>/terminate/", contract_terminate, name="terminate"),
    path("contracts/<int:pk>/amend/", contract_amend, name="amend"),
    path("contracts/<int:pk>/scan/", contract_scan, name="scan"),
    path("contracts/<int:pk>/versions/", contract_versions, name="versions"),
    path("contracts/<int:pk>/versions/<int:version>/", contract_version, name="version"),
    path("contracts/<int:pk>/why/", contract_why, name="why"),
    path("contracts/settings/numbers/", sequence_list, name="sequences"),
    path("contracts/settings/numbers/<int:bu_pk>/", sequence_edit, name="sequence_edit"),
]
