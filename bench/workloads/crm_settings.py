"""The settings of B2's gunicorn: the run's settings (``BENCH_BASE_SETTINGS``) serving ``bench.urls``
(the app plus the bare reference views), with DEBUG off. Not a workload: imported only by that server."""

import importlib
import os

_base = importlib.import_module(os.environ.get("BENCH_BASE_SETTINGS", "xietong.config.settings.dev"))
globals().update({name: value for name, value in vars(_base).items() if name.isupper()})

ROOT_URLCONF = "bench.urls"
DEBUG = False
ALLOWED_HOSTS = [*vars(_base).get("ALLOWED_HOSTS", []), "127.0.0.1", "localhost"]
