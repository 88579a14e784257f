from datetime import timedelta

from xietong.core import scheduling

from . import tasks

scheduling.register(
    "purge-expired-sessions",
    tasks.purge_expired_sessions,
    every=timedelta(hours=24),
    description="delete expired login sessions",
)
scheduling.register(
    "purge-dead-tokens",
    tasks.purge_dead_tokens,
    every=timedelta(hours=24),
    description="delete access tokens revoked or expired over 90 days ago",
)
