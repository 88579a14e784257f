"""Periodic jobs: apps register them here; ``manage.py run_scheduler`` enqueues each when due.

The scheduler only *enqueues* tasks through Django's tasks framework, so the work runs in the
workers and one scheduler process is enough for any number of workers. Cron can replace the
scheduler: ``manage.py run_job NAME`` enqueues one job once (docs/deployment.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

_jobs: dict[str, PeriodicJob] = {}


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: Any  # a django.tasks Task
    every: timedelta
    description: str = ""

    def enqueue(self) -> Any:
        return self.task.enqueue()


def register(name: str, task: Any, *, every: timedelta, description: str = "") -> PeriodicJob:
    job = PeriodicJob(name=name, task=task, every=every, description=description)
    _jobs[name] = job
    return job


def jobs() -> list[PeriodicJob]:
    return sorted(_jobs.values(), key=lambda j: j.name)


def get(name: str) -> PeriodicJob:
    return _jobs[name]
