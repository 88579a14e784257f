"""Duplicate rules: what happens when a new customer, lead or contact matches an existing one, per key
(block / warn and ask for a reason / allow), over the defaults of ``matching.DEFAULT_ACTIONS``
(docs/subsystems/duplicates.md, "Rules"). Group-wide configuration of customers "administer".

``matching.rule_actions`` reads the rows on every check (no cache), so a change applies at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.core import audit, navigation
from xietong.core.choices import DataScope
from xietong.core.errors import PermissionDenied, ValidationError
from xietong.core.models import AuditEntry
from xietong.org.policies import require

from . import matching
from .choices import DuplicateAction
from .models import DuplicateRule

audit.register_verb("duplicate_rule", gettext_lazy("Duplicate rule changed"))


def can_administer(user: Any) -> bool:
    """The rules hold for the whole group: customers "administer" over the whole group."""
    return bool(user.is_authenticated and user.access.widest_scope("customers", "administer") >= DataScope.GROUP)


audit.register_access("customers.duplicaterule", can_administer)

navigation.register(
    navigation.NavItem(
        "settings",
        gettext_lazy("Duplicate rules"),
        "customers:duplicate_rules",
        "sliders",
        order=70,
        visible=can_administer,
    )
)


@dataclass(frozen=True)
class RuleRow:
    target: str
    key: str
    action: str
    is_default: bool  # no row: the default of matching applies


def duplicate_rules_table() -> list[RuleRow]:
    """Every (target, key) that matching uses, with the action in force and whether it is the default."""
    stored = {(r.target, r.key): r.action for r in DuplicateRule.objects.all()}
    rows = []
    for target in DuplicateRule.Target.values:
        for key, default in matching.DEFAULT_ACTIONS[target].items():
            action = stored.get((target, key))
            rows.append(RuleRow(target, key, action or default, action is None))
    return rows


@transaction.atomic
def duplicate_rule_set(*, actor: Any, target: str, key: str, action: str) -> DuplicateRule:
    """Set the action of one (target, key): customers "administer"; audited when it changes."""
    require(actor, "customers", "administer")
    if not can_administer(actor):
        raise PermissionDenied(
            _("The duplicate rules hold for the whole group: only group administrators change them.")
        )
    if target not in matching.DEFAULT_ACTIONS:
        raise ValidationError({"target": _("Choose customers, leads or contacts.")})
    if key not in matching.DEFAULT_ACTIONS[target]:
        raise ValidationError({"key": _("Choose one of the duplicate keys.")})
    if action not in DuplicateAction.values:
        raise ValidationError({"action": _("Choose block, warn or allow.")})
    rule = DuplicateRule.objects.select_for_update().filter(target=target, key=key).first()
    before = rule.action if rule is not None else matching.DEFAULT_ACTIONS[target][key]
    if rule is None:
        rule = DuplicateRule.objects.create(target=target, key=key, action=action)
    elif rule.action != action:
        rule.action = action
        rule.save(update_fields=["action"])
    if before != action:
        audit.record(
            actor=actor,
            obj=rule,
            kind=AuditEntry.Kind.UPDATE,
            verb="duplicate_rule",
            changes={"action": [before, action]},
        )
    return rule
