from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuotesConfig(AppConfig):
    name = "xietong.quotes"
    label = "quotes"
    verbose_name = _("Quotes")

    def ready(self) -> None:
        # registrations only, no I/O
        from . import demo, modules, registrations  # noqa: F401
