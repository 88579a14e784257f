"""The public web-to-lead endpoint, one per web form token: ``/forms/<token>/``.

No login and no CSRF token (a form on another site posts here). GET shows the hosted form; POST
takes the form's fields as an HTML form post or as JSON. Answers: the thank-you page or
``{"ok": true, "message": ...}``; 422 with the field errors (the page again, with what was typed);
429 over the form's limit per address and hour; 404 for an unknown or inactive token.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from xietong.core.api import error_body
from xietong.core.forms import add_service_error
from xietong.core.middleware import client_ip

from .. import webforms
from ..forms import PublicLeadForm
from ..models import WebForm


def _wants_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get("Accept", "")


def _thanks(form: WebForm) -> str:
    return form.thank_you or _("Thank you. We will contact you soon.")


def _page(
    request: HttpRequest, webform: WebForm, form: PublicLeadForm, *, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(request, "leads/public_form.html", {"webform": webform, "form": form, **extra}, status=status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def web_to_lead(request: HttpRequest, token: str) -> HttpResponse:
    webform = webforms.active_form(token)
    if webform is None:
        if _wants_json(request):
            return JsonResponse(error_body(_("Not found.")), status=404)
        raise Http404
    if request.method == "GET":
        return _page(request, webform, PublicLeadForm())
    as_json = _wants_json(request)
    if as_json:
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return JsonResponse(
                error_body(_("The input is invalid."), [{"field": "__all__", "message": _("Send a JSON object.")}]),
                status=422,
            )
        if not isinstance(data, dict):
            return JsonResponse(
                error_body(_("The input is invalid."), [{"field": "__all__", "message": _("Send a JSON object.")}]),
                status=422,
            )
    else:
        data = request.POST
    if webforms.over_limit(webform, client_ip(request) or ""):
        message = _("Too many submissions from your address. Please try again later.")
        if as_json:
            return JsonResponse(error_body(message), status=429)
        return _page(request, webform, PublicLeadForm(), status=429, limited=message)
    if webforms.is_robot(data):  # the honeypot: looks accepted, stores nothing
        return (
            JsonResponse({"ok": True, "message": _thanks(webform)})
            if as_json
            else _page(request, webform, PublicLeadForm(), thanks=_thanks(webform))
        )
    form = PublicLeadForm({k: data.get(k) for k in PublicLeadForm.base_fields if k in data})
    if form.is_valid():
        try:
            webforms.submit(form=webform, data=form.cleaned_data)
        except ValidationError as exc:  # a service refusal: shown like a form error
            add_service_error(form, exc)
        else:
            if as_json:
                return JsonResponse({"ok": True, "message": _thanks(webform)}, status=201)
            return _page(request, webform, PublicLeadForm(), thanks=_thanks(webform))
    if as_json:
        errors = [{"field": name, "message": str(m)} for name, messages in form.errors.items() for m in messages]
        return JsonResponse(error_body(_("The input is invalid."), errors), status=422)
    return _page(request, webform, form, status=422)


urlpatterns = [path("forms/<str:token>/", web_to_lead, name="web_form")]
