from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollaborationConfig(AppConfig):
    name = "xietong.collaboration"
    label = "collaboration"
    verbose_name = _("Collaboration")

    def ready(self) -> None:
        from xietong.org.models import Team

        from . import kinds, modules, navigation, registry, subscriptions  # noqa: F401  (registrations only, no I/O)

        # Teams are where people of several departments coordinate: the first records with the surface.
        registry.register(Team)
        from . import (
            comments,  # noqa: F401  (comments: mention kinds' subscriber, the record panel)
            tasks_services,  # noqa: F401  (tasks: notification subscribers, the record panel)
            timeline,  # noqa: F401  (the record timeline: built-in sources, the record panel)
        )
