"""Background tasks of the approval engine."""

from django.tasks import task


@task
def remind_and_escalate() -> dict[str, int]:
    """Periodic (hourly): remind late approvers, escalate later ones. Idempotent."""
    from . import services

    return services.approvals_remind_and_escalate()
