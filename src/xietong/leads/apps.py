from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "xietong.leads"
    label = "leads"
    verbose_name = _("Leads")

    def ready(self) -> None:
        from . import modules, registrations  # noqa: F401  (registrations only, no I/O)
