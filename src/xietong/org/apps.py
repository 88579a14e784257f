from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "xietong.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from . import audit_labels, modules, navigation, scheduled  # noqa: F401  (registrations only, no I/O)
