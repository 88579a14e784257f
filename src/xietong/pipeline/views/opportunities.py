"""Opportunity pages: the form, the deal room (header, stage path, tabs, collaboration) and its editors —
product lines, contacts, deal team, checklist — and the actions: move, win, lose, reopen."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.core.components import history_panel, why_panel
from xietong.core.errors import Conflict, NotFound
from xietong.core.forms import RowChoices, add_row_errors, blank_rows, chosen_keys, kept_rows, posted, service_errors
from xietong.core.htmx import announce_record_changed, done, page_view, render_form, render_page
from xietong.core.params import as_int
from xietong.core.visibility import addressable_people, seen_by
from xietong.org.policies import require

from .. import gates, selectors, services
from ..choices import OpportunityStatus, StageKind
from ..forms import (
    NEW_ROWS,
    CloseNoteForm,
    ContactFormSet,
    LineFormSet,
    LoseForm,
    MemberFormSet,
    OpportunityForm,
    ReopenForm,
)
from ..models import HUNDRED, ChecklistCheck, ChecklistItem, Opportunity, Stage

MODULE = services.MODULE
EXTRA_ROWS = 3  # empty rows below the filled ones in the line and team editors


def _maybe_reverse(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def _crumbs(opp: Opportunity | None = None, *, user: Any = None) -> list[tuple[str, str]]:
    """The way back to the lists; ``user`` given (the deal room), only if they may open them: a
    deal-team member without the pipeline's permission sees the opportunity and nothing else."""
    crumbs = []
    home = _maybe_reverse("pipeline:list") or _maybe_reverse("pipeline:board")
    if home and (user is None or user.access.can(MODULE, "view")):
        crumbs.append((_("Opportunities"), home))
    if opp is not None:
        crumbs.append((str(opp), _url(opp)))
    return crumbs


def _url(opp: Opportunity) -> str:
    return reverse("pipeline:opportunity_detail", args=[opp.pk])


def _for_edit(request: HttpRequest, pk: int) -> Opportunity:
    """An opportunity to change: 404 unseen; 403 seen but not to be changed (a read-only member)."""
    opp = selectors.opportunity_get(user=request.user, pk=pk)
    require(request.user, MODULE, "edit")
    if not selectors.can_edit(request.user, opp):
        raise PermissionDenied(_("You may not change this opportunity."))
    return opp


def _duration(seconds: int | None) -> str:
    if seconds is None or seconds < 60:
        return ""
    end = timezone.now()
    return timesince(end - timedelta(seconds=max(seconds, 0)), end, depth=2)


# --- create and edit --------------------------------------------------------------------------------


def _start_stages(user: Any) -> Any:
    return (
        Stage.objects.filter(
            process__business_unit_id=user.business_unit_id or 0, process__is_active=True, kind=StageKind.OPEN
        )
        .select_related("process")
        .order_by("-process__is_default", "process__name", "position")
    )


@page_view
@require_http_methods(["GET", "POST"])
def opportunity_create(request: HttpRequest) -> HttpResponse:
    from xietong.customers.models import Customer

    user: Any = request.user
    require(user, MODULE, "create")
    customers = Customer.objects.visible_to(user).order_by("name")
    given = request.GET.get("customer", "")
    customer = None
    if given:
        customer = customers.filter(pk=as_int(given, 0)).first()
        if customer is None:
            raise NotFound()
    stages = _start_stages(user)
    first = stages.first()
    initial: dict[str, Any] = {"stage": first, "customer": customer}
    if customer is not None:
        initial["name"] = _("%(customer)s project") % {"customer": customer.short_name or customer.name}
    form = OpportunityForm(posted(request), initial=initial, customers=customers, stages=stages)
    if customer is not None:
        form.fields["customer"].widget = form.fields["customer"].hidden_widget()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        opp = None
        with service_errors(form):
            opp = services.opportunity_create(
                actor=user,
                customer=data["customer"],
                process=data["stage"].process,
                stage=data["stage"],
                **form.service_fields(),
            )
        if opp is not None and form.is_valid():
            messages.success(request, _("Opportunity “%(name)s” created.") % {"name": opp})
            return done(request, _url(opp))
    intro = None
    if customer is not None:
        intro = _("Customer: %(customer)s") % {"customer": customer}
    if first is None:
        intro = _("Your business unit has no sales process yet: ask its administrator.")
    cancel = reverse("customers:customer_detail", args=[customer.pk]) if customer else (_crumbs() or [("", "/")])[0][1]
    return render_form(
        request,
        form,
        title=_("New opportunity"),
        cancel_url=cancel,
        submit_label=_("Create"),
        intro=intro,
        context={"breadcrumbs": _crumbs()},
    )


@page_view
@require_http_methods(["GET", "POST"])
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    opp = _for_edit(request, pk)
    user: Any = request.user
    initial = {name: getattr(opp, name) for name in services.EDITABLE_FIELDS}
    initial["owner"] = opp.owner
    if not opp.probability_overridden:
        initial["probability"] = None
    owners = addressable_people(user).order_by("display_name", "username")
    form = OpportunityForm(posted(request), initial=initial, owners=owners)
    has_lines = opp.lines.exists()
    if has_lines:
        form.fields["amount"].disabled = True
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        if has_lines:
            fields.pop("amount", None)
        saved = None
        with service_errors(form):
            saved = services.opportunity_update(actor=user, opportunity=opp, owner=form.cleaned_data["owner"], **fields)
        if saved is not None and form.is_valid():
            messages.success(request, _("The opportunity has been saved."))
            return done(request, _url(opp))
    return render_form(
        request,
        form,
        title=_("Edit %(name)s") % {"name": opp},
        cancel_url=_url(opp),
        context={"breadcrumbs": _crumbs(opp)},
    )


# --- the deal room ------------------------------------------------------------------------------------


def _path(opp: Opportunity, stages: list[Stage]) -> list[dict[str, Any]]:
    """The stage path: each stage with its state (done, current, ahead, closed)."""
    current = opp.stage
    out = []
    for s in stages:
        if s.pk == current.pk:
            state = "current"
        elif s.kind != StageKind.OPEN:
            state = "closing"
        elif s.position < current.position and current.kind == StageKind.OPEN:
            state = "done"
        else:
            state = "ahead"
        out.append({"stage": s, "state": state})
    return out


def _checklist_context(opp: Opportunity, editable: bool) -> dict[str, Any]:
    items = list(ChecklistItem.objects.filter(stage_id=opp.stage_id).order_by("position", "pk"))
    done_ids = set(
        ChecklistCheck.objects.filter(opportunity=opp, item__stage_id=opp.stage_id).values_list("item_id", flat=True)
    )
    rows: list[dict[str, Any]] = [{"item": i, "done": i.pk in done_ids} for i in items]
    return {
        "opportunity": opp,
        "checklist": rows,
        "checklist_open": [r for r in rows if r["item"].required and not r["done"]],
        "may_tick": editable and opp.status == OpportunityStatus.OPEN,
    }


def _next_stage(opp: Opportunity, stages: list[Stage]) -> Stage | None:
    if opp.status != OpportunityStatus.OPEN:
        return None
    return next((s for s in stages if s.kind == StageKind.OPEN and s.position > opp.stage.position), None) or next(
        (s for s in stages if s.kind == StageKind.WON), None
    )


def _stage_path_context(request: HttpRequest, opp: Opportunity, editable: bool) -> dict[str, Any]:
    stages = list(Stage.objects.filter(process_id=opp.process_id).order_by("position"))
    nxt = _next_stage(opp, stages)
    needed = gates.missing(opp, entering=[nxt], leaving=[opp.stage]) if nxt is not None else []
    return {
        "opportunity": opp,
        "stage_path": _path(opp, stages),
        "next_stage": nxt,
        "needed": needed,
        "may_move": editable and opp.status == OpportunityStatus.OPEN,
    }


def _detail_context(request: HttpRequest, opp: Opportunity) -> dict[str, Any]:
    user: Any = request.user
    editable = bool(user.access.can(MODULE, "edit")) and selectors.can_edit(user, opp)
    lines = list(opp.lines.select_related("product").order_by("position", "pk"))
    team = list(opp.team.select_related("user").order_by("-split", "pk"))
    moves = list(opp.moves.select_related("from_stage", "to_stage", "actor").order_by("-moved_at", "-pk"))
    history = [{"move": m, "spent": _duration(m.seconds_in_from)} for m in moves]
    is_open = opp.status == OpportunityStatus.OPEN
    contacts = list(opp.contact_roles.select_related("contact").order_by("contact__name", "pk"))
    seen_by(user, [opp.customer, *(row.contact for row in contacts)])  # which of them to link
    return {
        "opportunity": opp,
        "record": opp,
        "breadcrumbs": _crumbs(user=user),
        "can_edit": editable,
        "is_open": is_open,
        "today": timezone.localdate(),
        "health": selectors.health_of(opp),
        "lines": lines,
        "lines_total": sum((line.amount for line in lines), Decimal("0.00")),
        "contacts": contacts,
        "team": team,
        "team_total": sum((m.split for m in team), Decimal("0")),
        "moves": history,
        "in_stage": _duration(int((timezone.now() - opp.stage_entered_at).total_seconds())),
        "why_url": reverse("pipeline:opportunity_why", args=[opp.pk]),
        **_stage_path_context(request, opp, editable),
        **_checklist_context(opp, editable),
        **history_panel(opp, url=reverse("pipeline:opportunity_history", args=[opp.pk])),
    }


@page_view
@require_GET
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opp = selectors.opportunity_get(user=request.user, pk=pk)
    return render_page(request, "pipeline/opportunity_detail.html", _detail_context(request, opp))


@page_view
@require_GET
def opportunity_history(request: HttpRequest, pk: int) -> HttpResponse:
    opp = selectors.opportunity_get(user=request.user, pk=pk)
    offset = request.GET.get("offset", "0")
    context = history_panel(
        opp,
        url=reverse("pipeline:opportunity_history", args=[pk]),
        offset=as_int(offset, 0),
    )
    return render(request, "components/history.html#entries", context)


@page_view
@require_GET
def opportunity_why(request: HttpRequest, pk: int) -> HttpResponse:
    opp = selectors.opportunity_get(user=request.user, pk=pk)
    return render(request, "components/why.html", why_panel(request.user, opp))


# --- moving, winning, losing, reopening ---------------------------------------------------------------------


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


@page_view
@require_POST
def opportunity_stage(request: HttpRequest, pk: int) -> HttpResponse:
    """A click on the stage path: the opportunity moves, or the gate says what is missing (in place)."""
    opp = _for_edit(request, pk)
    stage_id = request.POST.get("stage", "")
    target = Stage.objects.filter(pk=as_int(stage_id, 0), process_id=opp.process_id).first()
    refusal = ""
    if target is None:
        refusal = _("Choose a stage of the opportunity's sales process.")
    elif target.kind == StageKind.WON:
        return done(request, reverse("pipeline:opportunity_win", args=[opp.pk]))
    elif target.kind == StageKind.LOST:
        return done(request, reverse("pipeline:opportunity_lose", args=[opp.pk]))
    else:
        try:
            services.opportunity_move(actor=request.user, opportunity=opp, stage=target)
        except (Conflict, ValidationError) as exc:
            refusal = str(exc) if isinstance(exc, Conflict) else " ".join(exc.messages)
    if not refusal:
        messages.success(request, _("Moved to “%(stage)s”.") % {"stage": target})
        return done(request, _url(opp))
    if _htmx(request):
        context = {**_stage_path_context(request, opp, True), "refusal": refusal}
        return render(request, "pipeline/partials/stage_path.html", context)
    messages.error(request, refusal)
    return done(request, _url(opp))


def _closing_page(
    request: HttpRequest, opp: Opportunity, form: Any, *, title: str, submit: str, intro: str = ""
) -> HttpResponse:
    return render_form(
        request,
        form,
        title=title,
        cancel_url=_url(opp),
        submit_label=submit,
        intro=intro or None,
        context={"breadcrumbs": _crumbs(opp)},
    )


@page_view
@require_http_methods(["GET", "POST"])
def opportunity_win(request: HttpRequest, pk: int) -> HttpResponse:
    opp = _for_edit(request, pk)
    form = CloseNoteForm(posted(request))
    if request.method == "POST" and form.is_valid():
        won = None
        with service_errors(form):
            won = services.opportunity_win(actor=request.user, opportunity=opp, note=form.cleaned_data["note"])
        if won is not None and form.is_valid():
            messages.success(request, _("Won! “%(name)s” is closed as won.") % {"name": opp})
            return done(request, _url(opp))
    intro = _("The opportunity moves to the won stage with 100% probability.")
    if request.method == "GET" and opp.status == OpportunityStatus.OPEN:
        won_stage = Stage.objects.filter(process_id=opp.process_id, kind=StageKind.WON).first()
        if won_stage is not None:
            entering, leaving = services._between(services.stages_of(opp.process), opp.stage, won_stage)
            lacking = gates.missing(opp, entering=entering, leaving=leaving)
            if lacking:
                intro = gates.message(lacking, won_stage)
    return _closing_page(request, opp, form, title=_("Win %(name)s") % {"name": opp}, submit=_("Mark won"), intro=intro)


@page_view
@require_http_methods(["GET", "POST"])
def opportunity_lose(request: HttpRequest, pk: int) -> HttpResponse:
    opp = _for_edit(request, pk)
    form = LoseForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        lost = None
        with service_errors(form):
            lost = services.opportunity_lose(
                actor=request.user, opportunity=opp, reason=data["reason"], lost_to=data["lost_to"], note=data["note"]
            )
        if lost is not None and form.is_valid():
            messages.success(request, _("“%(name)s” is closed as lost.") % {"name": opp})
            return done(request, _url(opp))
    return _closing_page(
        request,
        opp,
        form,
        title=_("Lose %(name)s") % {"name": opp},
        submit=_("Mark lost"),
        intro=_("A lost opportunity leaves the pipeline; the reason feeds the win-loss analysis."),
    )


@page_view
@require_http_methods(["GET", "POST"])
def opportunity_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    opp = _for_edit(request, pk)
    stages = Stage.objects.filter(process_id=opp.process_id, kind=StageKind.OPEN).order_by("position")
    form = ReopenForm(posted(request), stages=stages)
    if request.method == "POST" and form.is_valid():
        reopened = None
        with service_errors(form):
            reopened = services.opportunity_reopen(
                actor=request.user, opportunity=opp, stage=form.cleaned_data["stage"]
            )
        if reopened is not None and form.is_valid():
            messages.success(request, _("“%(name)s” is open again.") % {"name": opp})
            return done(request, _url(opp))
    return _closing_page(request, opp, form, title=_("Reopen %(name)s") % {"name": opp}, submit=_("Reopen"))


# --- product lines, contacts, deal team ------------------------------------------------------------------------


def _editor(
    request: HttpRequest, opp: Opportunity, template: str, formset: Any, *, title: str, **extra: Any
) -> HttpResponse:
    return render_page(
        request,
        template,
        {
            "opportunity": opp,
            "formset": formset,
            "title": title,
            "cancel_url": _url(opp),
            "breadcrumbs": _crumbs(opp),
            "more_rows_url": f"{request.path}?rows={EXTRA_ROWS + 5}",
            **extra,
        },
        fragments={"opp-editor": "editor"},
    )


@page_view
@require_http_methods(["GET", "POST"])
def opportunity_lines(request: HttpRequest, pk: int) -> HttpResponse:
    from xietong.catalog.models import Product

    opp = _for_edit(request, pk)
    user: Any = request.user
    current = list(opp.lines.select_related("product").order_by("position", "pk"))
    # on sale, plus the products already on the deal (a line may keep a product taken off sale)
    products = (
        Product.objects.visible_to(user).on_sale()
        | Product.objects.filter(pk__in=[line.product_id for line in current])
    ).order_by("name")
    initial = [
        {
            "product": line.product_id,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount": line.discount,
            "delivery_month": line.delivery_month.strftime("%Y-%m") if line.delivery_month else "",
        }
        for line in current
    ]
    formset = LineFormSet(
        posted(request),
        prefix="lines",
        initial=initial,
        form_kwargs={
            "products": RowChoices(
                products, chosen=chosen_keys("product", prefix="lines", initial=initial, data=posted(request))
            )
        },
    )
    if request.method == "GET":
        formset.extra = blank_rows(request, default=EXTRA_ROWS, limit=NEW_ROWS)
    if request.method == "POST" and formset.is_valid():
        rows = kept_rows(formset)
        try:
            services.lines_set(actor=user, opportunity=opp, lines=[f.service_row() for f in rows])
        except (ValidationError, Conflict) as exc:
            add_row_errors(formset, rows, exc, key="lines[{n}]", first=1, hidden_at_top=True)
        else:
            messages.success(request, _("The product lines have been saved."))
            return done(request, _url(opp) + "#pane-products")
    return _editor(
        request,
        opp,
        "pipeline/opportunity_rows.html",
        formset,
        title=_("Product lines of %(name)s") % {"name": opp},
        intro=_("Leave the unit price empty for the list price. With lines, the opportunity's amount is their sum."),
        editor_id="opp-lines-editor",
    )


@page_view
@require_http_methods(["GET", "POST"])
def opportunity_contacts(request: HttpRequest, pk: int) -> HttpResponse:
    from xietong.customers.models import Contact

    opp = _for_edit(request, pk)
    contacts = list(
        Contact.objects.filter(customer_id=opp.customer_id, merged_into__isnull=True).order_by("-is_primary", "name")
    )
    roles = dict(opp.contact_roles.values_list("contact_id", "role"))
    initial = [{"contact": c.pk, "included": c.pk in roles, "role": roles.get(c.pk, c.decision_role)} for c in contacts]
    formset = ContactFormSet(posted(request), prefix="contacts", initial=initial)
    by_pk = {c.pk: c for c in contacts}
    if request.method == "POST" and formset.is_valid():
        rows = [f for f in formset.forms if f.cleaned_data.get("included")]
        try:
            services.contacts_set(
                actor=request.user,
                opportunity=opp,
                contacts=[{"contact": f.cleaned_data["contact"], "role": f.cleaned_data["role"]} for f in rows],
            )
        except (ValidationError, Conflict) as exc:
            add_row_errors(formset, rows, exc, key="contacts[{n}]", first=1, hidden_at_top=True)
        else:
            messages.success(request, _("The contacts have been saved."))
            return done(request, _url(opp) + "#pane-contacts")
    pairs = [(f, by_pk.get(as_int(f["contact"].value(), 0))) for f in formset.forms]
    return _editor(
        request,
        opp,
        "pipeline/opportunity_contacts.html",
        formset,
        title=_("Contacts of %(name)s") % {"name": opp},
        pairs=pairs,
        new_contact_url=_maybe_contact_create(opp),
    )


def _maybe_contact_create(opp: Opportunity) -> str:
    try:
        return reverse("customers:contact_create", args=[opp.customer_id])
    except NoReverseMatch:
        return reverse("customers:customer_detail", args=[opp.customer_id])


def _split_total(formset: Any) -> tuple[Decimal, bool]:
    """The sum of the splits typed (rows with a member, not deleted) and whether it is 100."""
    total = Decimal("0")
    data = formset.data
    count = as_int(data.get(f"{formset.prefix}-TOTAL_FORMS"), 0)
    for n in range(min(count, NEW_ROWS)):
        key = f"{formset.prefix}-{n}"
        if not data.get(f"{key}-user") or data.get(f"{key}-DELETE"):
            continue
        try:
            total += Decimal(str(data.get(f"{key}-split") or "0").strip())
        except ArithmeticError:
            continue
    return total, total == HUNDRED


@page_view
@require_http_methods(["GET", "POST"])
def opportunity_team(request: HttpRequest, pk: int) -> HttpResponse:
    opp = _for_edit(request, pk)
    user: Any = request.user
    people = addressable_people(user).order_by("display_name", "username")
    current = list(opp.team.select_related("user").order_by("-split", "pk"))
    initial = [{"user": m.user_id, "role": m.role, "access": m.access, "split": m.split} for m in current]
    formset = MemberFormSet(
        posted(request), prefix="members", initial=initial, form_kwargs={"people": RowChoices(people)}
    )
    if request.method == "POST" and request.POST.get("preview"):
        total, ok = _split_total(formset)
        return render(request, "pipeline/partials/opportunity_team_sum.html", {"split_total": total, "split_ok": ok})
    if request.method == "GET":
        formset.extra = blank_rows(request, default=EXTRA_ROWS, limit=NEW_ROWS)
    if request.method == "POST" and formset.is_valid():
        rows = kept_rows(formset)
        try:
            services.team_set(
                actor=user,
                opportunity=opp,
                members=[
                    {
                        "user": f.cleaned_data["user"],
                        "role": f.cleaned_data["role"],
                        "access": f.cleaned_data["access"],
                        "split": f.cleaned_data.get("split"),
                    }
                    for f in rows
                ],
            )
        except (ValidationError, Conflict) as exc:
            add_row_errors(formset, rows, exc, key="members[{n}]", first=1, hidden_at_top=True)
        else:
            messages.success(request, _("The deal team has been saved."))
            return done(request, _url(opp) + "#pane-team")
    if request.method == "POST":
        total, ok = _split_total(formset)
    else:
        total = sum((m.split for m in current), Decimal("0"))
        ok = total == HUNDRED
    return _editor(
        request,
        opp,
        "pipeline/opportunity_rows.html",
        formset,
        title=_("Deal team of %(name)s") % {"name": opp},
        intro=_(
            "People from every department the deal needs. The owner %(owner)s stays on the team with edit"
            " access; the revenue credit splits sum to 100%%."
        )
        % {"owner": opp.owner},
        editor_id="opp-team-editor",
        split_total=total,
        split_ok=ok,
    )


@page_view
@require_POST
def opportunity_check(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Tick (done=on) or untick (done=off) an item of the stage's checklist; htmx swaps the checklist."""
    opp = _for_edit(request, pk)
    done_value = request.POST.get("done", "off")
    error = ""
    try:
        services.checklist_tick(actor=request.user, opportunity=opp, item=item_pk, done=done_value == "on")
    except ValidationError as exc:
        if not ChecklistItem.objects.filter(pk=item_pk, stage__process_id=opp.process_id).exists():
            raise NotFound() from None
        error = " ".join(exc.messages)
    if not _htmx(request):
        if error:
            messages.error(request, error)
        return done(request, _url(opp) + "#pane-playbook")
    opp = selectors.opportunity_get(user=request.user, pk=pk)
    response = render(
        request, "pipeline/partials/opportunity_checklist.html", {**_checklist_context(opp, True), "error": error}
    )
    return announce_record_changed(request, response)


urlpatterns = [
    path("pipeline/opportunities/new/", opportunity_create, name="opportunity_create"),
    path("pipeline/opportunities/<int:pk>/", opportunity_detail, name="opportunity_detail"),
    path("pipeline/opportunities/<int:pk>/edit/", opportunity_edit, name="opportunity_edit"),
    path("pipeline/opportunities/<int:pk>/stage/", opportunity_stage, name="opportunity_stage"),
    path("pipeline/opportunities/<int:pk>/win/", opportunity_win, name="opportunity_win"),
    path("pipeline/opportunities/<int:pk>/lose/", opportunity_lose, name="opportunity_lose"),
    path("pipeline/opportunities/<int:pk>/reopen/", opportunity_reopen, name="opportunity_reopen"),
    path("pipeline/opportunities/<int:pk>/lines/", opportunity_lines, name="opportunity_lines"),
    path("pipeline/opportunities/<int:pk>/contacts/", opportunity_contacts, name="opportunity_contacts"),
    path("pipeline/opportunities/<int:pk>/team/", opportunity_team, name="opportunity_team"),
    path("pipeline/opportunities/<int:pk>/checklist/<int:item_pk>/", opportunity_check, name="opportunity_check"),
    path("pipeline/opportunities/<int:pk>/history/", opportunity_history, name="opportunity_history"),
    path("pipeline/opportunities/<int:pk>/why/", opportunity_why, name="opportunity_why"),
]
