"""Approval pages: waiting for my approval, submitted by me, a request (decide from a phone), the
flow administration and my delegations. Thin: parse → selector or service → render."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xietong.core.errors import Conflict
from xietong.core.htmx import done, next_url, page_view, render_page

from . import registry, selectors, services
from .models import RequestStatus

PAGE_SIZE = 25


def _date(value: str | None) -> date | None:
    try:
        return parse_date(value or "")
    except ValueError:
        return None


@require_GET
@page_view
def pending_list(request: HttpRequest) -> HttpResponse:
    """待我审批: my pending tasks, newest first, filtered by document type and submission dates."""
    document_type = request.GET.get("document_type") or None
    submitted_from = _date(request.GET.get("from"))
    submitted_to = _date(request.GET.get("to"))
    qs = selectors.pending_tasks(
        user=request.user, document_type=document_type, submitted_from=submitted_from, submitted_to=submitted_to
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(
        request,
        "approvals/pending_list.html",
        {
            "page_obj": page,
            "page_range": page.paginator.get_elided_page_range(page.number),
            "results_id": "approval-results",
            "tasks": list(page.object_list),
            "document_types": registry.types(),
            "filters": {
                "document_type": document_type or "",
                "from": submitted_from.isoformat() if submitted_from else "",
                "to": submitted_to.isoformat() if submitted_to else "",
            },
        },
        fragments={"approval-results": "results"},
    )


@require_GET
@page_view
def submitted_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    qs = selectors.request_list(user=request.user, mine="submitted", status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(
        request,
        "approvals/submitted_list.html",
        {
            "page_obj": page,
            "page_range": page.paginator.get_elided_page_range(page.number),
            "results_id": "approval-results",
            "requests": list(page.object_list),
            "status": status or "",
            "statuses": RequestStatus.choices,
        },
        fragments={"approval-results": "results"},
    )


@require_GET
@page_view
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    approval = selectors.approval_get(user=request.user, pk=pk)
    view = selectors.request_view(user=request.user, request=approval)
    summary = selectors.document_summary(approval)
    return render_page(
        request,
        "approvals/request_detail.html",
        {"view": view, "approval": approval, "summary": summary, "next": ""},
    )


DECISIONS = ("approve", "reject", "return", "recall", "delegate")


@require_POST
@page_view
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """One form, the decision in ``decision``. 404 for a request the user cannot see, 403 for one they
    see but do not decide on (an approver asked earlier gets a message instead: their page was stale); a
    refused decision (finished, bad step) goes back with the message."""
    decision = request.POST.get("decision", "")
    comment = (request.POST.get("comment") or "").strip()
    url = next_url(request, reverse("approvals:request_detail", args=[pk]))
    kwargs: dict[str, Any] = {"request": pk, "actor": request.user, "comment": comment}
    try:
        if decision == "approve":
            services.approval_approve(**kwargs)
            messages.success(request, _("Approved."))
        elif decision == "reject":
            services.approval_reject(**kwargs)
            messages.success(request, _("Rejected: it went back to the submitter."))
        elif decision == "return":
            services.approval_return(**kwargs, step=request.POST.get("step"))
            messages.success(request, _("Returned to the earlier step."))
        elif decision == "recall":
            services.approval_recall(**kwargs)
            messages.success(request, _("Recalled."))
        elif decision == "delegate":
            services.approval_delegate(**kwargs, user=request.POST.get("user_id") or 0)
            messages.success(request, _("Delegated."))
        else:
            raise ValidationError({"decision": _("Choose a decision.")})
    except ValidationError as exc:
        for errors in exc.message_dict.values() if hasattr(exc, "error_dict") else [exc.messages]:
            for error in errors:
                messages.error(request, str(error))
    except Conflict as exc:
        messages.error(request, str(exc))
    except PermissionDenied:
        if not selectors.was_asked(user=request.user, pk=pk):
            raise
        # an approver whose page is stale (a colleague decided the 或签 step, it was escalated or moved
        # on): told so on the page they came from, not a bare 403
        messages.error(request, _("This approval no longer waits for your decision: the step was decided or moved on."))
    return done(request, url)
