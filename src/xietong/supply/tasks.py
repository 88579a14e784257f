"""Background tasks of S&OP."""

from django.tasks import task


@task
def check_promises() -> int:
    """Periodic (daily): committed opportunities and open orders beyond available-to-promise; their
    owners and the products' planners are told once of each (opportunity or order × product × month),
    however many days it stays beyond. Answers how many were found."""
    from django.db import transaction
    from django.utils import timezone

    from . import atp

    with transaction.atomic():
        found = atp.check_commitments(first_month=timezone.localdate().replace(day=1), event="daily")
        late = atp.check_orders(event="daily")
    return len(found) + len(late)
