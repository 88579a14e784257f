from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "xietong.contracts"
    label = "contracts"
    verbose_name = _("Contracts")

    def ready(self) -> None:
        # registrations only, no I/O
        from . import demo, modules, registrations  # noqa: F401
