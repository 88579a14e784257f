from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Deal


def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A record page as a domain app writes one: the shared layout, its panels come for free."""
    deal = Deal.objects.get_visible(request.user, pk)
    return render(request, "sampleapp/deal.html", {"object": deal})
