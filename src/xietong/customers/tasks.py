"""Background jobs of the customers app (Django tasks; registered as periodic jobs in pools.py)."""

from django.tasks import task


@task
def recycle_pools() -> int:
    """Hourly: return idle customers to their public pools (pools.pool_recycle). Day-granular, so the
    first run after midnight does the night's work and later runs that day change nothing."""
    from . import pools

    return pools.pool_recycle()


@task
def send_recycle_reminders() -> int:
    """Hourly: tell owners which customers will soon go back to a pool (pools.recycle_reminders)."""
    from . import pools

    return pools.recycle_reminders()
