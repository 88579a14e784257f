"""Saving and deleting a list's saved views (``xietong.core.saved_views``): plain posts that go back
to the list (``next``) with a message."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import saved_views as services
from .htmx import done, next_url, page_view


@page_view
@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    back = next_url(request, "/")
    try:
        view = services.saved_view_save(
            user=request.user,
            list_name=request.POST.get("list_name", ""),
            name=request.POST.get("name", ""),
            query=request.POST.get("query", ""),
        )
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
        return done(request, back)
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return done(request, back)


@page_view
@require_POST
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    services.saved_view_delete(user=request.user, pk=pk)
    messages.success(request, _("View deleted."))
    return done(request, next_url(request, "/"))
