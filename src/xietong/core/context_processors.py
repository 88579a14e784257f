from typing import Any

from django.conf import settings
from django.http import HttpRequest

from . import navigation


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"LANGUAGES": settings.LANGUAGES}
    return {
        "nav_menu": navigation.menu_for(user, request.path),
        "topbar_items": navigation.topbar_items(),
        "LANGUAGES": settings.LANGUAGES,
    }
