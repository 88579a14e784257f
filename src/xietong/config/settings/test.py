"""Tests: fast hashing, immediate tasks, quiet logs."""

from .dev import *  # noqa: F403
from .dev import LOGGING

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
LOGGING = {
    **LOGGING,
    "loggers": {
        **LOGGING["loggers"],  # type: ignore[dict-item]
        "django.request": {"level": "ERROR"},
        "xietong.security": {"level": "ERROR"},
    },
}
