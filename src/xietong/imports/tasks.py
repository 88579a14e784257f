"""Background tasks of imports and exports: they receive ids and are retry-safe (see services)."""

from django.tasks import task

from . import services


@task
def run_import_job(*, job_id: int) -> None:
    services.run_import(job_id)


@task
def run_export_job(*, job_id: int) -> None:
    services.run_export(job_id)
