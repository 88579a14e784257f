"""Tests: fast hashing, immediate tasks, no throttling surprises between tests."""

from .dev import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
AXES_ENABLED = True
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
