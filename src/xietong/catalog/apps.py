from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "xietong.catalog"
    label = "catalog"
    verbose_name = _("Product catalogue")

    def ready(self) -> None:
        from . import demo, modules, registrations  # noqa: F401  (registrations only, no I/O)
