from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "xietong.orders"
    label = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        # registrations only, no I/O
        from . import demo, modules, registrations  # noqa: F401
