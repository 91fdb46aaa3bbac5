"""copperhub settings: one module, driven by environment variables.

Defaults give the embedded set-up (SQLite in WAL mode under ``var/``, django-q2 on the ORM broker), so one
machine needs no servers. ``DATABASE_URL`` switches to PostgreSQL, ``REDIS_URL`` switches the task broker to
Redis. ``DJANGO_ENV=production`` turns on every deployment safeguard and requires ``DJANGO_SECRET_KEY``.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("COPPERHUB_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

PRODUCTION = os.environ.get("DJANGO_ENV", "development") == "production"
DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
# Links in alert emails and webhooks point here.
SITE_URL = os.environ.get("COPPERHUB_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "simple_history",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "customers",
    "syncs",
    "integrity",
    "commissions",
    "copperhub.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the request's user on every history row written during a request.
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "copperhub.urls"
WSGI_APPLICATION = "copperhub.wsgi.application"
ASGI_APPLICATION = "copperhub.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": Path(os.environ.get("SQLITE_PATH", VAR_DIR / "copperhub.sqlite3")),
            "OPTIONS": {
                # WAL lets the admin read progress while a worker writes; IMMEDIATE takes the write lock at
                # BEGIN so two writers queue on the busy timeout instead of failing a lock upgrade.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
            "TEST": {"NAME": os.environ.get("SQLITE_TEST_PATH") or None},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Task queue (django-q2) -----------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
Q_TIMEOUT = env_int("Q_TIMEOUT", 3600)
Q_CLUSTER = {
    "name": "copperhub",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": Q_TIMEOUT,
    # retry must exceed timeout, or the broker hands a still-running task to a second worker.
    "retry": Q_TIMEOUT + 300,
    # A failed sync is resumed by a person (or the next run), never re-run blindly by the broker.
    "max_attempts": 1,
    "ack_failures": True,
    "save_limit": 500,
    "catch_up": False,
    "sync": env_bool("Q_SYNC", False),
    "orm": "default",
}
if REDIS_URL:
    del Q_CLUSTER["orm"]
    Q_CLUSTER["redis"] = REDIS_URL

# --- Auth, i18n, static ---------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
LOGIN_URL = "admin:login"

# --- Security (all on in production; `manage.py check --deploy` stays silent) ---------------------------
SECURE_SSL_REDIRECT = PRODUCTION
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_HSTS_SECONDS = 31_536_000 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
X_FRAME_OPTIONS = "DENY"

# --- Email (alerts) ---------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "copperhub@localhost")
EMAIL_TIMEOUT = 10

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- REST API ---------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "copperhub API",
    "DESCRIPTION": "Read-mostly API over Copper/Fishbowl mirrors, syncs, change sets, integrity and commissions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- Sync runs (progress) ---------------------------------------------------------------------------------
# Per-record log entries kept per run; beyond this only the count grows.
SYNC_RUN_LOG_LIMIT = env_int("SYNC_RUN_LOG_LIMIT", 1000)
# A running run whose progress has not moved for this long is treated as dead (its worker was killed).
SYNC_RUN_STALE_AFTER_SECONDS = env_int("SYNC_RUN_STALE_AFTER_SECONDS", Q_TIMEOUT + 300)

# --- Fishbowl ---------------------------------------------------------------------------------------------
FISHBOWL_URL = os.environ.get("FISHBOWL_URL", "")
FISHBOWL_USERNAME = os.environ.get("FISHBOWL_USERNAME", "")
FISHBOWL_PASSWORD = os.environ.get("FISHBOWL_PASSWORD", "")
FISHBOWL_APP_ID = os.environ.get("FISHBOWL_APP_ID", "")
FISHBOWL_TIMEOUT_SECONDS = env_float("FISHBOWL_TIMEOUT_SECONDS", 30.0)

# --- Copper -----------------------------------------------------------------------------------------------
COPPER_API_KEY = os.environ.get("COPPER_API_KEY", "")
COPPER_USER_EMAIL = os.environ.get("COPPER_USER_EMAIL", "")
COPPER_BASE_URL = os.environ.get("COPPER_BASE_URL", "https://api.copper.com/developer_api/v1").rstrip("/")
COPPER_RATE_LIMIT_PER_MINUTE = env_float("COPPER_RATE_LIMIT_PER_MINUTE", 180)
COPPER_TIMEOUT_SECONDS = env_float("COPPER_TIMEOUT_SECONDS", 30.0)
COPPER_MAX_RETRIES = env_int("COPPER_MAX_RETRIES", 5)
# Custom-field names (resolved to definition ids at run time; ids differ per Copper account).
COPPER_FIELD_ACCOUNT_ORDER_ID = os.environ.get("COPPER_FIELD_ACCOUNT_ORDER_ID", "Account Order ID")
COPPER_FIELD_ACTIVE_CUSTOMER = os.environ.get("COPPER_FIELD_ACTIVE_CUSTOMER", "Active Customer")
COPPER_FIELD_ACCOUNT_TYPE = os.environ.get("COPPER_FIELD_ACCOUNT_TYPE", "Account Type")
COPPER_FIELD_REGION = os.environ.get("COPPER_FIELD_REGION", "Region")
COPPER_FIELD_SALES_PERSON = os.environ.get("COPPER_FIELD_SALES_PERSON", "Fishbowl Assigned Sales Person")

# --- Customer sync ----------------------------------------------------------------------------------------
# Run the customer sync automatically after every successful Copper pull.
CUSTOMER_SYNC_AFTER_PULL = env_bool("CUSTOMER_SYNC_AFTER_PULL", True)

# --- Metrics push -----------------------------------------------------------------------------------------

# --- Integrity --------------------------------------------------------------------------------------------

# --- Commissions ------------------------------------------------------------------------------------------
