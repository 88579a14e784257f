"""Background tasks of orders."""

from django.tasks import task


@task
def notify_late_orders() -> int:
    """Periodic (daily): tell the owner (and the operations team's managers) once of each open order
    not fully shipped by its promised date. Idempotent: a re-run notifies nobody twice."""
    from . import services

    return services.orders_notify_late()
