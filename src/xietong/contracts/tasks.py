"""Background tasks of the contracts app."""

from django.tasks import task


@task
def contracts_daily() -> dict[str, int]:
    """Periodic (daily): signed contracts whose start has come become active, those past their end
    expire, owners hear of contracts within their renewal notice (once). Idempotent."""
    from . import services

    return services.contracts_daily()
