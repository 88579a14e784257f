"""A test-only app: one business model that declares the collaboration surface and nothing else.

It proves the issue's "a new model gets the whole surface by declaring it": comments, tasks, files,
followers (its owner follows automatically), the timeline, notifications and shares, without a
line of collaboration code of its own. Installed by the test settings only (its migration is
made with ``DJANGO_SETTINGS_MODULE=xietong.config.settings.test manage.py makemigrations sampleapp``).
"""

from django.apps import AppConfig


class SampleAppConfig(AppConfig):
    name = "tests.sampleapp"
    label = "sampleapp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from xietong.collaboration import registry
        from xietong.core import modules
        from xietong.core.components import register_record_url

        from .models import Deal

        modules.register("sample", "样例商机", actions=("view", "create", "edit", "delete"), order=9000)
        registry.register(Deal, owner_field="owner")
        register_record_url("sampleapp.deal", "sample_deal")
