"""The import wizard: upload → mapping, preview and options → progress → result (with the error
report), and the list of one's imports. A job's pages answer 404 to everyone but its owner."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.core.forms import posted, service_errors
from xietong.core.htmx import done, page_view, render_page
from xietong.core.pagination import paginate
from xietong.core.params import as_int
from xietong.customers.choices import JobStatus

from . import fields, files, policies, selectors, services, storage
from .forms import MappingForm, UploadForm
from .models import ImportJob, ImportTarget, SavedMapping
from .readers import Table

PROGRESS_ID = "import-progress"
PREVIEW_ROWS = 10


def _crumbs() -> list[tuple[str, str]]:
    return [(_("Imports"), reverse("imports:list"))]


def _job_url(job: ImportJob) -> str:
    return reverse("imports:detail", args=[job.pk])


@page_view
def import_list(request: HttpRequest) -> HttpResponse:
    """My imports, newest first."""
    jobs = selectors.import_job_list(user=request.user).order_by("-created_at", "-pk")
    return render_page(
        request,
        "imports/import_list.html",
        {"can_import": policies.can_import_any(request.user), **paginate(request, jobs)},
    )


@page_view
def import_start(request: HttpRequest) -> HttpResponse:
    """Step 1: the file, what it holds and which business unit it goes into."""
    user: Any = request.user
    target = request.POST.get("target") or request.GET.get("target") or ImportTarget.CUSTOMERS
    if target not in ImportTarget.values:
        target = ImportTarget.CUSTOMERS
    if not policies.can_import(user, target):
        raise PermissionDenied(_("Your roles do not allow importing these records."))
    prices = target == ImportTarget.PRICE_BOOK_ENTRIES
    form = UploadForm(
        posted(request),
        request.FILES or None,
        business_units=[] if prices else selectors.business_unit_choices(user=user, target=target),
        price_books=selectors.price_book_choices(user=user) if prices else None,
        initial={
            "target": target,
            "business_unit": getattr(user, "business_unit_id", None),
            "price_book": request.GET.get("price_book"),
        },
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form, denied=True):
            job = services.import_job_create(
                actor=user,
                target=form.cleaned_data["target"],
                business_unit=form.cleaned_data.get("business_unit", getattr(user, "business_unit", None)),
                upload=form.cleaned_data["file"],
                file_name=form.cleaned_data["file"].name,
                price_book=form.cleaned_data.get("price_book"),
            )
        if form.is_valid():
            return done(request, _job_url(job))
    return render_page(
        request,
        "imports/import_start.html",
        {"form": form, "target": target, "breadcrumbs": _crumbs(), "fields": fields.target_spec(target).fields},
    )


def _mapping_form(request: HttpRequest, job: ImportJob) -> MappingForm:
    user: Any = request.user
    mapping = dict(job.mapping)
    saved_id = as_int(request.GET.get("saved"), None)
    if saved_id is not None:
        saved = SavedMapping.objects.filter(owner=user, target=job.target, pk=saved_id).first()
        if saved is not None:
            mapping = {h: f for h, f in saved.mapping.items() if h in job.headers}
    return MappingForm(
        posted(request),
        target=job.target,
        headers=list(job.headers),
        mapping=mapping,
        initial={"duplicate_mode": job.duplicate_mode, "dry_run": job.dry_run},
    )


@page_view
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2 while the job waits (mapping, preview, options); then its progress (htmx polls the
    progress fragment) and its result."""
    user: Any = request.user
    job = selectors.import_job_get(user=user, pk=pk)
    context: dict[str, Any] = {"job": job, "progress_id": PROGRESS_ID, "breadcrumbs": _crumbs()}
    if job.status == JobStatus.QUEUED:
        form = _mapping_form(request, job)
        if request.method == "POST" and form.is_valid():
            with service_errors(form, fields={"mapping": "__all__"}, denied=True):
                services.import_job_configure(
                    actor=user,
                    job=job,
                    mapping=form.mapping(),
                    duplicate_mode=form.cleaned_data["duplicate_mode"],
                    dry_run=form.cleaned_data["dry_run"],
                    save_mapping_as=form.cleaned_data["save_mapping_as"],
                )
                services.import_job_start(actor=user, job=job)
            if form.is_valid():
                return done(request, _job_url(job))
        table = Table(storage.absolute(job.file_path), encoding=job.encoding)
        context.update(
            form=form,
            preview=[[row.values.get(h, "") for h in job.headers] for row in table.preview(PREVIEW_ROWS)],
            saved_mappings=list(selectors.saved_mappings(user=user, target=job.target)),
        )
    else:
        context.update(errors=job.errors[:200], more_errors=max(len(job.errors) - 200, 0))
    return render_page(request, "imports/import_detail.html", context, fragments={PROGRESS_ID: "progress"})


@page_view
def import_errors(request: HttpRequest, pk: int) -> FileResponse:
    """The error report to download (``?format=csv`` or ``xlsx``)."""
    job = selectors.import_job_get(user=request.user, pk=pk)
    return files.error_report_response(job, request.GET.get("format", "xlsx"))


@page_view
@require_POST
def import_repeat(request: HttpRequest, pk: int) -> HttpResponse:
    """After a dry run: the same file and options, for real."""
    job = selectors.import_job_get(user=request.user, pk=pk)
    try:
        copy = services.import_job_repeat(actor=request.user, job=job, dry_run=False)
    except ValidationError as exc:  # its mapping or options no longer hold (e.g. a field was removed)
        messages.error(request, " ".join(exc.messages))
        return done(request, _job_url(job))
    messages.success(request, _("The import has started."))
    return done(request, _job_url(copy))
