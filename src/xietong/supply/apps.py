from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupplyConfig(AppConfig):
    name = "xietong.supply"
    label = "supply"
    verbose_name = _("Sales and operations planning")

    def ready(self) -> None:
        # registrations only, no I/O
        from . import demo, modules, registrations  # noqa: F401
