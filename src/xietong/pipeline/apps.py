from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PipelineConfig(AppConfig):
    name = "xietong.pipeline"
    label = "pipeline"
    verbose_name = _("Pipeline")

    def ready(self) -> None:
        # registrations only, no I/O
        from . import demo, forecast_registrations, gates, modules, process_registrations, registrations  # noqa: F401
