from typing import Any

from django.conf import settings
from django.http import HttpRequest

from . import navigation


def shell(request: HttpRequest) -> dict[str, Any]:
    """The page shell's navigation. Computed once per request and user: a page that renders parts with
    ``render_to_string(..., request=request)`` (record panels, alerts) runs the context processors for
    each part."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"LANGUAGES": settings.LANGUAGES}
    cached = getattr(request, "_xt_nav_menu", None)
    if cached is None or cached[0] != user.pk:
        cached = (user.pk, navigation.menu_for(user, request.path))
        request._xt_nav_menu = cached  # type: ignore[attr-defined]
    return {
        "nav_menu": cached[1],
        "topbar_items": navigation.topbar_items(),
        "LANGUAGES": settings.LANGUAGES,
    }
