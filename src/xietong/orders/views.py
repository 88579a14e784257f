"""Pages: my orders (filters, pages, Excel export), the operations queue, an order's page with its
actions (confirm, schedule, ship, cancel, close short), the order form from a contract, the shipment
form (made for a phone), a shipment's corrections (date and carrier, quantities) and its voiding,
and the fragments of the customer tab and the record panels (contracts, opportunities). Thin: a
form → a service → back to the order's page."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.core.components import annotate_lines, history_panel
from xietong.core.errors import Conflict, NotFound
from xietong.core.exports import Column, xlsx_response
from xietong.core.forms import posted, service_errors
from xietong.core.htmx import done, fragment_requested, page_view, render_form, render_page
from xietong.core.pagination import paginate
from xietong.core.params import as_int
from xietong.org.policies import require

from . import selectors, services
from .choices import OrderStatus
from .forms import (
    OrderCreateForm,
    OrderFilterForm,
    ReasonForm,
    ScheduleForm,
    ShipmentEditForm,
    ShipmentForm,
    ShipmentQuantitiesForm,
)
from .models import Order

MODULE = "orders"
RESULTS_ID = "order-results"
CUSTOMER_TAB_ID = "customer-orders"
PANEL_ID = "record-orders"
PANEL_ROWS = 10

EXPORT_COLUMNS = [
    Column(gettext_lazy("Order number"), lambda o: o.number, width=16),
    Column(gettext_lazy("Contract"), lambda o: o.contract.number, width=18),
    Column(gettext_lazy("Customer"), lambda o: o.customer.name, width=30),
    Column(gettext_lazy("Business unit"), lambda o: o.business_unit.name, width=16),
    Column(gettext_lazy("Sales owner"), lambda o: str(o.owner), width=12),
    Column(gettext_lazy("Operations team"), lambda o: str(o.operations_team or ""), width=16),
    Column(gettext_lazy("Status"), lambda o: o.get_status_display(), width=10),
    Column(gettext_lazy("Amount"), lambda o: o.amount, width=16),
    Column(gettext_lazy("Promised delivery date"), lambda o: o.promised_date, width=14),
    Column(gettext_lazy("Scheduled ship date"), lambda o: o.scheduled_date, width=14),
    Column(gettext_lazy("Fully shipped"), lambda o: o.shipped_at, width=18),
    Column(gettext_lazy("Created"), lambda o: o.created_at, width=18),
]


def _detail_url(pk: int) -> str:
    return reverse("orders:detail", args=[pk])


def _id_param(request: HttpRequest, name: str) -> int | None:
    """``?name=`` as an id; anything else matches nothing (-1), never an error page."""
    value = request.GET.get(name, "")
    if not value:
        return None
    return as_int(value, -1)


# --- lists -------------------------------------------------------------------------------------------


@page_view
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    """Sales: my orders (or all I can see), filters status / customer / late, pages of 50. With
    ``?contract=`` or ``?opportunity=`` (and the panel as htmx target) the record panels' rows; with
    the customer tab as target, that tab's rows."""
    user: Any = request.user
    require(user, MODULE, "view")
    today = timezone.localdate()
    panel = fragment_requested(request, {CUSTOMER_TAB_ID: "rows", PANEL_ID: "rows"})
    if panel:
        rows = selectors.order_list(
            user=user,
            customer=_id_param(request, "customer"),
            contract=_id_param(request, "contract"),
            opportunity=_id_param(request, "opportunity"),
            today=today,
        )
        shown = list(rows[: PANEL_ROWS + 1])
        return render_page(
            request,
            "orders/panel_rows.html",
            {"rows": shown[:PANEL_ROWS], "more": len(shown) > PANEL_ROWS, "today": today},
            fragments={CUSTOMER_TAB_ID: "rows", PANEL_ID: "rows"},
        )
    form = OrderFilterForm(request.GET)
    filters = form.filters()
    rows = selectors.order_list(user=user, today=today, **filters)
    page = paginate(request, rows)
    return render_page(
        request,
        "orders/list.html",
        {"form": form, "scope": filters["scope"], "scopes": OrderFilterForm.SCOPES, "results_id": RESULTS_ID, **page},
        fragments={RESULTS_ID: "results"},
    )


@page_view
@require_GET
def order_export(request: HttpRequest) -> HttpResponseBase:
    user: Any = request.user
    require(user, MODULE, "export")
    filters = OrderFilterForm(request.GET).filters()
    rows = selectors.order_list(user=user, action="export", **filters)
    logged = {k: str(v) for k, v in filters.items() if v not in (None, "", False)}
    return xlsx_response(
        filename=f"{_('Orders')}-{timezone.localdate():%Y%m%d}",
        sheet_title=_("Orders"),
        columns=EXPORT_COLUMNS,
        rows=rows,
        actor=user,
        filters=logged,
    )


@page_view
@require_GET
def operations_queue(request: HttpRequest) -> HttpResponse:
    """Open orders to fulfil: my teams' (default) or all I see; late first, then by promised date."""
    user: Any = request.user
    require(user, MODULE, "edit")
    scope = request.GET.get("scope") or "team"
    if scope not in ("team", "all"):
        scope = "team"
    status = request.GET.get("status") or ""
    rows = selectors.operations_queue(user=user, scope=scope, status=status)
    page = paginate(request, rows)
    return render_page(
        request,
        "orders/queue.html",
        {
            "scope": scope,
            "status": status,
            "statuses": [(s.value, s.label) for s in services.OPEN_STATUSES],
            "results_id": RESULTS_ID,
            **page,
        },
        fragments={RESULTS_ID: "results"},
    )


# --- an order -------------------------------------------------------------------------------------------


@page_view
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    order = selectors.order_get(user=user, pk=pk)
    lines = list(order.lines.all())
    annotate_lines(user, lines, order.promised_date or timezone.localdate())
    may_edit = user.access.can(MODULE, "edit") and Order.objects.visible_to(user, "edit").filter(pk=pk).exists()
    may_cancel = may_edit or services.may_cancel(user, order)
    stopped = order.is_stopped_by_contract  # a terminated contract: only cancel or close short remain
    return render_page(
        request,
        "orders/detail.html",
        {
            "order": order,
            "lines": lines,
            "shipments": list(order.shipments.all()),
            "may_edit": may_edit,
            "may_cancel": may_cancel,
            "locked": services.is_locked(order),
            "stopped_by_contract": stopped,
            "confirmable": order.status == OrderStatus.NEW and not stopped,
            # once terminated, only what left before the day of the termination is recorded
            "shippable": order.status in services.SHIPPABLE_STATUSES
            and (not stopped or order.contract.terminated_on is not None),
            "shipments_editable": services.shipments_editable(order),
            "quantities_editable": services.shipment_quantities_editable(order),
            "closable_short": services.closable_short(order),
            "show_closed": any(line.closed_quantity for line in lines),
            "schedulable": order.status in services.SCHEDULABLE_STATUSES and not stopped,
            "cancellable": order.status in (OrderStatus.NEW, OrderStatus.CONFIRMED, OrderStatus.SCHEDULED),
            **history_panel(order, url=reverse("orders:history", args=[pk])),
        },
    )


@page_view
@require_GET
def order_history(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_get(user=request.user, pk=pk)
    try:
        offset = int(request.GET.get("offset", "0"))
    except ValueError:
        offset = 0
    context = history_panel(order, url=reverse("orders:history", args=[pk]), offset=offset)
    return render_page(request, "components/history.html#entries", context)


@page_view
@require_POST
def order_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.order_confirm(actor=request.user, order=pk)
    except Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The order is confirmed."))
    return done(request, _detail_url(pk))


def _operable(user: Any, pk: int) -> Order:
    """The order for operations' pages: 404 unseen (like a missing one), 403 seen by someone who may
    not operate orders (as the API answers), else the order within their edit scope."""
    if not Order.objects.visible_to(user).filter(pk=pk).exists():
        raise NotFound()
    require(user, MODULE, "edit")
    return selectors.order_get(user=user, pk=pk, action="edit")


@page_view
@require_http_methods(["GET", "POST"])
def order_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    order = _operable(request.user, pk)
    form = ScheduleForm(posted(request), initial={"scheduled_date": order.scheduled_date})
    if request.method == "POST" and form.is_valid():
        changed = None
        with service_errors(form, fields={"status": "scheduled_date"}):
            changed = services.order_schedule(
                actor=request.user, order=order.pk, scheduled_date=form.cleaned_data["scheduled_date"]
            )
        if changed is not None:
            messages.success(request, _("The ship date is set."))
            return done(request, _detail_url(pk))
    return render_form(
        request,
        form,
        title=_("Schedule order %(number)s") % {"number": order.number},
        cancel_url=_detail_url(pk),
        submit_label=_("Schedule"),
        intro=_("Promised to the customer for %(date)s.") % {"date": order.promised_date or "—"},
    )


def _reason_page(
    request: HttpRequest,
    *,
    act: Callable[[str], Any],
    success: str,
    back: str,
    title: str,
    submit_label: str,
    intro: str,
    fields: Mapping[str, str] | None = None,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """A page that asks for a reason and then calls ``act(reason)`` (a service): cancel, close short,
    void. A refusal goes onto the form (``fields`` maps the service's fields to the form's)."""
    form = ReasonForm(posted(request))
    if request.method == "POST" and form.is_valid():
        changed = None
        with service_errors(form, fields=fields):
            changed = act(form.cleaned_data["reason"])
        if changed is not None:
            messages.success(request, success)
            return done(request, back)
    return render_form(
        request, form, title=title, cancel_url=back, submit_label=submit_label, intro=intro, context=context
    )


@page_view
@require_http_methods(["GET", "POST"])
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_get(user=request.user, pk=pk)
    return _reason_page(
        request,
        act=lambda reason: services.order_cancel(actor=request.user, order=order.pk, reason=reason),
        success=_("The order is cancelled."),
        back=_detail_url(pk),
        title=_("Cancel order %(number)s") % {"number": order.number},
        submit_label=_("Cancel the order"),
        intro=_("Only an order with nothing shipped can be cancelled; its quantities can be ordered again."),
        fields={"status": "reason"},
    )


@page_view
@require_http_methods(["GET", "POST"])
def order_close_short(request: HttpRequest, pk: int) -> HttpResponse:
    """Close a partly shipped order short (with a reason): what is unshipped will not ship."""
    order = selectors.order_get(user=request.user, pk=pk)
    return _reason_page(
        request,
        act=lambda reason: services.order_close_short(actor=request.user, order=order.pk, reason=reason),
        success=_("The order is closed short."),
        back=_detail_url(pk),
        title=_("Close order %(number)s short") % {"number": order.number},
        submit_label=_("Close short"),
        intro=_(
            "The customer accepts what has shipped: the rest of each line will not ship and can be ordered "
            "again from the contract. Nothing more can be shipped or corrected on this order afterwards."
        ),
        fields={"status": "reason"},
        context={
            "order": order,
            "lines": [line for line in order.lines.all() if line.open_quantity > 0],
            "before_form": "orders/partials/close_short_lines.html",
            "submit_class": "btn-danger",
        },
    )


@page_view
@require_http_methods(["GET", "POST"])
def shipment_create(request: HttpRequest, pk: int) -> HttpResponse:
    """The shipment form: date, carrier, tracking number, warehouse and a quantity per line still to
    ship (made for a phone: one column, numeric keyboards)."""
    order = _operable(request.user, pk)
    order_lines = list(order.lines.all())
    form = ShipmentForm(posted(request), order_lines=order_lines)
    if request.method == "POST" and form.is_valid():
        lines = form.lines()
        shipment = None
        if not lines:
            form.add_error(None, _("Enter the quantity shipped of at least one line."))
        else:
            mapping = {f"lines.{i}.quantity": f"qty_{item['order_line']}" for i, item in enumerate(lines)}
            with service_errors(form, fields={**mapping, "status": "shipped_on"}):
                data = form.cleaned_data
                shipment = services.shipment_create(
                    actor=request.user,
                    order=order.pk,
                    lines=lines,
                    shipped_on=data["shipped_on"],
                    carrier=data["carrier"],
                    tracking_number=data["tracking_number"],
                    warehouse=data["warehouse"],
                    note=data["note"],
                )
        if shipment is not None:
            messages.success(request, _("Shipment %(number)s is recorded.") % {"number": shipment.number})
            return done(request, _detail_url(pk))
    return render_form(
        request,
        form,
        title=_("Ship order %(number)s") % {"number": order.number},
        cancel_url=_detail_url(pk),
        submit_label=_("Record the shipment"),
        template_name="orders/shipment_form.html",
        context={"order": order},
    )


@page_view
@require_http_methods(["GET", "POST"])
def shipment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a recorded shipment (date, carrier, tracking number, note); its quantities stay."""
    shipment = selectors.shipment_get(user=request.user, pk=pk)
    order = _operable(request.user, shipment.order_id)
    form = ShipmentEditForm(
        posted(request),
        initial={
            "shipped_on": shipment.shipped_on,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "note": shipment.note,
        },
    )
    if request.method == "POST" and form.is_valid():
        changed = None
        with service_errors(form, fields={"status": "shipped_on"}):
            changed = services.shipment_update(actor=request.user, shipment=shipment.pk, **form.cleaned_data)
        if changed is not None:
            messages.success(request, _("Shipment %(number)s is corrected.") % {"number": shipment.number})
            return done(request, _detail_url(order.pk))
    return render_form(
        request,
        form,
        title=_("Correct shipment %(number)s") % {"number": shipment.number},
        cancel_url=_detail_url(order.pk),
        submit_label=_("Save"),
        intro=_("The quantities shipped stay as recorded."),
    )


@page_view
@require_http_methods(["GET", "POST"])
def shipment_quantities(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a recorded shipment's quantities: one number per line, prefilled with what is recorded."""
    shipment = selectors.shipment_get(user=request.user, pk=pk)
    order = _operable(request.user, shipment.order_id)
    shipment_lines = list(shipment.lines.all())
    form = ShipmentQuantitiesForm(posted(request), shipment_lines=shipment_lines)
    if request.method == "POST" and form.is_valid():
        lines = form.lines()
        changed = None
        mapping = {f"lines.{i}.quantity": f"qty_{item['shipment_line']}" for i, item in enumerate(lines)}
        with service_errors(form, fields=mapping):
            changed = services.shipment_quantities_update(actor=request.user, shipment=shipment.pk, lines=lines)
        if changed is not None:
            messages.success(
                request, _("The quantities of shipment %(number)s are corrected.") % {"number": shipment.number}
            )
            return done(request, _detail_url(order.pk))
    return render_form(
        request,
        form,
        title=_("Correct the quantities of shipment %(number)s") % {"number": shipment.number},
        cancel_url=_detail_url(order.pk),
        submit_label=_("Save"),
        template_name="orders/shipment_quantities_form.html",
        context={"order": order, "shipment": shipment},
    )


@page_view
@require_http_methods(["GET", "POST"])
def shipment_void(request: HttpRequest, pk: int) -> HttpResponse:
    """Void a shipment recorded in error (with a reason): its quantities go back to unshipped."""
    shipment = selectors.shipment_get(user=request.user, pk=pk)
    order = _operable(request.user, shipment.order_id)
    shipped = "; ".join(
        f"{line.order_line.product} × {format(line.quantity.normalize(), 'f')}" for line in shipment.lines.all()
    )
    return _reason_page(
        request,
        act=lambda reason: services.shipment_void(actor=request.user, shipment=shipment.pk, reason=reason),
        success=_("Shipment %(number)s is void.") % {"number": shipment.number},
        back=_detail_url(order.pk),
        title=_("Void shipment %(number)s") % {"number": shipment.number},
        submit_label=_("Void the shipment"),
        intro=_(
            "A shipment recorded in error is kept, marked void, and no longer counts as shipped: %(lines)s go back "
            "to unshipped."
        )
        % {"lines": shipped},
        context={"submit_class": "btn-danger"},
    )


@page_view
@require_http_methods(["GET", "POST"])
def order_create(request: HttpRequest) -> HttpResponse:
    """An order from a contract (``?contract=``): a quantity per line (default: all that remains)."""
    from xietong.org.models import Team

    user: Any = request.user
    require(user, MODULE, "create")
    contract_id = request.GET.get("contract") or ""
    contract, wanted = None, as_int(contract_id, None)
    if wanted is not None:
        contract = selectors.orderable_contracts(user=user).filter(pk=wanted).first()
    if contract is None:
        if contract_id:
            raise NotFound()
        return render_page(
            request,
            "orders/choose_contract.html",
            {"contracts": list(selectors.orderable_contracts(user=user)[:100])},
        )
    rows = services.contract_remaining(contract)
    teams = Team.objects.filter(business_unit_id=contract.business_unit_id, is_active=True).order_by("path")
    form = OrderCreateForm(
        posted(request),
        rows=rows,
        teams=teams,
        default_team=services.default_operations_team(contract.business_unit_id),
    )
    if request.method == "POST" and form.is_valid():
        lines = form.lines()
        order = None
        if not lines:
            form.add_error(None, _("Enter the quantity of at least one line."))
        else:
            mapping = {f"lines.{i}.quantity": f"qty_{item['contract_line']}" for i, item in enumerate(lines)}
            with service_errors(form, fields=mapping):
                data = form.cleaned_data
                order = services.order_create(
                    actor=user,
                    contract=contract,
                    lines=lines,
                    operations_team=data["operations_team"],
                    promised_date=data["promised_date"],
                    ship_to=data["ship_to"],
                    receiver=data["receiver"],
                    receiver_phone=data["receiver_phone"],
                    note=data["note"],
                )
        if order is not None:
            if order.status == OrderStatus.CREDIT_REVIEW:
                messages.warning(request, _("Order %(number)s waits in credit review.") % {"number": order.number})
            else:
                messages.success(request, _("Order %(number)s is with operations.") % {"number": order.number})
            return done(request, _detail_url(order.pk))
    return render_form(
        request,
        form,
        title=_("New order of contract %(number)s") % {"number": contract.number},
        cancel_url=reverse("orders:list"),
        submit_label=_("Create the order"),
        template_name="orders/create_form.html",
        context={"contract": contract},
    )


urlpatterns: list[Any] = [
    path("orders/", order_list, name="list"),
    path("orders/export/", order_export, name="export"),
    path("orders/queue/", operations_queue, name="queue"),
    path("orders/new/", order_create, name="create"),
    path("orders/<int:pk>/", order_detail, name="detail"),
    path("orders/<int:pk>/history/", order_history, name="history"),
    path("orders/<int:pk>/confirm/", order_confirm, name="confirm"),
    path("orders/<int:pk>/schedule/", order_schedule, name="schedule"),
    path("orders/<int:pk>/cancel/", order_cancel, name="cancel"),
    path("orders/<int:pk>/close-short/", order_close_short, name="close_short"),
    path("orders/<int:pk>/ship/", shipment_create, name="ship"),
    path("orders/shipments/<int:pk>/edit/", shipment_edit, name="shipment_edit"),
    path("orders/shipments/<int:pk>/quantities/", shipment_quantities, name="shipment_quantities"),
    path("orders/shipments/<int:pk>/void/", shipment_void, name="shipment_void"),
]
