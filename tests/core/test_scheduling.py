"""Periodic jobs: the scheduler enqueues each registered job when due; cron can use run_job."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone

from xietong.core import scheduling

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_the_registered_jobs():
    assert [(job.name, job.every) for job in scheduling.jobs()] == [
        ("approvals-remind-escalate", datetime.timedelta(hours=1)),
        ("contracts-daily", datetime.timedelta(days=1)),
        ("forecast-snapshots", datetime.timedelta(days=1)),
        ("lead-timeouts", datetime.timedelta(minutes=15)),
        ("orders-late", datetime.timedelta(days=1)),
        ("pool-recycle", datetime.timedelta(hours=1)),
        ("pool-recycle-reminders", datetime.timedelta(hours=1)),
        ("purge-dead-tokens", datetime.timedelta(days=1)),
        ("purge-expired-sessions", datetime.timedelta(days=1)),
        ("purge-idempotency-keys", datetime.timedelta(days=1)),
        ("receivables-overdue", datetime.timedelta(days=1)),
        ("send-email-digests", datetime.timedelta(hours=1)),
        ("send-task-reminders", datetime.timedelta(minutes=1)),
        ("supply-promises", datetime.timedelta(days=1)),
    ]


def test_scheduler_once_enqueues_every_due_job_and_they_run():
    expired = SessionStore()
    expired.set_expiry(timezone.now() - datetime.timedelta(days=1))
    expired.save()
    fresh = SessionStore()
    fresh.save()
    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert out.getvalue().count("enqueued") == 14
    assert list(Session.objects.values_list("session_key", flat=True)) == [fresh.session_key]


def test_a_second_scheduler_within_the_period_enqueues_nothing():
    call_command("run_scheduler", "--once", stdout=StringIO())
    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert "enqueued" not in out.getvalue()


def test_run_job_enqueues_one_job_and_lists_them():
    out = StringIO()
    call_command("run_job", "purge-expired-sessions", stdout=out)
    assert out.getvalue().startswith("enqueued purge-expired-sessions")
    listing = StringIO()
    call_command("run_job", "--list", stdout=listing)
    assert [line.split("\t")[0] for line in listing.getvalue().splitlines()] == [
        "approvals-remind-escalate",
        "contracts-daily",
        "forecast-snapshots",
        "lead-timeouts",
        "orders-late",
        "pool-recycle",
        "pool-recycle-reminders",
        "purge-dead-tokens",
        "purge-expired-sessions",
        "purge-idempotency-keys",
        "receivables-overdue",
        "send-email-digests",
        "send-task-reminders",
        "supply-promises",
    ]
    with pytest.raises(CommandError, match="no periodic job named 'nope'"):
        call_command("run_job", "nope")
