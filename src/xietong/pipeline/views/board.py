"""Pages: the board (kanban) — a column per stage with its count, amount and weighted amount, the top
cards by amount and "load more" per column; moving a card (drag and drop, or the card's "move to…"
form without JavaScript) and the card's quick edit of amount and expected close.

A move or quick edit from the board answers with the columns it changed, as htmx out-of-band swaps
(``pipeline/partials/board_columns.html``): the card lands in its new column and both columns' counts
and sums follow. A refusal (a stage gate, a closed deal, the lost column) answers 409 with the card
back in its column and the reason on the card (``role="alert"``); nothing is written.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.core.errors import Conflict, NotFound
from xietong.core.forms import XtForm, service_errors
from xietong.core.htmx import done, next_url, page_view, render_form, render_page
from xietong.core.params import as_int
from xietong.org.policies import require

from .. import selectors, services
from ..choices import StageKind
from ..filters import OpportunityFilterForm
from ..models import Opportunity, SalesProcess, Stage

MODULE = "opportunities"
BOARD_ID = "pipeline-board"
CURSOR_SEP = "_"
NOT_FILTERS = ("stage", "after", "card", "next")  # parameters of a board request that are not its filters


# --- helpers ---------------------------------------------------------------------------------------


def _filter_form(request: HttpRequest) -> OpportunityFilterForm:
    return OpportunityFilterForm(request.GET, user=request.user, with_status=False)


def _process(request: HttpRequest) -> SalesProcess | None:
    pk = as_int(request.GET.get("process"), None)
    if pk is not None:
        return selectors.process_get(user=request.user, pk=pk)
    return selectors.default_process_for(request.user)


def board_query(request: HttpRequest, process: SalesProcess | None = None) -> str:
    """The board's process and filters in this request (a card's fragment too), as a querystring:
    the card's actions carry it, so their answers count and sum the columns as the board shows them."""
    params = request.GET.copy()
    for name in NOT_FILTERS:
        params.pop(name, None)
    if process is not None:
        params["process"] = str(process.pk)
    return params.urlencode()


def board_url(request: HttpRequest, process: SalesProcess | None = None) -> str:
    """Where a move or a quick edit without JavaScript goes back to: the board as it was."""
    query = board_query(request, process)
    return reverse("pipeline:board") + (f"?{query}" if query else "")


def encode_after(card: Opportunity) -> str:
    return f"{card.amount}{CURSOR_SEP}{card.pk}"


def decode_after(token: str) -> tuple[Decimal, int] | None:
    amount, _sep, pk = (token or "").partition(CURSOR_SEP)
    try:
        return Decimal(amount), int(pk)
    except (InvalidOperation, ValueError):
        return None


def decorate(cards: list[Opportunity], now: Any = None) -> list[Opportunity]:
    """Each card's health (stale / overdue / slow) for its badges; no queries."""
    now = now or timezone.now()
    for card in cards:
        card.health = selectors.health_of(card, now)  # type: ignore[attr-defined]
    return cards


def mark_editable(user: Any, cards: list[Opportunity]) -> list[Opportunity]:
    """Which cards ``user`` may change, in one query: the others get no quick edit, no "move to…" and
    cannot be dragged (a deal-team member with read access sees the deal but may not move it)."""
    editable: set[int] = set()
    if cards and user.access.can(MODULE, "edit"):
        editable = set(
            Opportunity.objects.visible_to(user, "edit")
            .filter(pk__in=[c.pk for c in cards])
            .values_list("pk", flat=True)
        )
    for card in cards:
        card.editable = card.pk in editable  # type: ignore[attr-defined]
    return cards


def lose_url(opportunity: Opportunity) -> str:
    """The lose dialog (the opportunity pages), or "" while it does not exist."""
    try:
        return reverse("pipeline:opportunity_lose", args=[opportunity.pk])
    except NoReverseMatch:
        return ""


def _columns(request: HttpRequest, process: SalesProcess, stage_ids: list[int]) -> list[selectors.Column]:
    """The columns ``stage_ids`` of the board as this request's filters show it (the sums of the other
    columns come along in the same query and are dropped)."""
    filters = _filter_form(request).filters()
    columns = selectors.board(user=request.user, process=process, **filters)
    now = timezone.now()
    picked = [c for c in columns if c.stage.pk in stage_ids]
    for column in picked:
        decorate(column.cards, now)
    mark_editable(request.user, [card for column in picked for card in column.cards])
    return picked


def _card_context(request: HttpRequest, process: SalesProcess) -> dict[str, Any]:
    return {
        "stages": services.stages_of(process),
        "today": timezone.localdate(),
        "board_query": board_query(request, process),
        "may_edit": bool(request.user.access.can(MODULE, "edit")),  # type: ignore[union-attr]
    }


# --- the board --------------------------------------------------------------------------------------


@page_view
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """The board of one sales process (``?process=``, default the user's BU's), filtered."""
    user = request.user
    require(user, MODULE, "view")
    form = _filter_form(request)
    process = _process(request)
    columns: list[selectors.Column] = []
    if process is not None:
        columns = selectors.board(user=user, process=process, **form.filters())
        now = timezone.now()
        for column in columns:
            decorate(column.cards, now)
        mark_editable(user, [card for column in columns for card in column.cards])
    open_columns = [c for c in columns if c.stage.kind == StageKind.OPEN]
    return render_page(
        request,
        "pipeline/board.html",
        {
            "form": form,
            "process": process,
            "processes": list(selectors.visible_processes(user)),
            "columns": columns,
            "open_count": sum(c.count for c in open_columns),
            "open_amount": sum((c.amount for c in open_columns), Decimal("0.00")),
            "open_weighted": sum((c.weighted for c in open_columns), Decimal("0.00")),
            "board_id": BOARD_ID,
            "scopes": [
                (value, label)
                for value, label in form.fields["scope"].choices  # type: ignore[attr-defined]
            ],
            "scope": form.scope_value,
            "filtered": form.is_filtered(),
            **(_card_context(request, process) if process is not None else {"today": timezone.localdate()}),
        },
        fragments={BOARD_ID: "board"},
    )


@page_view
@require_GET
def board_column(request: HttpRequest) -> HttpResponse:
    """More cards of one column (``?stage=&after=<amount>_<id>`` and the board's filters)."""
    user = request.user
    require(user, MODULE, "view")
    raw = request.GET.get("stage") or ""
    stage = (
        Stage.objects.filter(pk=as_int(raw, 0), process__in=selectors.visible_processes(user))
        .select_related("process")
        .first()
    )
    if stage is None:
        raise NotFound()
    filters = _filter_form(request).filters()
    cards = selectors.column_cards(
        user=user,
        process=stage.process,
        stage=stage,
        after=decode_after(request.GET.get("after", "")),
        limit=selectors.BOARD_CARDS + 1,
        **filters,
    )
    more = len(cards) > selectors.BOARD_CARDS
    cards = mark_editable(request.user, decorate(cards[: selectors.BOARD_CARDS]))
    return render(
        request,
        "pipeline/partials/board_more.html",
        {
            "stage": stage,
            "cards": cards,
            "next_after": encode_after(cards[-1]) if more and cards else "",
            **_card_context(request, stage.process),
        },
    )


# --- moving a card ------------------------------------------------------------------------------------


@page_view
@require_POST
def board_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the opportunity to ``stage`` from the board (its won stage wins it; the lost stage needs the
    lose dialog). The record page's stage path has its own ``opportunity_move`` (it answers with the path).
    htmx: the two columns as out-of-band swaps (409/422/403 with the reason on the card when refused);
    without htmx: back to the board with a message."""
    user = request.user
    opportunity = selectors.opportunity_get(user=user, pk=pk)  # 404 outside the scope, before anything else
    process = opportunity.process
    raw = request.POST.get("stage") or ""
    target = Stage.objects.filter(pk=as_int(raw, 0), process_id=process.pk).first()
    refused, status, url = "", 200, ""
    moved = opportunity
    if target is None:
        refused, status = _("Choose a stage of the opportunity's sales process."), 422
    elif target.kind == StageKind.LOST:
        url = lose_url(opportunity)
        refused, status = _("To mark the opportunity lost, say why: use “Mark as lost”."), 409
    else:
        try:
            moved = services.opportunity_move(actor=user, opportunity=opportunity.pk, stage=target)
        except Conflict as exc:
            refused, status = str(exc), 409
        except ValidationError as exc:
            refused, status = " ".join(str(m) for m in exc.messages), 422
        except PermissionDenied as exc:
            refused, status = str(exc) or _("You may not change this opportunity."), 403
    if not getattr(request, "htmx", False):
        if refused:
            messages.error(request, f"{opportunity.name}: {refused}")
        else:
            messages.success(
                request,
                _("“%(name)s” moved to “%(stage)s”.") % {"name": opportunity.name, "stage": target},
            )
        if url:
            return done(request, url)
        return done(request, next_url(request, board_url(request, process)))
    stage_ids = [opportunity.stage_id]
    if target is not None and target.pk != opportunity.stage_id:
        stage_ids.append(target.pk)
    columns = _columns(request, process, stage_ids)
    shown = moved if not refused else opportunity
    home = shown.stage_id
    for column in columns:  # the card shows in its column even when it was loaded with "more"
        if column.stage.pk == home and all(c.pk != shown.pk for c in column.cards):
            column.cards.append(mark_editable(user, decorate([selectors.opportunity_get(user=user, pk=shown.pk)]))[0])
    return render(
        request,
        "pipeline/partials/board_columns.html",
        {
            "columns": columns,
            "refused_pk": opportunity.pk if refused else None,
            "refused": refused,
            "refused_url": url,
            **_card_context(request, process),
        },
        status=status,
    )


# --- quick edit of amount and expected close -------------------------------------------------------------


class QuickForm(XtForm):
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"),
        min_value=0,
        max_digits=16,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
    )
    expected_close = forms.DateField(
        label=gettext_lazy("Expected close date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, has_lines: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if has_lines:
            field = self.fields["amount"]
            field.disabled = True
            field.help_text = gettext_lazy("The sum of the product lines: change the lines.")


@page_view
@require_http_methods(["GET", "POST"])
def opportunity_quick(request: HttpRequest, pk: int) -> HttpResponse:
    """Amount and expected close of a card, in place (htmx) or as a small form page."""
    user = request.user
    opportunity = selectors.opportunity_get(user=user, pk=pk)
    process = opportunity.process
    context = _card_context(request, process)
    htmx = bool(getattr(request, "htmx", False))
    if request.method == "GET" and request.GET.get("card"):  # "cancel": the card as it is
        return render(
            request, "pipeline/partials/card.html", {"o": mark_editable(user, decorate([opportunity]))[0], **context}
        )
    require(user, MODULE, "edit")
    if not selectors.can_edit(user, opportunity):
        raise PermissionDenied(_("You may not change this opportunity."))
    has_lines = opportunity.lines.exists()
    initial = {"amount": opportunity.amount, "expected_close": opportunity.expected_close}
    form = QuickForm(request.POST if request.method == "POST" else None, initial=initial, has_lines=has_lines)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.opportunity_update(
                actor=user,
                opportunity=opportunity.pk,
                amount=form.cleaned_data["amount"],
                expected_close=form.cleaned_data["expected_close"],
            )
        if form.is_valid():
            if not htmx:
                messages.success(request, _("“%(name)s” saved.") % {"name": opportunity.name})
                return done(request, next_url(request, board_url(request, process)))
            card = mark_editable(user, decorate([selectors.opportunity_get(user=user, pk=pk)]))[0]
            return render(
                request,
                "pipeline/partials/card_saved.html",
                {"o": card, "columns": _columns(request, process, [card.stage_id]), **context},
            )
    if htmx:
        return render(request, "pipeline/partials/card_quick.html", {"o": opportunity, "quick_form": form, **context})
    return render_form(
        request,
        form,
        title=_("Amount and expected close of “%(name)s”") % {"name": opportunity.name},
        cancel_url=next_url(request, board_url(request, process)),
        context={"plain_form": True},
    )


urlpatterns: list[Any] = [
    path("pipeline/", board, name="board"),
    path("pipeline/board/column/", board_column, name="board_column"),
    path("pipeline/board/<int:pk>/move/", board_move, name="board_move"),
    path("pipeline/opportunities/<int:pk>/quick/", opportunity_quick, name="opportunity_quick"),
]
