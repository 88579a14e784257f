from django.tasks import task


@task
def process_lead_timeouts() -> int:
    """Periodic: remind owners of leads not contacted in time, then reassign or return them (timeouts.py)."""
    from . import timeouts

    return timeouts.process()
