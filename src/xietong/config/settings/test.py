"""Tests: fast hashing, immediate tasks, quiet logs."""

from .dev import *  # noqa: F403
from .dev import LOGGING

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
