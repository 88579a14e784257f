"""Settings shared by every environment; everything that differs comes from environment variables.

See docs/deployment.md for the list of variables.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.csp import CSP

PACKAGE_DIR = Path(__file__).resolve().parents[2]  # src/xietong
BASE_DIR = Path(os.environ.get("XIETONG_HOME", PACKAGE_DIR.parents[1]))  # the checkout
VAR_DIR = Path(os.environ.get("XIETONG_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "axes",
    "django_tasks_db",
    "xietong.core",
    "xietong.org",
    "xietong.collaboration",
    "xietong.customers",
    "xietong.leads",
    "xietong.catalog",
    "xietong.pipeline",
    "xietong.approvals",
    "xietong.quotes",
    "xietong.contracts",
    "xietong.receivables",
    "xietong.orders",
    "xietong.supply",
    "xietong.imports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "xietong.core.middleware.RequestIdMiddleware",
    "xietong.core.middleware.EmptyApiBodyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "xietong.core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "xietong.config.urls"
WSGI_APPLICATION = "xietong.config.wsgi.application"
ASGI_APPLICATION = "xietong.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "xietong.core.context_processors.shell",
            ],
            "builtins": ["django.templatetags.i18n", "django.templatetags.static"],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'xietong.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")))}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # PostgreSQL's JIT compiles a plan whose estimated cost passes a threshold: tens of milliseconds
    # spent on a statement that runs in a few (a board at 1M: 47 ms of JIT for 20 ms of work).
    # docs/deployment.md says how to keep it with a pooler that refuses startup options.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", os.environ.get("PG_OPTIONS", "-c jit=off"))
# the covering indexes (INCLUDE) are PostgreSQL's; SQLite builds them on their key columns, as intended
SILENCED_SYSTEM_CHECKS = ["models.W040"] if DATABASES["default"]["ENGINE"].endswith("sqlite3") else []
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend with exact decimal sums (core/db/sqlite3/base.py)
    DATABASES["default"]["ENGINE"] = "xietong.core.db.sqlite3"
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at BEGIN so
        # two writers queue on the busy timeout instead of failing half-way with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, queues and background tasks -----------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database")  # database | rq | immediate
if TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0"}}
    RQ = {"JOB_CLASS": "django_tasks_rq.Job"}  # `manage.py rqworker default` then runs Django tasks
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Collaboration --------------------------------------------------------------------------
COMMENT_EDIT_MINUTES = int(os.environ.get("COMMENT_EDIT_MINUTES", "15"))  # authors may edit a comment this long
# where people reach the site: absolute links in e-mails and calendar files, and the calendar's UID host
XIETONG_BASE_URL = os.environ.get("XIETONG_BASE_URL", "http://localhost:8000").rstrip("/")
XIETONG_DIGEST_HOUR = int(os.environ.get("XIETONG_DIGEST_HOUR", "8"))  # local hour of the daily e-mail digest

# --- E-mail (notifications: collaboration/emails.py), as Django 6.1's MAILERS ----------------
# XIETONG_EMAIL_BACKEND: smtp, console (prints mails to the log), locmem, dummy (drops them) or a dotted
# path; default: smtp when XIETONG_EMAIL_HOST is set, else console here (production: a local MTA).
_EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}


def mailers_from_env(default_backend: str) -> dict[str, dict[str, object]]:
    host = os.environ.get("XIETONG_EMAIL_HOST", "")
    backend = os.environ.get("XIETONG_EMAIL_BACKEND", "smtp" if host else default_backend)
    mailer: dict[str, object] = {"BACKEND": _EMAIL_BACKENDS.get(backend, backend)}
    if backend == "smtp":
        use_ssl = env_bool("XIETONG_EMAIL_USE_SSL", False)  # implicit TLS (port 465)
        local = not host  # no host: the machine's own mail server (postfix, exim) on port 25
        mailer["OPTIONS"] = {
            "host": host or "localhost",
            "port": int(os.environ.get("XIETONG_EMAIL_PORT", "465" if use_ssl else "25" if local else "587")),
            "username": os.environ.get("XIETONG_EMAIL_USER", ""),
            "password": os.environ.get("XIETONG_EMAIL_PASSWORD", ""),
            "use_ssl": use_ssl,
            "use_tls": env_bool("XIETONG_EMAIL_USE_TLS", not use_ssl and not local),  # STARTTLS (port 587)
            "timeout": int(os.environ.get("XIETONG_EMAIL_TIMEOUT", "20")),  # a silent server does not hold a worker
        }
    return {"default": mailer}


MAILERS = mailers_from_env("console")
DEFAULT_FROM_EMAIL = os.environ.get("XIETONG_DEFAULT_FROM_EMAIL", "XieTong <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Accounts and security ------------------------------------------------------------------
AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind N reverse proxies (each appending to X-Forwarded-For), failures count per client address.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "xietong.core.middleware.client_ip"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["xietong.config.formats"]

# --- Static files: our own plus the npm packages, served by WhiteNoise --------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    PACKAGE_DIR / "static",
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/sortablejs", NODE_MODULES / "sortablejs"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ("vendor/tom-select", NODE_MODULES / "tom-select" / "dist"),
]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

# --- Imports (docs/deployment.md "Imports, exports and web forms") ----------------------------
# Uploaded import files, error reports and export files: private, served only to their owner by
# views. With several app servers this must be a shared volume.
IMPORTS_ROOT = Path(os.environ.get("XIETONG_IMPORTS_ROOT") or MEDIA_ROOT / "imports")
IMPORT_MAX_BYTES = int(float(os.environ.get("XIETONG_IMPORT_MAX_MB", "500")) * 1024 * 1024)

# --- Attachments (docs/subsystems/attachments.md) --------------------------------------------
# Files on records and comments: never under MEDIA_URL; they are served only by views that check
# the record's visibility. The local directory by default, any S3-compatible store when a bucket is set.
ATTACHMENT_MAX_BYTES = int(float(os.environ.get("XIETONG_ATTACHMENT_MAX_MB", "50")) * 1024 * 1024)
# file name extensions accepted; each one's content is checked (collaboration/attachments.py: KNOWN_TYPES)
ATTACHMENT_ALLOWED_TYPES = env_list(
    "XIETONG_ATTACHMENT_TYPES",
    "pdf,doc,docx,xls,xlsx,ppt,pptx,wps,et,dps,odt,ods,odp,txt,csv,md,png,jpg,jpeg,gif,webp,zip,7z,rar,dwg",
)
ATTACHMENTS_S3_BUCKET = os.environ.get("XIETONG_ATTACHMENTS_S3_BUCKET", "")
if ATTACHMENTS_S3_BUCKET:
    STORAGES["attachments"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ATTACHMENTS_S3_BUCKET,
            "endpoint_url": os.environ.get("XIETONG_ATTACHMENTS_S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("XIETONG_ATTACHMENTS_S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("XIETONG_ATTACHMENTS_S3_SECRET_KEY") or None,
            "region_name": os.environ.get("XIETONG_ATTACHMENTS_S3_REGION") or None,
            "addressing_style": os.environ.get("XIETONG_ATTACHMENTS_S3_ADDRESSING_STYLE") or None,
            "location": os.environ.get("XIETONG_ATTACHMENTS_S3_PREFIX", "attachments"),
            "signature_version": "s3v4",
            "default_acl": None,  # the bucket's own (private) policy; objects are never public
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    STORAGES["attachments"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": VAR_DIR / "attachments",
            "file_permissions_mode": 0o640,
            "directory_permissions_mode": 0o750,
        },
    }

# --- Logging: one line per event, request id included -------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "xietong.core.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

XIETONG_GROUP_NAME = os.environ.get("XIETONG_GROUP_NAME", "")
