from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "xietong.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        # registrations only, no I/O: the module and its default grants; the customer and contact
        # pages' collaboration surface, timeline source, My day sections, navigation and search
        # (registrations); public pools' jobs and sections (pools); the duplicate scan (duplicates);
        # the duplicate rules' settings page entry and audit verb (duplicate_rules)
        from . import duplicate_rules, duplicates, modules, pools, registrations  # noqa: F401
