"""System checks that keep the house rules: every business queryset has a visibility entry point."""

from typing import Any

from django.apps import apps
from django.core import checks

# Models that are not business data (configuration, join tables, the audit trail itself).
NOT_BUSINESS = {
    "org.group",
    "org.teammembership",
    "org.role",
    "org.rolepermission",
    "org.userrole",
    "org.accesstoken",
    "core.auditentry",
    "core.recordshare",
}


@checks.register()
def check_visibility_entry_points(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from .visibility import VisibleQuerySet

    errors: list[checks.CheckMessage] = []
    for model in apps.get_models():
        if not model.__module__.startswith("xietong."):
            continue
        label = model._meta.label_lower
        if label in NOT_BUSINESS or getattr(model, "not_business_data", False):
            continue
        if not isinstance(model._default_manager.all(), VisibleQuerySet):
            errors.append(
                checks.Error(
                    f"{label} has no visible_to() entry point",
                    hint="Give its default manager a VisibleQuerySet, or list it as not business data.",
                    obj=model,
                    id="xietong.E001",
                )
            )
    return errors
