"""One view, two renderings: the full page, or the fragment htmx asked for.

- ``render_page(request, "org/user_list.html", ctx, fragments={"user-results": "results"})`` renders
  ``org/user_list.html#results`` when htmx targets ``#user-results`` and the whole page otherwise
  (including htmx history restores and ``HX-Location`` navigations, which target the body), and
  always sets ``Vary: HX-Request`` so caches keep the two apart.
- ``render_form(request, form, title=..., cancel_url=...)`` the shared form page (the form alone for htmx).
- ``done(request, url)`` after a successful post: ``HX-Location`` for htmx, a 303 redirect otherwise.
- ``@page_view`` for every page: login required (``NotFound`` is an ``Http404``: missing or outside the
  scope answers 404 alike).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseLocation


def fragment_requested(request: HttpRequest, fragments: Mapping[str, str]) -> str | None:
    """The partial name htmx asked for (by the id of its target), or None for a full page."""
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.history_restore_request or htmx.boosted:
        return None
    return fragments.get(htmx.target or "")


def render_page(
    request: HttpRequest,
    template_name: str,
    context: dict[str, Any] | None = None,
    *,
    fragments: Mapping[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    partial = fragment_requested(request, fragments or {})
    name = f"{template_name}#{partial}" if partial else template_name
    response = render(request, name, {**(context or {}), "fragment": partial}, status=status)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


FORM_ID = "xt-form"


def render_form(
    request: HttpRequest,
    form: Any,
    *,
    title: Any,
    cancel_url: str,
    submit_label: Any = None,
    intro: Any = None,
    template_name: str = "components/form_page.html",
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """A form page (labels above fields, errors next to them and summed up on top). An htmx post
    that fails gets only the form back, with what the user typed."""
    ctx = {
        "form": form,
        "title": title,
        "cancel_url": cancel_url,
        "submit_label": submit_label,
        "intro": intro,
        "form_id": FORM_ID,
        **(context or {}),
    }
    return render_page(request, template_name, ctx, fragments={FORM_ID: "form"})


def done(request: HttpRequest, url: str) -> HttpResponse:
    """The answer to a successful post: the browser goes to ``url`` (PRG; htmx via ``HX-Location``)."""
    if getattr(request, "htmx", False):
        return HttpResponseLocation(url)
    return HttpResponseRedirect(url, status=303)


def page_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Every page: login required. (A ``NotFound`` from a selector or service is an ``Http404``, so a
    record missing or outside the scope answers 404 by itself.)"""
    return login_required(view)


RECORD_CHANGED = "xt-record-changed"


def announce_record_changed(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """After a successful htmx write on a record page (a comment, a file, a task), tell the page's
    other panels (the timeline listens: ``hx-trigger="xt-record-changed from:body"``) to reload."""
    if request.method == "POST" and getattr(request, "htmx", False) and response.status_code < 400:
        from django_htmx.http import trigger_client_event

        trigger_client_event(response, RECORD_CHANGED)
    return response


def back_to_page(request: HttpRequest, url: str, *, form: Any = None, info: str = "") -> HttpResponse:
    """Without htmx, a panel's form posts answer by going back to the record's page (303), with the
    form's errors (and an ``info`` line) as messages — nothing the user typed is silently lost."""
    from django.contrib import messages
    from django.http import HttpResponseRedirect

    if info:
        messages.info(request, info)
    if form is not None and form.errors:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return HttpResponseRedirect(url, status=303)


def next_url(request: HttpRequest, default: str) -> str:
    """The page to go back to after a post: the form's ``next`` when it is a path on this site, else
    ``default`` (never another host: ``//evil.example`` and ``https://…`` elsewhere fall back)."""
    from django.utils.http import url_has_allowed_host_and_scheme

    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return default
