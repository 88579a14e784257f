"""Background tasks of the pipeline app."""

from django.tasks import task


@task
def take_forecast_snapshots(force: bool = False) -> int:
    """Periodic (daily): on Mondays — or the first run of a week without one — store the week's
    forecast snapshot of every active sales team (forecast.py). Idempotent: a re-run updates."""
    from django.utils import timezone

    from . import forecast

    today = timezone.localdate()
    if not force and not forecast.snapshot_due(today):
        return 0
    return forecast.forecast_snapshot_take(today=today)
