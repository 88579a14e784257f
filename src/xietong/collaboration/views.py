"""The notification bell, the notifications page, opening and marking read."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from xietong.core.htmx import done, page_view, render_page
from xietong.core.pagination import paginate

from . import selectors, services

RESULTS_ID = "notification-results"


@page_view
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    page = paginate(request, selectors.notification_list(user=request.user, unread_only=unread_only))
    page["page_obj"].object_list = selectors.decorate(page["page_obj"].object_list, user=request.user)
    return render_page(
        request,
        "collaboration/notification_list.html",
        {
            **page,
            "unread_only": unread_only,
            "results_id": RESULTS_ID,
            "unread": selectors.unread_count(user=request.user),
        },
        fragments={RESULTS_ID: "results"},
    )


@page_view
def bell(request: HttpRequest) -> HttpResponse:
    """The unread count in the top bar; htmx asks again every 30 seconds."""
    response = render(
        request, "collaboration/partials/bell.html", {"unread": selectors.unread_count(user=request.user)}
    )
    response["Cache-Control"] = "no-store"
    return response


@page_view
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark it read and go to its record (or back to the list when the record is out of sight)."""
    notification = selectors.notification_get(user=request.user, pk=pk)
    services.notifications_mark_read(actor=request.user, ids=[notification.pk])
    (decorated,) = selectors.decorate([notification], user=request.user)
    return HttpResponseRedirect(decorated.url or reverse("collaboration:notifications"))  # type: ignore[attr-defined]


@page_view
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_read(actor=request.user)
    return done(request, reverse("collaboration:notifications"))
