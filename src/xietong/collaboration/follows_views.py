"""Follow and unfollow from a record page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from xietong.core.components import record_url
from xietong.core.htmx import done, page_view

from . import follows, registry

PANEL = "collaboration/follows/panel.html"


@page_view
@require_POST
def toggle(request: HttpRequest) -> HttpResponse:
    """POST record=<app.model:pk> and follow=1|0; answers the panel for htmx, else back to the record."""
    record = registry.resolve(request.user, request.POST.get("record", ""))
    if request.POST.get("follow") == "1":
        follows.follow(actor=request.user, record=record)
    else:
        follows.unfollow(actor=request.user, record=record)
    if getattr(request, "htmx", False):
        return render(request, PANEL, {"record": record})
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(record)
    return done(request, record_url(ct.pk, str(record.pk)) or "/")
