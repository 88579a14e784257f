"""Sales process administration for a BU's administrators (opportunities "administer"): the processes,
their stages in order with probability, forecast category, expected days, gate and playbook, and each
stage's checklist. The writes are ``configuration`` services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.core.errors import NotFound
from xietong.core.forms import posted, service_errors
from xietong.core.htmx import done, page_view, render_form, render_page
from xietong.org.models import BusinessUnit
from xietong.org.policies import require

from .. import configuration, gates
from ..choices import StageKind
from ..forms import ChecklistItemForm, ProcessForm, StageForm
from ..models import ChecklistItem, Opportunity, SalesProcess, Stage

MODULE = configuration.MODULE


def _list_url() -> str:
    return reverse("pipeline:process_list")


def _url(process: SalesProcess | int) -> str:
    return reverse("pipeline:process_detail", args=[getattr(process, "pk", process)])


def _crumbs(process: SalesProcess | None = None) -> list[tuple[str, str]]:
    crumbs = [(_("Sales processes"), _list_url())]
    if process is not None:
        crumbs.append((str(process), _url(process)))
    return crumbs


def _administered(request: HttpRequest, process_id: int) -> SalesProcess:
    """A process to administer: 404 when unseen (like a missing one), 403 when seen but not administered."""
    process = (
        SalesProcess.objects.visible_to(request.user).select_related("business_unit").filter(pk=process_id).first()
    )
    if process is None:
        raise NotFound()
    if not configuration.can_administer(request.user, process.business_unit_id):
        raise PermissionDenied(_("Only administrators of opportunities in the business unit may change its processes."))
    return process


def _stage(request: HttpRequest, pk: int) -> Stage:
    stage = Stage.objects.filter(pk=pk).first()
    if stage is None:
        raise NotFound()
    _administered(request, stage.process_id)
    return Stage.objects.select_related("process", "process__business_unit").get(pk=pk)


def _business_units(request: HttpRequest) -> Any:
    user: Any = request.user
    ids = [bu.pk for bu in BusinessUnit.objects.filter(is_active=True) if configuration.can_administer(user, bu.pk)]
    return BusinessUnit.objects.filter(pk__in=ids).order_by("code")


@page_view
@require_GET
def process_list(request: HttpRequest) -> HttpResponse:
    require(request.user, MODULE, "administer")
    processes = list(configuration.administered_processes(request.user))
    counts: dict[int, int] = {}
    for process_id in Stage.objects.filter(process__in=processes).values_list("process_id", flat=True):
        counts[process_id] = counts.get(process_id, 0) + 1
    return render_page(
        request,
        "pipeline/process_list.html",
        {
            "processes": [(p, counts.get(p.pk, 0)) for p in processes],
            "may_create": _business_units(request).exists(),
        },
    )


@page_view
@require_http_methods(["GET", "POST"])
def process_create(request: HttpRequest) -> HttpResponse:
    require(request.user, MODULE, "administer")
    user: Any = request.user
    business_units = _business_units(request)
    if not business_units.exists():
        raise PermissionDenied(_("Only administrators of opportunities in the business unit may change its processes."))
    initial_bu = business_units.filter(pk=user.business_unit_id or 0).first() or business_units.first()
    form = ProcessForm(posted(request), initial={"business_unit": initial_bu}, business_units=business_units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        process = None
        with service_errors(form, denied=True):
            process = configuration.process_create(
                actor=user,
                business_unit=data["business_unit"],
                name=data["name"],
                description=data["description"],
                is_default=data["is_default"],
            )
        if process is not None and form.is_valid():
            messages.success(request, _("Sales process “%(name)s” created.") % {"name": process})
            return done(request, _url(process))
    return render_form(
        request,
        form,
        title=_("New sales process"),
        cancel_url=_list_url(),
        submit_label=_("Create"),
        context={"breadcrumbs": _crumbs()},
    )


@page_view
@require_GET
def process_detail(request: HttpRequest, pk: int) -> HttpResponse:
    process = _administered(request, pk)
    stages = list(process.stages.order_by("position"))
    items: dict[int, list[ChecklistItem]] = {s.pk: [] for s in stages}
    for item in ChecklistItem.objects.filter(stage__process=process).order_by("position", "pk"):
        items[item.stage_id].append(item)
    in_use: dict[int, int] = {}
    for stage_id in Opportunity.objects.filter(process=process).values_list("stage_id", flat=True):
        in_use[stage_id] = in_use.get(stage_id, 0) + 1
    labels = dict(gates.choices())
    open_ids = [s.pk for s in stages if s.kind == StageKind.OPEN]
    rows = [
        {
            "stage": s,
            "requirements": [labels.get(code, code) for code in s.requirements or []],
            "checklist": items[s.pk],
            "count": in_use.get(s.pk, 0),
            "first": bool(open_ids) and s.pk == open_ids[0],
            "last": bool(open_ids) and s.pk == open_ids[-1],
        }
        for s in stages
    ]
    return render_page(
        request,
        "pipeline/process_detail.html",
        {"process": process, "rows": rows, "breadcrumbs": _crumbs(), "item_form": ChecklistItemForm(prefix="item")},
    )


@page_view
@require_http_methods(["GET", "POST"])
def process_edit(request: HttpRequest, pk: int) -> HttpResponse:
    process = _administered(request, pk)
    initial = {name: getattr(process, name) for name in configuration.PROCESS_FIELDS}
    form = ProcessForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = None
        with service_errors(form, denied=True):
            saved = configuration.process_update(actor=request.user, process=process, **form.cleaned_data)
        if saved is not None and form.is_valid():
            messages.success(request, _("The sales process has been saved."))
            return done(request, _url(process))
    return render_form(
        request,
        form,
        title=_("Edit %(name)s") % {"name": process},
        cancel_url=_url(process),
        context={"breadcrumbs": _crumbs(process)},
    )


@page_view
@require_http_methods(["GET", "POST"])
def stage_create(request: HttpRequest, pk: int) -> HttpResponse:
    process = _administered(request, pk)
    form = StageForm(posted(request), initial={"probability": 10, "forecast_category": "pipeline"})
    if request.method == "POST" and form.is_valid():
        stage = None
        with service_errors(form, denied=True):
            stage = configuration.stage_create(actor=request.user, process=process, **form.cleaned_data)
        if stage is not None and form.is_valid():
            messages.success(request, _("Stage “%(name)s” added.") % {"name": stage})
            return done(request, _url(process))
    return render_form(
        request,
        form,
        title=_("New stage of %(name)s") % {"name": process},
        cancel_url=_url(process),
        submit_label=_("Add"),
        intro=_("The stage comes after the other open stages; move it up on the process page."),
        context={"breadcrumbs": _crumbs(process)},
    )


@page_view
@require_http_methods(["GET", "POST"])
def stage_edit(request: HttpRequest, pk: int) -> HttpResponse:
    stage = _stage(request, pk)
    initial = {name: getattr(stage, name) for name in configuration.STAGE_FIELDS}
    form = StageForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = None
        with service_errors(form, denied=True):
            saved = configuration.stage_update(actor=request.user, stage=stage, **form.cleaned_data)
        if saved is not None and form.is_valid():
            messages.success(request, _("The stage has been saved."))
            return done(request, _url(stage.process_id))
    return render_form(
        request,
        form,
        title=_("Edit stage %(name)s") % {"name": stage},
        cancel_url=_url(stage.process_id),
        context={"breadcrumbs": _crumbs(stage.process)},
    )


def _refused(request: HttpRequest, exc: ValidationError) -> None:
    for text in exc.messages:
        messages.error(request, text)


@page_view
@require_POST
def stage_delete(request: HttpRequest, pk: int) -> HttpResponse:
    stage = _stage(request, pk)
    try:
        configuration.stage_delete(actor=request.user, stage=stage)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Stage “%(name)s” deleted.") % {"name": stage.name})
    return done(request, _url(stage.process_id))


@page_view
@require_POST
def stage_move(request: HttpRequest, pk: int) -> HttpResponse:
    stage = _stage(request, pk)
    try:
        configuration.stage_move(actor=request.user, stage=stage, direction=request.POST.get("direction", ""))
    except ValidationError as exc:
        _refused(request, exc)
    return done(request, _url(stage.process_id) + f"#stage-{stage.pk}")


@page_view
@require_http_methods(["GET", "POST"])
def checklist_item_create(request: HttpRequest, pk: int) -> HttpResponse:
    stage = _stage(request, pk)
    form = ChecklistItemForm(posted(request), prefix="item" if "item-text" in request.POST else None)
    if request.method == "POST" and form.is_valid():
        item = None
        with service_errors(form, denied=True):
            item = configuration.checklist_item_create(actor=request.user, stage=stage, **form.cleaned_data)
        if item is not None and form.is_valid():
            messages.success(request, _("Checklist item added."))
            return done(request, _url(stage.process_id) + f"#stage-{stage.pk}")
    return render_form(
        request,
        form,
        title=_("New checklist item of %(name)s") % {"name": stage},
        cancel_url=_url(stage.process_id),
        submit_label=_("Add"),
        context={"breadcrumbs": _crumbs(stage.process)},
    )


@page_view
@require_POST
def checklist_item_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = ChecklistItem.objects.select_related("stage").filter(pk=pk).first()
    if item is None:
        raise NotFound()
    stage = _stage(request, item.stage_id)
    configuration.checklist_item_delete(actor=request.user, item=item)
    messages.success(request, _("Checklist item removed."))
    return done(request, _url(stage.process_id) + f"#stage-{stage.pk}")


urlpatterns = [
    path("pipeline/settings/processes/", process_list, name="process_list"),
    path("pipeline/settings/processes/new/", process_create, name="process_create"),
    path("pipeline/settings/processes/<int:pk>/", process_detail, name="process_detail"),
    path("pipeline/settings/processes/<int:pk>/edit/", process_edit, name="process_edit"),
    path("pipeline/settings/processes/<int:pk>/stages/new/", stage_create, name="stage_create"),
    path("pipeline/settings/stages/<int:pk>/edit/", stage_edit, name="stage_edit"),
    path("pipeline/settings/stages/<int:pk>/delete/", stage_delete, name="stage_delete"),
    path("pipeline/settings/stages/<int:pk>/move/", stage_move, name="stage_move"),
    path("pipeline/settings/stages/<int:pk>/checklist/new/", checklist_item_create, name="checklist_item_create"),
    path("pipeline/settings/checklist/<int:pk>/delete/", checklist_item_delete, name="checklist_item_delete"),
]
