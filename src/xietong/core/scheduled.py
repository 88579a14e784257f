from datetime import timedelta

from . import scheduling, tasks

scheduling.register(
    "purge-idempotency-keys",
    tasks.purge_idempotency_keys,
    every=timedelta(hours=24),
    description="forget the answers to retried API creates after their retry window",
)
