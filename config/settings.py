"""Settings, all from the environment (12-factor).

Required in production (DEBUG off): SECRET_KEY, FIELD_ENCRYPTION_KEY, ALLOWED_HOSTS.
With DEBUG on (the demo, development, tests) missing secrets are generated once and kept in
`.local/secrets.env`, which git ignores.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import django_stubs_ext
import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

# Lets generic classes such as ModelAdmin[Model] be subscripted at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = BASE_DIR / ".local"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)


def _local_secret(name: str, make: str) -> str:
    """Return a development secret, generating it once into .local/secrets.env."""
    path = LOCAL_DIR / "secrets.env"
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, _, value = line.partition("=")
            if key:
                values[key.strip()] = value.strip()
    if name not in values:
        values[name] = make
        LOCAL_DIR.mkdir(exist_ok=True)
        path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        path.chmod(0o600)
    return values[name]


def _required(name: str, dev_default: str) -> str:
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return _local_secret(name, dev_default)
    raise ImproperlyConfigured(
        f"The environment variable {name} is required when DEBUG is off. "
        "See README.md, 'Environment variables'."
    )


SECRET_KEY = _required("SECRET_KEY", secrets.token_urlsafe(50))

# Comma-separated Fernet keys: the first encrypts, all decrypt (key rotation).
FIELD_ENCRYPTION_KEYS = [
    k.strip()
    for k in _required("FIELD_ENCRYPTION_KEY", Fernet.generate_key().decode()).split(",")
    if k.strip()
]
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        Fernet(_key)
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be one or more comma-separated Fernet keys "
            '(generate one with: python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())")'
        ) from exc
# django-fernet-encrypted-fields insists on this setting existing; our field subclass uses
# FIELD_ENCRYPTION_KEYS directly instead of deriving keys from SECRET_KEY.
SALT_KEY = ["unused"]

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "The environment variable ALLOWED_HOSTS is required when DEBUG is off."
    )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PORT = env.int("PORT", default=8000)
# Public address of this installation, used for OAuth redirect URIs and the webhook URL given to
# Pleo. Defaults to the local address for the demo.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default=f"http://127.0.0.1:{PORT}").rstrip("/")

SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=False)

# E-mail to finance contacts (failed exports, sign-ins that end soon). By default printed to the
# console, as the demo wants; set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and
# the EMAIL_HOST settings to send them.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="pleo-visma@localhost")

# How many reverse proxies stand in front of the app: the client's address is then read from
# X-Forwarded-For, that many entries from the right (integrations/core/client_address.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# /metrics (Prometheus): allowed from these addresses or networks (after TRUSTED_PROXY_COUNT),
# or with "Authorization: Bearer <METRICS_TOKEN>". Neither set: nobody (403).
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# django-prometheus: request metrics from its middleware; no database read at start-up.
PROMETHEUS_EXPORT_MIGRATIONS = False

# Webhook intake (DESIGN §6): rejected deliveries stored per source address and minute (more are
# answered 429 and not stored), and how long rejected deliveries and ApiCall rows are kept.
WEBHOOK_REJECTED_PER_MINUTE = env.int("WEBHOOK_REJECTED_PER_MINUTE", default=30)
WEBHOOK_REJECTED_RETENTION_DAYS = env.int("WEBHOOK_REJECTED_RETENTION_DAYS", default=14)
API_CALL_RETENTION_DAYS = env.int("API_CALL_RETENTION_DAYS", default=90)
# Sign-in attempts and failures (django-axes rows), pruned by the same daily schedule.
LOGIN_ATTEMPT_RETENTION_DAYS = env.int("LOGIN_ATTEMPT_RETENTION_DAYS", default=30)

# Remote services. Defaults are the real production hosts.
VISMA_CONNECT_URL = env.str("VISMA_CONNECT_URL", default="https://connect.visma.com").rstrip("/")
VISMA_API_URL = env.str("VISMA_API_URL", default="https://api.finance.visma.net").rstrip("/")
VISMA_CLIENT_ID = env.str("VISMA_CLIENT_ID", default="")
VISMA_CLIENT_SECRET = env.str("VISMA_CLIENT_SECRET", default="")
PLEO_AUTH_URL = env.str("PLEO_AUTH_URL", default="https://auth.pleo.io").rstrip("/")
PLEO_API_URL = env.str("PLEO_API_URL", default="https://external.pleo.io").rstrip("/")
PLEO_CLIENT_ID = env.str("PLEO_CLIENT_ID", default="")
PLEO_CLIENT_SECRET = env.str("PLEO_CLIENT_SECRET", default="")
# The OAuth scopes asked of Pleo (space- or comma-separated). They must match the scopes the
# Pleo application is registered with, or Pleo refuses the consent. The default is what the
# integration uses: the documented export and master-data scopes (developers.pleo.io, API scopes)
# plus the tag-group, tax-code and company names from Pleo's production scope list
# (`companies:read`: the company's name, `GET /v1/companies`).
PLEO_SCOPES: list[str] = (
    env.str(
        "PLEO_SCOPES",
        default=(
            "export-jobs:read export-jobs:write export-items:read accounts:read accounts:write "
            "vendors:read vendors:write tag-groups:read tag-groups:write tax-codes:read "
            "tax-codes:write companies:read"
        ),
    )
    .replace(",", " ")
    .split()
)
# The Visma.net ERP API scopes asked of Visma Connect. The integration reads, creates and updates
# (documents, suppliers, releases, attachments) and never deletes, so `delete` is not asked for
# unless configured here.
VISMA_SERVICE_SCOPES: list[str] = (
    env.str(
        "VISMA_SERVICE_SCOPES",
        default=(
            "vismanet_erp_service_api:read vismanet_erp_service_api:create "
            "vismanet_erp_service_api:update"
        ),
    )
    .replace(",", " ")
    .split()
)
VISMA_INTERACTIVE_SCOPES: list[str] = (
    env.str(
        "VISMA_INTERACTIVE_SCOPES",
        default=(
            # `tenants`: the company chosen at sign-in comes back as the token's tenant_id claim.
            "openid offline_access tenants vismanet_erp_interactive_api:read "
            "vismanet_erp_interactive_api:create vismanet_erp_interactive_api:update"
        ),
    )
    .replace(",", " ")
    .split()
)
# Connect and read timeouts (seconds) for every remote call.
REMOTE_CONNECT_TIMEOUT = env.float("REMOTE_CONNECT_TIMEOUT", default=5.0)
REMOTE_READ_TIMEOUT = env.float("REMOTE_READ_TIMEOUT", default=60.0)
# Longest wait for a rate limit inside one call; longer waits are handed back to the task queue.
REMOTE_MAX_RETRY_WAIT = env.float("REMOTE_MAX_RETRY_WAIT", default=120.0)
# An export run whose worker has been silent this long is taken over by another worker. It must
# stay well above the longest quiet stretch of a live worker: a remote call with its retries.
EXPORT_STALE_AFTER_SECONDS = env.int("EXPORT_STALE_AFTER_SECONDS", default=600)
# After a create whose outcome is unknown, the look-up lists only the documents Visma.net changed
# since the create was sent, less this margin (clock skew between us and Visma.net).
EXPORT_LOOKUP_MARGIN_SECONDS = env.int("EXPORT_LOOKUP_MARGIN_SECONDS", default=900)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "simple_history",
    "django_prometheus",
    "integrations.core",
    "integrations.pleo",
    "integrations.connections",
    "integrations.masterdata",
    "integrations.exports",
]
if SANDBOX_ENABLED:
    # Local stand-ins for the two remote services (DESIGN §7), one app each.
    INSTALLED_APPS += [
        "integrations.sandbox",
        "integrations.sandbox.visma",
        "integrations.sandbox.pleo",
        # The demo company connected to both sandboxes (`make demo`); no product app imports it.
        "integrations.demo",
    ]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "integrations.core.middleware.FriendlyNotFoundMiddleware",
    # django-axes asks to be last; only the metrics' closing middleware comes after it.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "integrations.core.context_processors.roles",
                "integrations.core.context_processors.return_to",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Each web thread keeps its connection between requests (checked before reuse) instead of
# opening one per request: a new PostgreSQL connection is a new server process, which cost
# more than the whole of a webhook delivery's work. `?conn_max_age=0` in DATABASE_URL opens one
# per request again.
DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with bulk inserts as VALUES rows (see the package's docstring).
    DATABASES["default"]["ENGINE"] = "integrations.core.postgresql"
# SQLite (the embedded default): the web server and the worker share the file.
# * `timeout` and IMMEDIATE transactions: a writer waits for the lock instead of failing at once.
# * Write-ahead logging (https://sqlite.org/wal.html): readers do not block the writer nor the
#   writer them, and a commit is one sync of the log instead of the rollback journal's several.
#   With the rollback journal, a slow disk (about 60 ms a sync) held every writer and reader
#   queued for seconds: calls to the sandboxes (served from the same file) ran past their
#   timeout. `synchronous` stays at its default (FULL): a committed step survives a power cut,
#   which the exactly-once export relies on. The mode is kept in the file; `-wal` and `-shm`
#   files live beside it while it is open.
SQLITE_OPTIONS = {
    "timeout": 30,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Login lock-out (django-axes): after LOGIN_FAILURE_LIMIT failed attempts for one user name from
# one address, that pair is locked out for LOGIN_LOCKOUT_MINUTES. A user is not locked out by
# someone else guessing from elsewhere. `manage.py axes_reset_username <name>` lifts a lock-out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "integrations.core.client_address.client_address"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Failed attempts are what the lock-out needs; a row per successful login is not kept.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
# "29 Nov 2026, 18:34" on every page: config/formats/en/formats.py.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"
# HTTPS only in production (`manage.py check --deploy --fail-level WARNING` passes with these).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# A load balancer's health probe may come over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
# Behind a proxy that ends TLS, the header it sets to say the request came over HTTPS, as
# "HEADER,value" (e.g. "HTTP_X_FORWARDED_PROTO,https"). Only set it when the proxy always sets
# or overwrites that header: otherwise a client could claim HTTPS.
_PROXY_SSL_HEADER = env.str("SECURE_PROXY_SSL_HEADER", default="")
if _PROXY_SSL_HEADER:
    _header, _, _value = _PROXY_SSL_HEADER.partition(",")
    if not _header.strip() or not _value.strip():
        raise ImproperlyConfigured(
            'SECURE_PROXY_SSL_HEADER is "HEADER,value", e.g. "HTTP_X_FORWARDED_PROTO,https".'
        )
    SECURE_PROXY_SSL_HEADER = (_header.strip(), _value.strip())

# Audited settings are changed on the setup pages, which validate them; never by a history revert.
SIMPLE_HISTORY_REVERT_DISABLED = True

REDIS_URL = env.str("REDIS_URL", default="")
Q_CLUSTER: dict[str, object] = {
    "name": "pleo-visma",
    "workers": env.int("Q_WORKERS", default=2),
    # django-q2 delivers at least once: a task running longer than `retry` is handed out again,
    # so `timeout` stays below `retry` and every task is idempotent.
    "timeout": env.int("Q_TIMEOUT", default=1500),
    "retry": env.int("Q_RETRY", default=1800),
    "max_attempts": 3,
    "catch_up": False,
    "save_limit": 500,
    "sync": env.bool("Q_SYNC", default=False),
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = env.float("Q_POLL", default=0.5)

REST_FRAMEWORK = {
    # Token first: DRF answers 401 (with `WWW-Authenticate: Token`) only when the first class
    # names a scheme; with the session first a bad or missing token would be a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "rest_framework.views.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pleo ⇄ Visma.net integration API",
    "DESCRIPTION": "Webhook receiver for Pleo and the configuration API for finance staff.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The API's description is for the people who use it: signed in (session or token).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI's assets are served from this install (drf-spectacular-sidecar), not from a CDN,
    # so /api/docs/ works on a closed network.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Each line names the connection, export run, item or sync run it concerns (log_context).
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s%(context)s"}
    },
    # Secrets (OAuth code and state in callback addresses, tokens) are redacted from every line.
    "filters": {
        "redact_secrets": {"()": "integrations.core.access_log.RedactSecretsFilter"},
        "context": {"()": "integrations.core.log_context.LogContextFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets", "context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The development server's request lines (runserver), through the same filter.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
