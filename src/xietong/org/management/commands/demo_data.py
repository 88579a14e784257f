"""``manage.py demo_data``: load the demo group (华信集团), optionally at a benchmark scale.

Safe on every start: when the data is there it says so and returns after a few queries.
The work is in ``xietong.org.demo``.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xietong.org import demo
from xietong.org.models import BusinessUnit, Team, User


class Command(BaseCommand):
    help = "Load the demo group with its business units, teams, users and roles (idempotent)."
    # Runs on every start right after ``migrate``, which has just run the system checks: running
    # them again would double this command's time when there is nothing to load.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            choices=list(demo.SCALES),
            default="demo",
            help="demo: the 46 people of the demo group; smoke, 100k, 1M: that many more "
            "users (500, 100 000, 1 000 000) in more teams, for benchmarks",
        )
        parser.add_argument(
            "--extra-users",
            type=int,
            default=None,
            metavar="N",
            help="add exactly N users beyond the demo group (overrides the scale's number)",
        )
        parser.add_argument(
            "--force", action="store_true", help="look every record up even if an earlier load covers the request"
        )
        parser.add_argument("--no-logins", action="store_true", help="do not print the demo logins")

    def handle(
        self, *args: Any, scale: str, extra_users: int | None, force: bool, no_logins: bool, **options: Any
    ) -> None:
        if extra_users is not None and extra_users < 0:
            raise CommandError("--extra-users must be 0 or more")
        result = demo.load_demo_data(
            scale=scale,
            extra_users=extra_users,
            force=force,
            progress=self._progress if options["verbosity"] >= 1 else None,
        )
        if result.skipped:
            self.stdout.write(
                f"Demo data already loaded (it covers {result.extra_users:,} extra users): nothing to do "
                f"({result.seconds * 1000:.0f} ms)."
            )
        elif result.created_rows:
            created = ", ".join(f"{count:,} {name}" for name, count in sorted(result.created.items()))
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {result.seconds:.1f} s: created {created}."))
            self.stdout.write(
                f"Now {BusinessUnit.objects.count():,} business units, {Team.objects.count():,} teams, "
                f"{User.objects.count():,} users."
            )
        else:
            self.stdout.write(f"Demo data checked record by record in {result.seconds:.1f} s: nothing was missing.")
        if not no_logins:
            self._print_logins()

    def _progress(self, what: str, done: int, total: int) -> None:
        if total >= 10 * demo.USER_BATCH:
            sys.stderr.write(f"\r  {what}: {done:,}/{total:,}")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()

    def _print_logins(self) -> None:
        logins = demo.demo_logins()
        self.stdout.write("")
        self.stdout.write("Demo logins (username / password / role / name / business unit / title):")
        width = max(len(login.username) for login in logins)
        for login in logins:
            self.stdout.write(
                f"  {login.username:<{width}}  {login.password:<10}  {login.role}  "
                f"{login.display_name}  {login.business_unit}  {login.title}"
            )
