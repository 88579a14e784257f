"""Stage gates: what an opportunity must have before it may enter a stage.

A stage lists requirement codes (``Stage.requirements``); each code is registered here with a label
and a test. Later apps add theirs (quotes registers ``quote``: "a quote before 商务谈判") without
this app importing them. ``missing(opportunity, stages_entered, stages_left)`` says, in words, what
a move lacks: the requirements of every stage it enters, and the required checklist items of every
stage it leaves forward. The services call it on every path — pages, board, API and import — so
the rule is enforced once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from .models import Opportunity, Stage


@dataclass(frozen=True)
class Requirement:
    code: str
    label: str | Promise  # what is needed, e.g. "an expected close date"
    met: Callable[[Opportunity], bool]


_registry: dict[str, Requirement] = {}


def register(code: str, label: str | Promise, met: Callable[[Any], bool]) -> Requirement:
    if code in _registry and _registry[code].met is not met:
        raise ValueError(f"the gate requirement {code!r} is registered twice")
    requirement = Requirement(code, label, met)
    _registry[code] = requirement
    return requirement


def get(code: str) -> Requirement | None:
    return _registry.get(code)


def choices() -> list[tuple[str, str]]:
    return [(r.code, str(r.label)) for r in _registry.values()]


def missing(opportunity: Opportunity, *, entering: Iterable[Stage], leaving: Iterable[Stage] = ()) -> list[str]:
    """What the opportunity lacks to leave ``leaving`` and enter ``entering`` (in words, once each)."""
    from .models import ChecklistCheck, ChecklistItem

    lacking: list[str] = []
    for stage in entering:
        for code in stage.requirements or []:
            requirement = _registry.get(code)
            if requirement is not None and not requirement.met(opportunity):
                label = str(requirement.label)
                if label not in lacking:
                    lacking.append(label)
    left = [s.pk for s in leaving]
    if left and opportunity.pk:
        done = ChecklistCheck.objects.filter(opportunity=opportunity).values("item_id")
        for item in ChecklistItem.objects.filter(stage_id__in=left, required=True).exclude(pk__in=done):
            lacking.append(_("“%(item)s” ticked off") % {"item": item.text})
    return lacking


def message(lacking: list[str], stage: Stage) -> str:
    return _("To move to “%(stage)s” the opportunity needs: %(missing)s.") % {
        "stage": stage.name,
        "missing": _("; ").join(lacking),
    }


# --- the built-in requirements ----------------------------------------------------------------------


def _has_contact(o: Opportunity) -> bool:
    return bool(o.pk) and o.contact_roles.exists()


def _has_decision_maker(o: Opportunity) -> bool:
    return bool(o.pk) and o.contact_roles.filter(role="decision_maker").exists()


def _has_lines(o: Opportunity) -> bool:
    return bool(o.pk) and o.lines.exists()


register("amount", gettext_lazy("an amount"), lambda o: o.amount > 0)
register("expected_close", gettext_lazy("an expected close date"), lambda o: o.expected_close is not None)
register("contact", gettext_lazy("a contact of the customer"), _has_contact)
register("decision_maker", gettext_lazy("the decision maker among its contacts"), _has_decision_maker)
register("product_lines", gettext_lazy("at least one product line"), _has_lines)
register("next_step", gettext_lazy("a next step with its date"), lambda o: bool(o.next_step and o.next_step_date))
register("competitors", gettext_lazy("the competitors named"), lambda o: bool(o.competitors.strip()))
