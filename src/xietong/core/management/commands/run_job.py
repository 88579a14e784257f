from typing import Any

from django.core.management.base import BaseCommand, CommandError

from xietong.core import scheduling


class Command(BaseCommand):
    help = "Enqueue one periodic job now (for cron instead of run_scheduler). --list shows the jobs."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", nargs="?")
        parser.add_argument("--list", action="store_true")

    def handle(self, *args: Any, name: str | None = None, list: bool = False, **options: Any) -> None:
        if list or not name:
            for job in scheduling.jobs():
                self.stdout.write(f"{job.name}\tevery {job.every}\t{job.description}")
            return
        try:
            job = scheduling.get(name)
        except KeyError:
            raise CommandError(f"no periodic job named {name!r}; see run_job --list") from None
        result = job.enqueue()
        self.stdout.write(f"enqueued {job.name} ({result.id})")
