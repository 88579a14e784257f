"""Approvers see the documents they are asked to decide on, while they are asked and after
(design/data-visibility.md): a rule added to the visibility policy of every registered document
type's model when the type is registered (``registry.register``)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from xietong.core.visibility import Access, Rule

_hooked: set[str] = set()


def approver_rule(model: type[models.Model]) -> Any:
    def provider(access: Access, action: str) -> list[Rule]:
        if action != "view" or not access.user_id:
            return []
        from django.contrib.contenttypes.models import ContentType

        from .models import ApprovalTask

        content_type = ContentType.objects.get_for_model(model)
        asked = ApprovalTask.objects.filter(
            approver_id=access.user_id,
            request__content_type_id=content_type.pk,
            request__document_id__isnull=False,
        ).values("request__document_id")
        return [Rule(_("You are asked to approve it, or were"), Q(pk__in=asked))]

    return provider


def hook(model: type[models.Model]) -> None:
    """Add the approvers' rule to ``model``'s policy, once."""
    label = model._meta.label_lower
    if label in _hooked:
        return
    queryset_class = type(model._default_manager.all())
    policy_of = getattr(queryset_class, "policy", None)
    if policy_of is None:
        return
    policy_of(model).add_rule_provider(approver_rule(model))
    _hooked.add(label)
