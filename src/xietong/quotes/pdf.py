"""The quote as a PDF in Chinese: WeasyPrint renders ``quotes/pdf.html`` (the group's letterhead, the
customer and contact, the lines, the totals in figures and in words, validity and terms) with the CSS
font "Noto Sans CJK SC", which WeasyPrint embeds as a subset."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation

from . import money
from .models import Quote


def context(quote: Quote) -> dict[str, Any]:
    from xietong.org.models import Group

    group = Group.objects.order_by("pk").first()
    return {
        "quote": quote,
        "lines": list(quote.lines.all()),
        "group": group,
        "total_in_words": money.in_words(quote.total) if quote.currency == "CNY" else "",
        "today": timezone.localdate(),
    }


def render_pdf(quote: Quote) -> bytes:
    from weasyprint import HTML

    with translation.override("zh-hans"):
        html = render_to_string("quotes/pdf.html", context(quote))
    return bytes(HTML(string=html).write_pdf())


def filename(quote: Quote) -> str:
    return f"{quote.number}-v{quote.version}.pdf"


def pdf_response(quote: Quote, *, inline: bool = True) -> HttpResponse:
    response = HttpResponse(render_pdf(quote), content_type="application/pdf")
    kind = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{kind}; filename="{filename(quote)}"'
    return response
