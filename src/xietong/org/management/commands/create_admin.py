"""``manage.py create_admin --username U [--password P]``: the first administrator of a production install.

A production install has no demo data and therefore nobody who could create users through the
services (they need an acting administrator). This command is that bootstrap: it makes sure
the group row and the built-in roles exist, then creates the user with the ``admin`` role and
Django's staff and superuser flags (for the Django admin). Both writes are in the audit trail
with no actor, as system actions.

The password comes from ``--password``, else ``XIETONG_ADMIN_PASSWORD``, else a prompt when
stdin is a terminal, else it is generated and printed once. Running it again for an existing
user changes nothing except giving them the admin role if they lack it.
"""

from __future__ import annotations

import getpass
import os
import secrets
import sys
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from xietong.core import audit
from xietong.core.models import AuditEntry
from xietong.org import services
from xietong.org.defaults import ADMIN, ensure_default_roles
from xietong.org.models import Group, User, UserRole


class Command(BaseCommand):
    help = "Create an administrator (and the group row and built-in roles if missing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument(
            "--password",
            help="prefer XIETONG_ADMIN_PASSWORD or the prompt: arguments are visible to other users of the machine",
        )
        parser.add_argument("--display-name", default="系统管理员")
        parser.add_argument("--email", default="")

    def handle(
        self, *args: Any, username: str, password: str | None, display_name: str, email: str, **options: Any
    ) -> None:
        username = username.strip()
        if not username:
            raise CommandError("--username must not be blank")
        with transaction.atomic():
            if not Group.objects.exists():
                if settings.XIETONG_GROUP_NAME:
                    Group.objects.create(name=settings.XIETONG_GROUP_NAME)
                else:
                    services.group_get()
            role = ensure_default_roles()[ADMIN]
            user = User.objects.filter(username=username).first()
            if user is not None:
                if UserRole.objects.filter(user=user, role=role, business_unit__isnull=True).exists():
                    self.stdout.write(f"{username} exists and is already an administrator; nothing changed.")
                    return
                self._grant(user, role)
                self.stdout.write(
                    self.style.SUCCESS(
                        f"{username} exists; gave them the administrator role. Their password is unchanged."
                    )
                )
                return
            user = User(
                username=username,
                display_name=display_name.strip() or username,
                email=email.strip(),
                title="系统管理员",
                is_staff=True,
                is_superuser=True,
            )
            initial, generated = self._password(user, password)
            user.set_password(initial)
            try:
                user.full_clean(exclude=["password"])
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
            user.save()
            audit.record_create(actor=None, obj=user, verb="create_admin")
            self._grant(user, role)
        self.stdout.write(self.style.SUCCESS(f"Administrator {username} created."))
        if generated:
            self.stdout.write(f"Password (shown once, change it after logging in): {initial}")

    def _grant(self, user: User, role: Any) -> None:
        UserRole.objects.create(user=user, role=role, business_unit=None)
        audit.record(
            actor=None, obj=user, kind=AuditEntry.Kind.UPDATE, verb="role_assign", changes={"roles": [None, role.name]}
        )

    def _password(self, user: User, given: str | None) -> tuple[str, bool]:
        """The initial password and whether it was generated; checked against the password validators."""
        password = given or os.environ.get("XIETONG_ADMIN_PASSWORD") or ""
        generated = False
        if not password and sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        if not password:
            password, generated = secrets.token_urlsafe(12), True
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        return password, generated
