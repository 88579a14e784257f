"""Templates print ids unlocalized: with USE_THOUSAND_SEPARATOR on, ``{{ obj.pk }}`` renders id
6506 as "6,506" — a broken HTML id, htmx target, link or submitted value from the 1,000th row on."""

from __future__ import annotations

import re
from pathlib import Path

import xietong

ID_WITHOUT_UNLOCALIZE = re.compile(r"\{\{\s*[\w.]+(?:\.pk|\.id|_id)\s*(?:\|(?!unlocalize)[^}]*)?\}\}")


def test_every_id_printed_by_a_template_is_unlocalized():
    root = Path(xietong.__file__).parent
    offenders = [
        f"{path.relative_to(root)}:{n}: {m.group(0)}"
        for path in root.rglob("*.html")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for m in ID_WITHOUT_UNLOCALIZE.finditer(line)
    ]
    assert offenders == []


def test_the_lint_catches_a_localized_id(settings):
    from django.template import engines

    settings.USE_THOUSAND_SEPARATOR = True
    html = engines["django"].from_string('<p id="c-{{ obj.pk }}"></p>').render({"obj": {"pk": 6506}})
    assert html == '<p id="c-6,506"></p>'  # the bug the lint prevents
    assert ID_WITHOUT_UNLOCALIZE.search('id="c-{{ obj.pk }}"')
    assert not ID_WITHOUT_UNLOCALIZE.search('id="c-{{ obj.pk|unlocalize }}"')
