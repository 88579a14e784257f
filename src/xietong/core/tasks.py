"""Background tasks of the core app."""

from django.tasks import task

from . import idempotency


@task
def purge_idempotency_keys() -> int:
    """Forget the answers to retried creates once they are older than a retry can be."""
    return idempotency.purge_expired()
