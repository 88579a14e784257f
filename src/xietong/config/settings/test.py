"""Tests: fast hashing, immediate tasks, quiet logs."""

import hashlib
import os
import tempfile
from pathlib import Path

from .dev import *  # noqa: F403
from .dev import BASE_DIR, DATABASES, LOGGING, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
XIETONG_BASE_URL = "https://xietong.example.com"
XIETONG_DIGEST_HOUR = 8
LOGGING = {
    **LOGGING,
    "loggers": {
        **LOGGING["loggers"],  # type: ignore[dict-item]
        "django.request": {"level": "ERROR"},
        "xietong.security": {"level": "ERROR"},
    },
}

# a test-only business model that declares the collaboration surface (tests/sampleapp)
INSTALLED_APPS = [*INSTALLED_APPS, "tests.sampleapp"]  # noqa: F405
ROOT_URLCONF = "tests.sampleapp.urls"

# The suite runs in parallel processes (pytest-xdist): each keeps its uploads apart.
MEDIA_ROOT = VAR_DIR / "test-media" / os.environ.get("PYTEST_XDIST_WORKER", "main")
IMPORTS_ROOT = MEDIA_ROOT / "imports"

# SQLite: the test database is a file (in memory under /dev/shm where there is one), never
# ":memory:". With an in-memory database the live server's request threads and the test itself
# share one connection, and two of them using it at once fail or mix results (a browser journey's
# lazy panels failed with sqlite3.InterfaceError and the journey lost its session). A file gives
# each thread its own connection. The file belongs to this checkout and this process (pytest-django
# adds the xdist worker's suffix), so two runs never share one; it is created fresh and removed at
# the end of the run, and files left by runs that were killed are removed by the next one.


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _test_database_name() -> str:
    shm = Path("/dev/shm")  # noqa: S108 (a test database named for this checkout and process)
    scratch = shm if shm.is_dir() else Path(tempfile.gettempdir())
    prefix = f"xietong-test-{hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:10]}-"
    for left in scratch.glob(f"{prefix}*"):
        pid = left.name.removeprefix(prefix).split(".")[0]
        if pid.isdigit() and not _alive(int(pid)):
            left.unlink(missing_ok=True)
    return str(scratch / f"{prefix}{os.getpid()}.sqlite3")


if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": _test_database_name()}
