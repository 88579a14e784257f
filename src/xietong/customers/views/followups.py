"""Follow-up pages: log one from a record's panel (customer, contact, lead: ``?record=app.model:id``),
the phone-sized visit check-in, and "done" for a due next follow-up (My day)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.collaboration import registry
from xietong.core.components import record_url
from xietong.core.forms import posted, service_errors
from xietong.core.htmx import announce_record_changed, back_to_page, done, next_url, page_view, render_page

from .. import followups, selectors
from ..forms import FollowUpForm
from ..templatetags.customer_tags import followup_panel_context


def _record(request: HttpRequest) -> Any:
    key = request.GET.get("record") or request.POST.get("record") or ""
    return registry.resolve(request.user, key)


def _record_page(record: Any) -> str:
    from django.contrib.contenttypes.models import ContentType

    return record_url(ContentType.objects.get_for_model(record).pk, str(record.pk)) or "/"


@page_view
def followup_panel(request: HttpRequest) -> HttpResponse:
    """The panel alone (htmx reloads it after a change elsewhere on the page)."""
    record = _record(request)
    return render(request, "customers/followups/panel.html", {"record": record})


@page_view
@require_POST
def followup_create(request: HttpRequest) -> HttpResponse:
    """Log a follow-up from a record's panel. htmx gets the panel back (with the errors next to the
    fields, or the new entry on top); without htmx the browser returns to the record's page."""
    record = _record(request)
    form = FollowUpForm(request.POST, prefix="fu")
    if form.is_valid():
        with service_errors(form, denied=True):
            followups.followup_create(actor=request.user, record=record, **form.service_args())
    ok = form.is_valid()
    if not getattr(request, "htmx", False):
        if ok:
            messages.success(request, _("Follow-up logged."))
        return back_to_page(request, _record_page(record), form=form)
    panel = followup_panel_context(request, record, form=None if ok else form)
    response = render(request, "customers/followups/panel.html", {"record": record, "followup_panel": panel})
    return announce_record_changed(request, response) if ok else response


@page_view
def checkin(request: HttpRequest) -> HttpResponse:
    """A visit check-in from a phone: the browser's location (customers.js asks for it when "Check in"
    is pressed) and the server's time, with what happened."""
    record = _record(request)
    form = FollowUpForm(posted(request), check_in=True)
    if request.method == "POST" and form.is_valid():
        with service_errors(form, denied=True):
            followups.followup_create(actor=request.user, record=record, **form.service_args())
        if form.is_valid():
            messages.success(request, _("Visit checked in."))
            return done(request, _record_page(record))
    return render_page(
        request,
        "customers/followups/checkin.html",
        {"form": form, "record": record, "record_key": registry.record_key(record), "back_url": _record_page(record)},
        fragments={"checkin-form": "form"},
    )


@page_view
@require_POST
def followup_done(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = selectors.followup_get(user=request.user, pk=pk)
    try:
        followups.followup_next_done(actor=request.user, follow_up=follow_up)
    except PermissionDenied as exc:
        if getattr(request, "htmx", False):
            return HttpResponse(format_html('<li class="xt-list-item text-danger">{}</li>', str(exc)))
        messages.error(request, str(exc))
        return done(request, reverse("home"))
    if getattr(request, "htmx", False):
        return HttpResponse("")
    messages.success(request, _("Marked as done."))
    return done(request, next_url(request, reverse("home")))


urlpatterns = [
    path("customers/follow-ups/panel/", followup_panel, name="followup_panel"),
    path("customers/follow-ups/new/", followup_create, name="followup_create"),
    path("customers/follow-ups/check-in/", checkin, name="checkin"),
    path("customers/follow-ups/<int:pk>/done/", followup_done, name="followup_done"),
]
