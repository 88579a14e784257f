"""Tests: fast hashing, immediate tasks, quiet logs."""

import logging

from .dev import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
logging.getLogger("django.request").setLevel(logging.ERROR)
logging.getLogger("xietong.security").setLevel(logging.ERROR)
