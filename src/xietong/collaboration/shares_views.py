"""Share a record with a person, from the offer shown after mentioning someone who cannot see it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.core import shares
from xietong.core.components import record_url
from xietong.core.errors import ValidationError
from xietong.core.htmx import page_view
from xietong.core.params import as_int

from . import registry


@page_view
@require_POST
def share(request: HttpRequest) -> HttpResponse:
    """POST ``record`` (``"app_label.model:pk"``), ``user`` (id) and optionally ``access``: 404 when
    the record is not visible, 403 when the sharer may not edit it, 422 for a person they cannot
    share with. htmx answers a line that replaces the button."""
    record = registry.resolve(request.user, request.POST.get("record", ""))
    raw = request.POST.get("user", "")
    person = get_user_model()._default_manager.filter(pk=as_int(raw, 0)).first()
    try:
        shares.share_record(actor=request.user, record=record, user=person, access=request.POST.get("access") or "read")
    except ValidationError as exc:
        text = " ".join(str(m) for messages_ in exc.message_dict.values() for m in messages_)
        if getattr(request, "htmx", False):
            return HttpResponse(format_html('<p class="text-danger small mb-0" role="alert">{}</p>', text), status=422)
        messages.error(request, text)
    else:
        done = _("Shared with %(name)s.") % {"name": person}
        if getattr(request, "htmx", False):
            return HttpResponse(
                format_html(
                    '<span class="text-success small"><i class="bi bi-check2" aria-hidden="true"></i> {}</span>', done
                )
            )
        messages.success(request, done)
    page = record_url(ContentType.objects.get_for_model(record).pk, str(record.pk)) or "/"
    return HttpResponseRedirect(page, status=303)
