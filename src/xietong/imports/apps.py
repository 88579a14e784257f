from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    """Imports and exports use the permissions of the module they read or write (leads, customers)."""

    name = "xietong.imports"
    label = "imports"
    verbose_name = _("Imports and exports")

    def ready(self) -> None:
        from xietong.core import components

        from . import audit_labels, navigation  # noqa: F401

        components.register_record_action("imports/partials/price_book_action.html")
