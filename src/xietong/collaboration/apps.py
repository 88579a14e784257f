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
            attachments,  # noqa: F401  (files: the record panel, the timeline source "file", a system check)
            calendar,  # noqa: F401  (the calendar: the tasks source)
            comments,  # noqa: F401  (comments: mention kinds' subscriber, the record panel)
            demo,  # noqa: F401  (the demo group's collaboration: a step of demo_data)
            feeds,  # noqa: F401  (feeds: the built-in sources)
            myday,  # noqa: F401  (My day: the built-in sections)
            scheduled,  # noqa: F401  (periodic jobs: task reminders, e-mail digests)
            tasks_services,  # noqa: F401  (tasks: notification subscribers, the record panel)
            timeline,  # noqa: F401  (the record timeline: built-in sources, the record panel)
        )
