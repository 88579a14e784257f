from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "xietong.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import audit_labels, modules, navigation, scheduled, search  # noqa: F401  (registrations only, no I/O)

        # Like Django's own permissions: after every migrate the built-in roles exist and hold the
        # defaults of every installed module (idempotent; what administrators changed stays).
        post_migrate.connect(_ensure_default_roles, sender=self)


def _ensure_default_roles(sender: AppConfig, using: str = "default", **kwargs: object) -> None:
    from .defaults import ensure_default_roles

    if using == "default":
        ensure_default_roles()
