"""Pages of money in: the payment plan editor of a contract, payments (list, export, record with an
allocation preview, a payment with its refunds and leftover allocation), invoices (list, request,
a request with submit / issue / void), the receivables aging (table, chart, Excel) and the credit
limit form of the customer tab. Thin: parse → service or selector → render."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.core.dates import day_in_range
from xietong.core.errors import Conflict, NotFound
from xietong.core.exports import xlsx_response
from xietong.core.forms import add_service_error, parse_row_key, service_errors, spread_row_errors
from xietong.core.htmx import done, page_view, render_form, render_page
from xietong.core.pagination import keyset_paginate
from xietong.org.policies import require

from . import exports, selectors, services
from .forms import (
    CreditForm,
    InstallmentFormSet,
    InvoiceFilterForm,
    InvoiceForm,
    IssueForm,
    PaymentFilterForm,
    PaymentForm,
    PlanForm,
    ReadOnlyInstallmentFormSet,
    RefundForm,
    VoidForm,
    read_only,
)
from .models import Installment, PaymentPlan

MODULE = "receivables"
ZERO = Decimal("0.00")


def _contract(user: Any, pk: int) -> Any:
    from xietong.contracts.models import Contract

    found = Contract.objects.visible_to(user).select_related("customer", "business_unit", "owner").filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def _plan(user: Any, contract: Any) -> PaymentPlan | None:
    """The contract's payment plan (None: none yet); 404 when it has one outside the user's scope."""
    plan = selectors.plan_of_contract(user=user, contract_id=contract.pk)
    if plan is None and PaymentPlan.objects.filter(contract_id=contract.pk).exists():
        raise NotFound()
    return plan


def _allocation_errors(exc: Exception, allocations: list[dict[str, Any]], form: Any) -> dict[int, str]:
    """A refused payment's errors: those of a manual allocation (``allocations.N.amount``) by the
    installment they name, for its row; the rest on the form (the date and amount under theirs)."""
    by_installment: dict[int, str] = {}
    rest: dict[str, list[str]] = {}
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, texts in exc.message_dict.items():
            row = parse_row_key(name, key="allocations.{n}")
            if row and row[0] < len(allocations):
                by_installment[int(allocations[row[0]]["installment"])] = " ".join(texts)
            else:
                rest[name] = texts
        if by_installment:
            form.add_error(None, _("Check the allocation of the installments marked below."))
        if rest:
            add_service_error(form, ValidationError(rest), {"received_on": "received_on", "amount": "amount"})
    else:
        add_service_error(form, exc, {"received_on": "received_on", "amount": "amount"})
    return by_installment


def _spread_installment_errors(exc: Exception, formset: Any, form: Any) -> None:
    """A service error on ``installments.N.field`` goes under that field of the N-th row sent (the
    rows left empty are not sent), one on its hidden id (an installment removed meanwhile) at the top
    of the row; the others go on the plan form, at the top."""
    if not (isinstance(exc, ValidationError) and hasattr(exc, "error_dict")):
        add_service_error(form, exc)
        return
    sent = [f for f in formset.forms if f.row() is not None]
    rest = spread_row_errors(exc, sent, key="installments.{n}", first=0, hidden_at_top=True)
    if rest:
        add_service_error(form, ValidationError(rest))


def _editable_plan(user: Any, contract: Any) -> PaymentPlan:
    """The contract's payment plan for an action on it; 404 when none, or not the user's to edit."""
    plan = selectors.plan_of_contract(user=user, contract_id=contract.pk, action="edit")
    if plan is None:
        raise NotFound()
    return plan


def contract_url(contract: Any) -> str:
    """The contract's page when the contracts app has one, else the plan editor (the money hub)."""
    from django.urls import NoReverseMatch

    try:
        return reverse("contracts:detail", args=[contract.pk])
    except NoReverseMatch:
        return reverse("receivables:plan_edit", args=[contract.pk])


# --- the payment plan ---------------------------------------------------------------------------------------


@page_view
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    contract = _contract(user, pk)
    require(user, MODULE, "view")
    plan = _plan(user, contract)
    installments = list(plan.installments.all()) if plan else []
    change = services.proposal_of(plan) if plan else None
    if change is None:  # the editor holds the plan, or the change waiting on the plan in force
        initial = [
            {"id": i.pk, "name": i.name, "due_date": i.due_date, "amount": i.amount, "received": i.received}
            for i in installments
        ]
    else:
        received = {i.pk: i.received for i in installments}
        initial = [
            {
                "id": r.id,
                "name": r.name,
                "due_date": r.due_date,
                "amount": r.amount,
                "received": received.get(r.id or 0),
            }
            for r in change.installments
        ]
    locked = plan is not None and services.plan_is_locked(plan)
    may_edit = user.access.can(MODULE, "edit") and services.money_in_scope(user, contract, "edit")
    editable = may_edit and not locked
    formset: Any = None
    if request.method == "POST":
        require(user, MODULE, "edit")
        if editable:
            formset = InstallmentFormSet(request.POST, prefix="inst")
            form = PlanForm(request.POST)
            if formset.is_valid() and form.is_valid():
                rows = [r for r in (f.row() for f in formset.forms) if r is not None]
                try:
                    saved = services.plan_save(
                        actor=user,
                        contract=contract,
                        installments=rows,
                        difference=form.cleaned_data.get("difference") or ZERO,
                        difference_reason=form.cleaned_data.get("difference_reason") or "",
                    )
                except (ValidationError, Conflict) as exc:
                    _spread_installment_errors(exc, formset, form)
                else:
                    messages.success(
                        request,
                        _("The change has been saved. Submit it: it takes effect once approved.")
                        if saved.proposal
                        else _("The payment plan has been saved."),
                    )
                    return done(request, reverse("receivables:plan_edit", args=[contract.pk]))
    if formset is None:  # the plan as it stands: to change, or to read only
        formset = (InstallmentFormSet if editable else ReadOnlyInstallmentFormSet)(initial=initial, prefix="inst")
        source: Any = change or plan
        form = PlanForm(
            initial={
                "difference": source.difference if source else ZERO,
                "difference_reason": source.difference_reason if source else "",
            }
        )
        if not editable:  # a POST to a plan in approval lands here too: the page says it is locked
            read_only(form, *formset.forms)
    return render_page(
        request,
        "receivables/plan_edit.html",
        {
            "contract": contract,
            "contract_url": contract_url(contract),
            "plan": plan,
            "formset": formset,
            "form": form,
            "locked": locked,
            "change": change,
            "in_force": installments if change else None,
            "summary": selectors.contract_money(contract=contract),
            "may_edit": may_edit,
            "may_create": contract.status in services.MONEY_STATUSES
            and user.access.can(MODULE, "create")
            and services.money_in_scope(user, contract, "create"),
        },
    )


@page_view
@require_POST
def plan_submit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    contract = _contract(user, pk)
    plan = _editable_plan(user, contract)
    try:
        result = services.plan_submit(actor=user, plan=plan)
    except (ValidationError, Conflict) as exc:
        messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    else:
        if result is None:
            messages.success(request, _("The payment plan is active."))
        else:
            messages.success(request, _("The payment plan has been sent for approval."))
    return done(request, reverse("receivables:plan_edit", args=[contract.pk]))


@page_view
@require_POST
def plan_discard_change(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    contract = _contract(user, pk)
    plan = _editable_plan(user, contract)
    try:
        services.plan_discard_change(actor=user, plan=plan)
    except Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The change has been discarded: the plan in force stays as it was approved."))
    return done(request, reverse("receivables:plan_edit", args=[contract.pk]))


# --- payments ----------------------------------------------------------------------------------------------

PAYMENT_SORTS = {"created": "pk", "date": "received_on", "amount": "amount"}


@page_view
@require_GET
def payment_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "view")
    form = PaymentFilterForm(request.GET)
    rows = selectors.payment_list(user=user, **form.filters())
    page = keyset_paginate(request, rows, columns=PAYMENT_SORTS, default="-date")
    return render_page(
        request,
        "receivables/payment_list.html",
        {"form": form, "page": page, "results_id": "payment-results"},
        fragments={"payment-results": "results"},
    )


@page_view
@require_GET
def payment_export(request: HttpRequest) -> HttpResponseBase:
    user: Any = request.user
    require(user, MODULE, "export")
    filters = PaymentFilterForm(request.GET).filters()
    rows = selectors.payment_list(user=user, action="export", **filters).order_by("-received_on", "-pk")
    return xlsx_response(
        filename=f"{_('Payments received')}-{timezone.localdate():%Y%m%d}",
        sheet_title=_("Payments received"),
        columns=exports.PAYMENT_COLUMNS,
        rows=rows,
        actor=user,
        filters={k: str(v) for k, v in filters.items() if v not in (None, "")},
    )


@page_view
@require_http_methods(["GET", "POST"])
def payment_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a payment for the contract; the allocation preview (htmx, ``preview=1``) shows what
    the automatic allocation would do with the amount typed."""
    user: Any = request.user
    contract = _contract(user, pk)
    require(user, MODULE, "create")
    if not services.money_in_scope(user, contract, "create"):
        raise NotFound()
    plan = _plan(user, contract)
    # while a plan's first schedule is in approval the payment stays unallocated (the service's
    # rule): no preview of an allocation that will not happen, no inputs it would refuse
    waiting = plan is not None and services.allocations_wait(plan)
    installments = (
        sorted(plan.installments.all(), key=lambda i: (i.due_date, i.position, i.pk)) if plan and not waiting else []
    )
    form = PaymentForm(request.POST or None)
    manual: dict[int, str] = {}
    if request.method == "POST":
        manual = {i.pk: request.POST.get(f"alloc-{i.pk}", "").strip() for i in installments}
    preview: list[tuple[Installment, Decimal]] = []
    amount = None
    try:
        amount = services.money(
            request.POST.get("amount") or request.GET.get("amount") or "0", "amount", allow_zero=True
        )
    except ValidationError:
        amount = None
    if amount:
        preview = services.auto_allocation(installments, amount)
    preview_map = {i.pk: a for i, a in preview}
    alloc_errors: dict[int, str] = {}
    if request.method == "POST" and not request.POST.get("preview") and form.is_valid():
        data = form.cleaned_data
        allocations = None
        if data["allocation"] == "manual" and not waiting:
            allocations = [{"installment": k, "amount": v} for k, v in manual.items() if v not in ("", "0", "0.00")]
        try:
            payment = services.payment_record(
                actor=user,
                contract=contract,
                received_on=data["received_on"],
                amount=data["amount"],
                method=data["method"],
                payer=data["payer"],
                reference=data["reference"],
                note=data["note"],
                allocations=allocations,
            )
        except (ValidationError, Conflict) as exc:
            alloc_errors = _allocation_errors(exc, allocations or [], form)
        else:
            messages.success(request, _("Payment %(number)s recorded.") % {"number": payment.number})
            return done(request, reverse("receivables:payment_detail", args=[payment.pk]))
    rows = [
        {
            "installment": i,
            "open": i.amount - i.received,
            "auto": preview_map.get(i.pk, ZERO),
            "manual": manual.get(i.pk, ""),
            "error": alloc_errors.get(i.pk, ""),
        }
        for i in installments
    ]
    leftover = (amount or ZERO) - sum(preview_map.values(), ZERO)
    return render_page(
        request,
        "receivables/payment_form.html",
        {
            "form": form,
            "contract": contract,
            "contract_url": contract_url(contract),
            "rows": rows,
            "leftover": leftover,
            "amount": amount,
            "waiting": waiting,
        },
        fragments={"allocation-preview": "preview"},
    )


@page_view
@require_GET
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    payment = selectors.payment_detail(user=user, pk=pk)
    require(user, MODULE, "view")
    receipt = payment.kind == "receipt"
    unallocated = services.unallocated_of(payment) if receipt else ZERO
    plan = selectors.plan_of_contract(user=user, contract_id=payment.contract_id) if unallocated > 0 else None
    return render_page(
        request,
        "receivables/payment_detail.html",
        {
            "payment": payment,
            "unallocated": unallocated,
            # "Allocate what is left" only where an installment is open to take it
            "allocatable": plan is not None
            and not services.allocations_wait(plan)
            and any(i.received < i.amount for i in plan.installments.all()),
            "refundable": services.refundable_of(payment) if receipt else ZERO,
            "contract_url": contract_url(payment.contract),
            "may_edit": bool(user.access.can(MODULE, "edit")),
        },
    )


@page_view
@require_POST
def payment_allocate(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    payment = selectors.payment_detail(user=user, pk=pk)
    require(user, MODULE, "view")
    try:
        services.payment_allocate(actor=user, payment=payment)
    except (ValidationError, Conflict) as exc:
        messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, _("The payment has been allocated."))
    return done(request, reverse("receivables:payment_detail", args=[payment.pk]))


@page_view
@require_http_methods(["GET", "POST"])
def payment_refund(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    payment = selectors.payment_detail(user=user, pk=pk)
    require(user, MODULE, "view")
    form = RefundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        with service_errors(form):
            refund = services.payment_refund(
                actor=user,
                payment=payment,
                amount=d["amount"],
                refunded_on=d["refunded_on"],
                method=d["method"],
                reference=d["reference"],
                reason=d["reason"],
            )
            messages.success(request, _("Refund %(number)s recorded.") % {"number": refund.number})
            return done(request, reverse("receivables:payment_detail", args=[payment.pk]))
    return render_form(
        request,
        form,
        title=_("Refund of %(number)s") % {"number": payment.number},
        cancel_url=reverse("receivables:payment_detail", args=[payment.pk]),
        submit_label=_("Record the refund"),
        intro=_(
            "The refund takes first what of the payment is not allocated, then what it put on the "
            "installments, latest due first."
        ),
    )


# --- invoices ---------------------------------------------------------------------------------------------


@page_view
@require_GET
def invoice_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "view")
    form = InvoiceFilterForm(request.GET)
    rows = selectors.invoice_list(user=user, **form.filters())
    page = keyset_paginate(request, rows, columns={"created": "pk", "amount": "amount"}, default="-created")
    return render_page(
        request,
        "receivables/invoice_list.html",
        {"form": form, "page": page, "results_id": "invoice-results"},
        fragments={"invoice-results": "results"},
    )


@page_view
@require_GET
def invoice_export(request: HttpRequest) -> HttpResponseBase:
    user: Any = request.user
    require(user, MODULE, "export")
    filters = InvoiceFilterForm(request.GET).filters()
    rows = selectors.invoice_list(user=user, action="export", **filters).order_by("-pk")
    return xlsx_response(
        filename=f"{_('Invoices')}-{timezone.localdate():%Y%m%d}",
        sheet_title=_("Invoices"),
        columns=exports.INVOICE_COLUMNS,
        rows=rows,
        actor=user,
        filters={k: str(v) for k, v in filters.items() if v not in (None, "")},
    )


@page_view
@require_http_methods(["GET", "POST"])
def invoice_create(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    contract = _contract(user, pk)
    require(user, MODULE, "create")
    if not services.money_in_scope(user, contract, "create"):
        raise NotFound()
    summary = selectors.contract_money(contract=contract)
    customer = contract.customer
    form = InvoiceForm(
        request.POST or None,
        initial={"title": customer.name, "tax_number": customer.credit_code, "amount": summary.uninvoiced},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        with service_errors(form):
            invoice = services.invoice_request(actor=user, contract=contract, submit=True, **d)
            messages.success(request, _("The invoice request has been submitted."))
            return done(request, reverse("receivables:invoice_detail", args=[invoice.pk]))
    return render_form(
        request,
        form,
        title=_("Request an invoice · %(contract)s") % {"contract": contract.number},
        cancel_url=contract_url(contract),
        submit_label=_("Request and submit"),
        intro=_("Contract amount %(amount)s, invoiced %(invoiced)s, left to invoice %(left)s.")
        % {
            "amount": services.yuan(summary.contract_amount),
            "invoiced": services.yuan(summary.invoiced),
            "left": services.yuan(summary.uninvoiced),
        },
    )


@page_view
@require_GET
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    invoice = selectors.invoice_detail(user=user, pk=pk)
    require(user, MODULE, "view")
    return _invoice_page(request, invoice)


def _invoice_page(
    request: HttpRequest, invoice: Any, *, issue_form: IssueForm | None = None, void_form: VoidForm | None = None
) -> HttpResponse:
    """The invoice's page; after a refused issue or void, with that form as posted and its errors."""
    user: Any = request.user
    finance = user.access.widest_scope(MODULE, "administer", invoice.business_unit_id) > 0
    return render_page(
        request,
        "receivables/invoice_detail.html",
        {
            "invoice": invoice,
            "contract_url": contract_url(invoice.contract),
            "finance": finance,
            "may_edit": bool(user.access.can(MODULE, "edit")),
            "issue_form": issue_form or IssueForm(),
            "void_form": void_form or VoidForm(),
        },
    )


def _invoice_action(request: HttpRequest, pk: int, act: Any, success: str) -> HttpResponse:
    user: Any = request.user
    invoice = selectors.invoice_detail(user=user, pk=pk)
    require(user, MODULE, "view")
    try:
        act(user, invoice)
    except (ValidationError, Conflict, PermissionDenied) as exc:
        messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, success)
    return done(request, reverse("receivables:invoice_detail", args=[invoice.pk]))


@page_view
@require_POST
def invoice_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _invoice_action(
        request,
        pk,
        lambda u, i: services.invoice_submit(actor=u, invoice=i),
        _("The invoice request has been submitted."),
    )


@page_view
@require_POST
def invoice_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue the invoice; a refusal shows the form again as typed, the error under its field."""
    user: Any = request.user
    invoice = selectors.invoice_detail(user=user, pk=pk)
    require(user, MODULE, "view")
    form = IssueForm(request.POST)
    if form.is_valid():
        with service_errors(form, fields={"number": "number", "issued_on": "issued_on"}, denied=True):
            services.invoice_issue(
                actor=user,
                invoice=invoice,
                number=form.cleaned_data["number"],
                issued_on=form.cleaned_data["issued_on"],
            )
            messages.success(request, _("The invoice has been issued."))
            return done(request, reverse("receivables:invoice_detail", args=[invoice.pk]))
    return _invoice_page(request, invoice, issue_form=form)


@page_view
@require_POST
def invoice_void(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    invoice = selectors.invoice_detail(user=user, pk=pk)
    require(user, MODULE, "view")
    form = VoidForm(request.POST)
    if form.is_valid():
        with service_errors(form, fields={"reason": "reason"}, denied=True):
            services.invoice_void(actor=user, invoice=invoice, reason=form.cleaned_data["reason"])
            messages.success(request, _("The invoice is void."))
            return done(request, reverse("receivables:invoice_detail", args=[invoice.pk]))
    return _invoice_page(request, invoice, void_form=form)


# --- the aging ------------------------------------------------------------------------------------------------


def _aging_params(request: HttpRequest) -> dict[str, Any]:
    group_by = request.GET.get("group_by") or "customer"
    if group_by not in selectors.GROUPS:
        group_by = "customer"
    try:  # a day that does not exist (2024-02-30) or is out of range: today's aging
        as_of = parse_date(request.GET.get("as_of") or "") or None
    except ValueError:
        as_of = None
    if as_of is not None and not day_in_range(as_of):
        as_of = None
    return {"group_by": group_by, "as_of": as_of}


@page_view
@require_GET
def aging(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "view")
    params = _aging_params(request)
    result = selectors.aging(user=user, **params)
    top = result.rows[:12]
    chart = {
        "labels": [r.name for r in top],
        "series": [
            {"key": b, "label": str(label), "values": [str(getattr(r, b)) for r in top]}
            for b, label in exports.BUCKET_LABELS
        ],
    }
    return render_page(
        request,
        "receivables/aging.html",
        {
            "aging": result,
            "group_by": params["group_by"],
            "groups": exports.GROUP_LABELS,
            "buckets": exports.BUCKET_LABELS,
            "chart": chart,
            "bars": _bars(top),
        },
        fragments={"aging-body": "body"},
    )


def _bars(rows: list[selectors.AgingRow]) -> list[dict[str, Any]]:
    """The chart without JavaScript: each group's total as a stacked bar of its buckets (percent widths)."""
    widest = max((r.total for r in rows), default=ZERO)
    out = []
    for r in rows:
        parts = []
        for b, label in exports.BUCKET_LABELS:
            value = getattr(r, b)
            if value and widest:
                parts.append({"key": b, "label": label, "value": value, "width": float(value * 100 / widest)})
        out.append({"name": r.name, "total": r.total, "parts": parts})
    return out


@page_view
@require_GET
def aging_export(request: HttpRequest) -> HttpResponseBase:
    user: Any = request.user
    require(user, MODULE, "export")
    params = _aging_params(request)
    result = selectors.aging(user=user, action="export", **params)
    return xlsx_response(
        filename=f"{_('Receivables aging')}-{result.as_of:%Y%m%d}",
        sheet_title=_("Receivables aging"),
        columns=exports.aging_columns(params["group_by"]),
        rows=[*result.rows, exports.total_row(result.totals)],
        actor=user,
        filters={k: str(v) for k, v in params.items() if v},
    )


# --- the credit limit (the customer tab's form) ---------------------------------------------------------------


@page_view
@require_POST
def credit_set(request: HttpRequest, pk: int) -> HttpResponse:
    from xietong.customers.models import Customer

    user: Any = request.user
    customer = Customer.objects.visible_to(user).filter(pk=pk).first()
    if customer is None:
        raise NotFound()
    form = CreditForm(request.POST)
    target = reverse("customers:customer_detail", args=[customer.pk]) + "?tab=receivables"
    if form.is_valid():
        try:
            services.credit_set(
                actor=user,
                customer=customer,
                business_unit=form.cleaned_data["business_unit"],
                credit_limit=form.cleaned_data["credit_limit"],
            )
        except (ValidationError, Conflict) as exc:
            messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
        else:
            messages.success(request, _("The credit limit has been saved."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return done(request, target)


urlpatterns: list[Any] = [
    path("receivables/contracts/<int:pk>/plan/", plan_edit, name="plan_edit"),
    path("receivables/contracts/<int:pk>/plan/submit/", plan_submit, name="plan_submit"),
    path("receivables/contracts/<int:pk>/plan/discard-change/", plan_discard_change, name="plan_discard_change"),
    path("receivables/contracts/<int:pk>/payments/new/", payment_create, name="payment_create"),
    path("receivables/contracts/<int:pk>/invoices/new/", invoice_create, name="invoice_create"),
    path("receivables/payments/", payment_list, name="payment_list"),
    path("receivables/payments/export/", payment_export, name="payment_export"),
    path("receivables/payments/<int:pk>/", payment_detail, name="payment_detail"),
    path("receivables/payments/<int:pk>/allocate/", payment_allocate, name="payment_allocate"),
    path("receivables/payments/<int:pk>/refund/", payment_refund, name="payment_refund"),
    path("receivables/invoices/", invoice_list, name="invoice_list"),
    path("receivables/invoices/export/", invoice_export, name="invoice_export"),
    path("receivables/invoices/<int:pk>/", invoice_detail, name="invoice_detail"),
    path("receivables/invoices/<int:pk>/submit/", invoice_submit, name="invoice_submit"),
    path("receivables/invoices/<int:pk>/issue/", invoice_issue, name="invoice_issue"),
    path("receivables/invoices/<int:pk>/void/", invoice_void, name="invoice_void"),
    path("receivables/aging/", aging, name="aging"),
    path("receivables/aging/export/", aging_export, name="aging_export"),
    path("receivables/customers/<int:pk>/credit/", credit_set, name="credit_set"),
]
