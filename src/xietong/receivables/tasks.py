from django.tasks import task

from . import services


@task
def remind_overdue_installments() -> int:
    """The daily job: owners hear once of each installment that has become overdue (retry-safe)."""
    return services.overdue_remind()
