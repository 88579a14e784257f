import logging
import signal
import threading
import time
from typing import Any

from django.core.cache import cache
from django.core.management.base import BaseCommand
from django.utils import timezone

from xietong.core import scheduling

log = logging.getLogger("xietong.scheduler")


class Command(BaseCommand):
    help = "Enqueue the registered periodic jobs when they are due (run exactly one scheduler)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="enqueue every due job once and exit")
        parser.add_argument("--tick", type=float, default=30.0, help="seconds between checks")

    def handle(self, *args: Any, once: bool = False, tick: float = 30.0, **options: Any) -> None:
        stopping = threading.Event()

        def stop(*_: Any) -> None:
            stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        last_run: dict[str, float] = {}
        self.stdout.write(f"scheduler: {len(scheduling.jobs())} jobs")
        while not stopping.is_set():
            now = time.monotonic()
            for job in scheduling.jobs():
                if job.name in last_run and now - last_run[job.name] < job.every.total_seconds():
                    continue
                last_run[job.name] = now
                # With a shared cache (Redis) a restarted or second scheduler does not enqueue twice per period.
                key = f"xietong:scheduler:{job.name}"
                if not cache.add(key, timezone.now().isoformat(), timeout=int(job.every.total_seconds())):
                    continue
                try:
                    result = job.enqueue()
                except Exception:  # the queue is down: try again at the next tick, not a period later
                    cache.delete(key)
                    del last_run[job.name]
                    log.exception("could not enqueue %s", job.name)
                    continue
                self.stdout.write(f"{timezone.now():%Y-%m-%d %H:%M:%S} enqueued {job.name} ({result.id})")
            if once:
                break
            stopping.wait(tick)  # wakes at once on SIGTERM / SIGINT
