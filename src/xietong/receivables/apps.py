from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceivablesConfig(AppConfig):
    name = "xietong.receivables"
    label = "receivables"
    verbose_name = _("Receivables")

    def ready(self) -> None:
        # registrations only, no I/O
        from . import demo, modules, registrations  # noqa: F401
