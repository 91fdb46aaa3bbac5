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
if PRODUCTION and DEBUG:
    # DEBUG pages show settings, SQL and stack traces to anyone who triggers an error.
    raise ImproperlyConfigured("DJANGO_DEBUG must be off when DJANGO_ENV=production (unset it or set it to 0).")

DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
if PRODUCTION and (SECRET_KEY == DEVELOPMENT_SECRET_KEY or SECRET_KEY.startswith("django-insecure")):
    # The development key is public (it is in this file): sessions signed with it can be forged.
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is the public development key; set a long random key for DJANGO_ENV=production."
    )

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
    "django_filters",
    "drf_spectacular",
    # Swagger UI's files, served from static: the API docs load nothing from a CDN.
    "drf_spectacular_sidecar",
    # Floors, bottom up: each app imports only the ones listed before it.
    "syncs",
    "copper",
    "customers",
    "metrics",
    "integrity",
    "commissions",
    "copperhub.api",
    "copperhub",
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
            # Tests use a file too, never the in-memory default: threads sharing one in-memory connection (the
            # live server, a background worker) deadlock when one holds SQLite's mutex inside a Python SQL
            # function of Django's while another holds the GIL waiting for that mutex. A file gives every
            # thread its own connection, with WAL and the busy timeout, as in production.
            "TEST": {"NAME": Path(os.environ.get("SQLITE_TEST_PATH", VAR_DIR / "test-copperhub.sqlite3"))},
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
        "copperhub.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "copperhub.api.authentication.ReadOnlyTokenCannotWrite",
        "copperhub.api.authentication.HasRequiredPermission",
        "copperhub.api.authentication.HasReadPermission",
        # Last: only a permitted request learns which of its parameters are wrong.
        "copperhub.api.query.QueryParametersAsDocumented",
    ],
    "EXCEPTION_HANDLER": "copperhub.api.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "copperhub.api.pagination.StablePagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "copperhub API",
    "DESCRIPTION": "Read-mostly API over Copper/Fishbowl mirrors, syncs, change sets, integrity and commissions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge: Swagger UI would send the schema to an online validator.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # ChangeSet and ChangeSetDetail share the status choices; one name for them (not a hash-suffixed one).
    "ENUM_NAME_OVERRIDES": {"ChangeSetStatusEnum": "metrics.models.ChangeSet.Status"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "copperhub.api.schema.add_error_responses",
    ],
}

# --- Sync runs (progress) ---------------------------------------------------------------------------------
# Per-record log entries kept per run; beyond this only the count grows.
SYNC_RUN_LOG_LIMIT = env_int("SYNC_RUN_LOG_LIMIT", 1000)
# The worker holding a run renews its heartbeat this often, whatever the run is doing (waiting on Copper too).
SYNC_RUN_HEARTBEAT_SECONDS = env_int("SYNC_RUN_HEARTBEAT_SECONDS", 30)
# A running run whose heartbeat is older than this (three missed beats) is failed by the reaper (every minute,
# and at every start): a killed worker frees its kind within 90 + 60 s.
SYNC_RUN_STALE_AFTER_SECONDS = env_int("SYNC_RUN_STALE_AFTER_SECONDS", 3 * SYNC_RUN_HEARTBEAT_SECONDS)

# --- Fishbowl ---------------------------------------------------------------------------------------------
FISHBOWL_URL = os.environ.get("FISHBOWL_URL", "")
FISHBOWL_USERNAME = os.environ.get("FISHBOWL_USERNAME", "")
FISHBOWL_PASSWORD = os.environ.get("FISHBOWL_PASSWORD", "")
FISHBOWL_APP_ID = os.environ.get("FISHBOWL_APP_ID", "")
FISHBOWL_TIMEOUT_SECONDS = env_float("FISHBOWL_TIMEOUT_SECONDS", 30.0)
# Which Fishbowl value Copper's "Account Order ID" holds: the customer id ("id") or customer.number ("number").
FISHBOWL_ACCOUNT_KEY = os.environ.get("FISHBOWL_ACCOUNT_KEY", "id").strip().lower()
# Extra header spellings per import column, e.g. {"product_number": ["Part #"]} (README: Fishbowl exports).
FISHBOWL_COLUMN_ALIASES: dict[str, list[str]] = {}
# The status given to orders of a line report that has no status column.
FISHBOWL_DEFAULT_ORDER_STATUS = env_int("FISHBOWL_DEFAULT_ORDER_STATUS", 20)
FISHBOWL_IMPORT_MAX_UPLOAD_MB = env_int("FISHBOWL_IMPORT_MAX_UPLOAD_MB", 200)

# --- Copper -----------------------------------------------------------------------------------------------
COPPER_API_KEY = os.environ.get("COPPER_API_KEY", "")
COPPER_USER_EMAIL = os.environ.get("COPPER_USER_EMAIL", "")
COPPER_BASE_URL = os.environ.get("COPPER_BASE_URL", "https://api.copper.com/developer_api/v1").rstrip("/")
# Most requests copperhub sends in any rolling 60 s, all processes together (Copper allows 180; 0 = no pacing).
COPPER_RATE_LIMIT_PER_MINUTE = env_float("COPPER_RATE_LIMIT_PER_MINUTE", 175)
# Where processes share that window: auto (Redis when REDIS_URL is set, else the database), database, redis,
# process (this process's threads only).
COPPER_RATE_LIMITER = os.environ.get("COPPER_RATE_LIMITER", "auto")
# Total deadline of one call (connect + headers + body), however slowly the bytes arrive.
COPPER_TIMEOUT_SECONDS = env_float("COPPER_TIMEOUT_SECONDS", 30.0)
COPPER_MAX_RETRIES = env_int("COPPER_MAX_RETRIES", 5)
# 429s are retried until this much waiting (longer than Copper's 60 s window); Retry-After is honoured.
COPPER_RETRY_BUDGET_SECONDS = env_float("COPPER_RETRY_BUDGET_SECONDS", 90.0)
# First backoff step after a 429 without Retry-After, a 5xx or a connection error (doubles, with jitter).
COPPER_BACKOFF_SECONDS = env_float("COPPER_BACKOFF_SECONDS", 1.0)
# Rows one Copper search can reach (Copper: the first 100,000); the keyset walk keeps every search under it.
COPPER_SEARCH_CAP = env_int("COPPER_SEARCH_CAP", 100_000)
# The full reconciliation pull (the only one that marks companies missing) runs this often; 0 = never.
COPPER_FULL_PULL_EVERY_HOURS = env_float("COPPER_FULL_PULL_EVERY_HOURS", 24)
# Custom-field names (resolved to definition ids at run time; ids differ per Copper account).
COPPER_FIELD_ACCOUNT_ORDER_ID = os.environ.get("COPPER_FIELD_ACCOUNT_ORDER_ID", "Account Order ID")
COPPER_FIELD_ACTIVE_CUSTOMER = os.environ.get("COPPER_FIELD_ACTIVE_CUSTOMER", "Active Customer")
COPPER_FIELD_ACCOUNT_TYPE = os.environ.get("COPPER_FIELD_ACCOUNT_TYPE", "Account Type")
COPPER_FIELD_REGION = os.environ.get("COPPER_FIELD_REGION", "Region")
COPPER_FIELD_SALES_PERSON = os.environ.get("COPPER_FIELD_SALES_PERSON", "Fishbowl Assigned Sales Person")
# The Copper account's timezone (IANA name, e.g. America/Los_Angeles): Copper keeps Date custom fields at local
# midnight of it. No default (a guess is a day off for someone): required before a push maps a Date field.
COPPER_TIMEZONE = os.environ.get("COPPER_TIMEZONE", "")
# Webhooks (company new/update/delete -> /hooks/copper/): the secret Copper echoes in every notification (required
# to accept any), the public https URL subscriptions point at, and how long the worker waits to gather a burst.
COPPER_WEBHOOK_SECRET = os.environ.get("COPPER_WEBHOOK_SECRET", "")
COPPER_WEBHOOK_TARGET = os.environ.get("COPPER_WEBHOOK_TARGET", "")
COPPER_WEBHOOK_BATCH_SECONDS = env_float("COPPER_WEBHOOK_BATCH_SECONDS", 2.0)
# A company's page in Copper's web app (the review pages link to it). The form is what Copper's web app shows in
# its address bar, not documented API: {account_id} is the id GET /account answers, {company_id} the company's.
COPPER_APP_URL = os.environ.get(
    "COPPER_APP_URL", "https://app.copper.com/companies/{account_id}/app#/company/{company_id}"
)
# Without it (and with {account_id} in COPPER_APP_URL) the pages show no link to Copper, only to the mirror.
COPPER_ACCOUNT_ID = os.environ.get("COPPER_ACCOUNT_ID", "")

# --- Customer sync ----------------------------------------------------------------------------------------
# Run the customer sync automatically after every successful Copper pull.
CUSTOMER_SYNC_AFTER_PULL = env_bool("CUSTOMER_SYNC_AFTER_PULL", True)
# Copper companies read, compared and written per page (one transaction per page); memory grows with this.
CUSTOMER_SYNC_BATCH_SIZE = env_int("CUSTOMER_SYNC_BATCH_SIZE", 2000)

# --- Metrics push -----------------------------------------------------------------------------------------
# Sales-order statuses that count as sales: Issued, In Progress, Fulfilled, Closed Short, Historical.
METRICS_ORDER_STATUSES = [int(s) for s in env_list("METRICS_ORDER_STATUSES", ["20", "25", "60", "70", "95"])]
METRICS_INCLUDE_SHIPPING = env_bool("METRICS_INCLUDE_SHIPPING", False)
METRICS_INCLUDE_CARD_FEES = env_bool("METRICS_INCLUDE_CARD_FEES", False)
METRICS_SAMPLE_KIT_PRODUCT = os.environ.get("METRICS_SAMPLE_KIT_PRODUCT", "SAMPLE-KIT")
# Copper fields no mapping may ever target (the old system forced "Active Customer = true" on every push).
METRICS_PROTECTED_FIELDS = env_list(
    "METRICS_PROTECTED_FIELDS",
    ["Account Order ID", "Active Customer", "Account Type", "Region", "Fishbowl Assigned Sales Person"],
)
# A number that changes by more than this factor (either way) is flagged for the reviewer.
METRICS_SUSPICIOUS_FACTOR = env_float("METRICS_SUSPICIOUS_FACTOR", 3.0)
# One-person shops may approve their own change sets; off by default.
METRICS_ALLOW_SELF_APPROVAL = env_bool("METRICS_ALLOW_SELF_APPROVAL", False)
METRICS_CHANGESET_MAX_AGE_HOURS = env_float("METRICS_CHANGESET_MAX_AGE_HOURS", 24)
# Companies re-read from Copper per request (search with ids; Copper's page size max is 200).
METRICS_BATCH_SIZE = env_int("METRICS_BATCH_SIZE", 200)

# --- Integrity --------------------------------------------------------------------------------------------
# Per check: the finding count at which it turns warning / critical (0 = never). Env: INTEGRITY_<CHECK>_WARNING.
INTEGRITY_THRESHOLDS = {
    name: {
        "warning": env_int(f"INTEGRITY_{name.upper()}_WARNING", warning),
        "critical": env_int(f"INTEGRITY_{name.upper()}_CRITICAL", critical),
    }
    for name, (warning, critical) in {
        "customer_gap": (1, 25),
        "duplicate_account_ids": (1, 0),
        "customers_inactive_company": (1, 50),
        "orders_unattributed": (1, 100),
        "account_types": (1, 25),
        "sales_reps": (1, 0),
        "copper_metrics": (1, 50),
    }.items()
}
# Staleness: hours after which the last successful run of a kind is warning (critical at 3x, or never ran; 0 = off).
INTEGRITY_STALE_HOURS = {
    "copper_pull": env_float("INTEGRITY_STALE_HOURS_COPPER_PULL", 26),
    "customer_sync": env_float("INTEGRITY_STALE_HOURS_CUSTOMER_SYNC", 26),
    "metrics_apply": env_float("INTEGRITY_STALE_HOURS_METRICS_APPLY", 24 * 8),
}
# Findings kept per check and report (the counts stay exact).
INTEGRITY_FINDINGS_LIMIT = env_int("INTEGRITY_FINDINGS_LIMIT", 200)
# Alerts on a change of state: emailed here (else to ADMINS) and posted to the webhook (Slack-compatible JSON).
INTEGRITY_ALERT_EMAILS = env_list("INTEGRITY_ALERT_EMAILS", [])
INTEGRITY_ALERT_WEBHOOK_URL = os.environ.get("INTEGRITY_ALERT_WEBHOOK_URL", "")
INTEGRITY_ALERT_TIMEOUT_SECONDS = env_float("INTEGRITY_ALERT_TIMEOUT_SECONDS", 5.0)
INTEGRITY_ALERT_MAX_ATTEMPTS = env_int("INTEGRITY_ALERT_MAX_ATTEMPTS", 8)
# Reports shown in the dashboard's trend charts.
INTEGRITY_TREND_REPORTS = env_int("INTEGRITY_TREND_REPORTS", 20)
# Reports kept (older ones, with their findings, are deleted when a new one is stored).
INTEGRITY_REPORTS_KEEP = env_int("INTEGRITY_REPORTS_KEEP", 2000)

# --- Commissions ------------------------------------------------------------------------------------------
