"""What a browser would submit for a form of a rendered page: tests post a page's own form back, with
its initial rows and hidden management fields as they were rendered, instead of hand-built data
that may differ from what the page sends (a line editor's ``INITIAL_FORMS``, say)."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class _FormFields(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.depth = 0  # > 0 inside the form
        self.data: dict[str, Any] = {}
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None

    def _put(self, name: str, value: str) -> None:
        """A name the form repeats (one field per step, say) submits each of its values."""
        if name in self.data:
            held = self.data[name]
            self.data[name] = [*held, value] if isinstance(held, list) else [held, value]
        else:
            self.data[name] = value

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            if self.depth or a.get("id") == self.form_id:
                self.depth += 1
            return
        if not self.depth or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._put(name, a.get("value", "on"))
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self._put(name, a.get("value", ""))
        elif tag == "select" and name:
            # a multiple select with nothing chosen sends nothing; a single one, its first option
            self._select, self._select_first, self._select_chosen = name, None, "multiple" in a
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                self._put(self._select, value)
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea = name
            self._put(name, "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.depth:
            self.depth -= 1
        elif tag == "select" and self._select is not None:
            if not self._select_chosen:  # nothing selected: the browser sends the first option
                self._put(self._select, self._select_first or "")
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            held = self.data[self._textarea]
            last = held[-1] if isinstance(held, list) else held
            # the first newline after <textarea> is not part of the value
            text = last + (data.removeprefix("\n") if not last else data)
            if isinstance(held, list):
                held[-1] = text
            else:
                self.data[self._textarea] = text


def submitted(html: str, form_id: str) -> dict[str, Any]:
    """The fields the form ``#form_id`` of ``html`` submits as rendered (no file inputs); a name the
    form repeats maps to the list of its values."""
    parser = _FormFields(form_id)
    parser.feed(html)
    if not parser.data:
        raise AssertionError(f"no form #{form_id} with fields in the page")
    return parser.data
