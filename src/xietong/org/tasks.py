from datetime import timedelta

from django.contrib.sessions.models import Session
from django.tasks import task
from django.utils import timezone

from .models import AccessToken


@task
def purge_expired_sessions() -> int:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@task
def purge_dead_tokens() -> int:
    """Tokens revoked or expired more than 90 days ago are removed (their audit entries stay)."""
    cutoff = timezone.now() - timedelta(days=90)
    deleted, _ = AccessToken.objects.filter(revoked_at__lt=cutoff).delete()
    deleted_expired, _ = AccessToken.objects.filter(expires_at__lt=cutoff).delete()
    return deleted + deleted_expired
