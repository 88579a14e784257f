"""What the Chinese UI shows: tests assert the text a zh-hans user reads (the default language)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, override, pgettext


def zh(text: str, context: str | None = None, **params: Any) -> str:
    """The Simplified Chinese of an English source string, with ``params`` filled in."""
    with override("zh-hans"):
        translated = pgettext(context, text) if context else gettext(text)
    return translated % params if params else translated
