"""One settings module, driven by the environment.

Every variable read here is listed with its default in README.md ("Configuration").
Development needs nothing set: SQLite, a filesystem broker and the console mail backend.
``DJANGO_ENV=production`` refuses to start without ``SECRET_KEY`` and ``ALLOWED_HOSTS`` and
turns on every transport-security setting that ``manage.py check --deploy`` looks for.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DJANGO_ENV = env("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    SECRET_KEY = env("SECRET_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not SECRET_KEY or not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production needs SECRET_KEY and ALLOWED_HOSTS in the environment."
        )
    DEBUG = False
else:
    SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-never-use-in-production")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    DEBUG = env_bool("DEBUG", DJANGO_ENV == "development")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rules.apps.AutodiscoverRulesConfig",
    "django_fsm",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "django_countries",  # its catalogues: country names in the staff's and applicants' languages
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "casework",
    "reception",
    "integration",
]

MIDDLEWARE = [
    # First: the request id (every later log line carries it), then the timing of the rest.
    "casework.core.requestid.RequestIdMiddleware",
    "casework.core.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "casework.core.replica.ReplicaPinMiddleware",  # reads after a write: from the primary
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "casework.core.middleware.ApiRequestLimitsMiddleware",
    "casework.core.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "casework.staff.sessions.IdleExpiryMiddleware",  # renews the idle expiry once a minute
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "casework.staff.otp.StaffTwoFactorMiddleware",
    "casework.staff.language.StaffLanguageMiddleware",  # staff pages: the user's language
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite by default so a newcomer needs nothing; DATABASE_URL=postgres://… in CI and production.
# The development server (``make run``'s ``runserver``) serves each request in a thread of its
# own, and Django's ``runserver`` never closes a finished thread's connection (its server lacks
# ``ThreadedWSGIServer.close_request``): a connection kept for reuse outlived its thread until
# the garbage collector found it, and 270 requests held 99 of PostgreSQL's 100 connections.
# Under it each request closes its connection (tests/reliability/test_dev_server_connections.py).
RUNSERVER = sys.argv[1:2] == ["runserver"]
# Behind a pooler in transaction mode (PgBouncer's ``pool_mode = transaction``) a client has
# a server connection for one transaction only. A statement prepared in one transaction is
# then unknown to the server the next one gets, unless the pooler keeps prepared statements
# itself (PgBouncer 1.21 or newer with ``max_prepared_statements``; Debian 12 ships 1.18).
# DB_TRANSACTION_POOLER=1 turns server-side prepared statements off (the hot paths' statements
# are then bound on the client, as the ORM's are) and Django's server-side cursors;
# DB_SERVER_SIDE_PREPARE=1 turns the statements back on behind a pooler that keeps them.
DB_TRANSACTION_POOLER = env_bool("DB_TRANSACTION_POOLER", False)
DB_SERVER_SIDE_PREPARE = env_bool("DB_SERVER_SIDE_PREPARE", not DB_TRANSACTION_POOLER)
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=0 if RUNSERVER else int(env("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process, the worker and beat share one file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = int(
        env("DB_CONNECT_TIMEOUT", "5")
    )
    if DB_SERVER_SIDE_PREPARE:
        # psycopg prepares a statement after this many runs. Django's default (None) prepares
        # none, not even those a cursor runs with ``prepare=True``; a threshold no statement
        # reaches prepares exactly those: the hot paths' statements
        # (``casework.core.statements.prepared_cursor``), never the ORM's.
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 2**31
    # A server-side cursor (``QuerySet.iterator()`` outside a transaction) outlives the
    # transaction, and a transaction pooler may hand the next fetch to another server.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = DB_TRANSACTION_POOLER
    # No just-in-time compilation (PostgreSQL's ``jit``, on by default from 12): it starts
    # above a planner cost that any statement over a million rows reaches, even one that a
    # LIMIT ends after a few thousand, and compiling costs more than such statements run. A
    # caseworker's capped count of the audit trail at a million cases ran 0.5 s and compiled
    # 1.9 s (docs/performance.md). ``DB_JIT=on`` gives it back, e.g. to a reporting replica.
    # A transaction pooler refuses startup options: there, set it on the database instead.
    if not DB_TRANSACTION_POOLER:
        DATABASES["default"]["OPTIONS"]["options"] = f"-c jit={env('DB_JIT', 'off')}"
# A PostgreSQL streaming replica (hot standby) of the default database, for the reads that may
# be a few seconds stale: the status page's shared figures, the statistics, the read-only log
# lists (``casework.core.replica``). Everything else, and every write, stays on the primary.
# In tests the replica is the default database itself (``MIRROR``): no second test database.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs a PostgreSQL DATABASE_URL.")
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        conn_health_checks=True,
    )
    # The primary's connection options (time-outs, prepared statements, a pooler's limits).
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    DATABASES["replica"]["DISABLE_SERVER_SIDE_CURSORS"] = DB_TRANSACTION_POOLER
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["casework.core.replica.ReplicaRouter"]
# Seconds a browser that wrote reads from the primary, so the page after a change shows it;
# seconds a process reads from the primary after it could not reach the replica.
REPLICA_PIN_SECONDS = int(env("REPLICA_PIN_SECONDS", "10"))
REPLICA_RETRY_SECONDS = int(env("REPLICA_RETRY_SECONDS", "30"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, lookups) -----------------------------------------------------------
REDIS_URL = env(
    "REDIS_URL", env("CELERY_BROKER_URL") if env("CELERY_BROKER_URL").startswith("redis") else ""
)
# Put before every key this system writes to Redis (cache and broker alike), so that several
# installations, or parallel test processes, can share one Redis database without meeting.
REDIS_KEY_PREFIX = env("REDIS_KEY_PREFIX")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "casework.core.cache.ResilientRedisCache",  # a dead Redis is a cache miss
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(30 * 60)))  # idle expiry for staff
# The idle expiry is renewed at most once a minute (casework.staff.sessions.IdleExpiryMiddleware),
# not by a session write on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_ENGINE = "casework.staff.sessions"  # a lost database is a 503, not "session interrupted"
SESSION_COOKIE_HTTPONLY = True
# Lockout (casework.staff.lockout): AXES_FAILURE_LIMIT failures for one account from one
# address lock it from that address, AXES_ACCOUNT_FAILURE_LIMIT from any addresses lock it
# everywhere, for AXES_COOLOFF_TIME; the owner is told by e-mail, an administrator can unlock.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_ACCOUNT_FAILURE_LIMIT = int(env("AXES_ACCOUNT_FAILURE_LIMIT", "20"))
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"], ["username"]]
AXES_HANDLER = "casework.staff.lockout.AccountAndAddressHandler"
AXES_CLIENT_IP_CALLABLE = "casework.staff.lockout.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "casework/locked_out.html"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"
# Two-factor sign-in (TOTP, django-otp): staff in these groups must confirm a code from an
# authenticator app before any admin page; anyone who has set up a device is asked too.
OTP_REQUIRED_GROUPS = env_list("OTP_REQUIRED_GROUPS")
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "Asylum casework")

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = env("TIME_ZONE", "Europe/Oslo")
USE_I18N = True
USE_TZ = True
LANGUAGES = [
    ("nb", "Norsk bokmål"),
    ("en", "English"),
    ("uk", "Українська"),
    ("ar", "العربية"),
    ("fa", "دری / فارسی"),
    ("ps", "پښتو"),
    ("ti", "ትግርኛ"),
    ("so", "Soomaali"),
    ("ru", "Русский"),
]
LANGUAGES_BIDI = ["ar", "fa", "ps", "he", "ur"]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date and one date-and-time format per language, on every page (config/formats/).
FORMAT_MODULE_PATH = ["config.formats"]

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it, even before collectstatic
# Identity documents live outside the web root and are served only through a permission check.
MEDIA_ROOT = VAR_DIR / "private"
DOCUMENT_MAX_BYTES = int(env("DOCUMENT_MAX_BYTES", str(10 * 1_000_000)))
# The case file's documents (casework.casefile): a medical report or a lawyer's submission
# may run to many scanned pages.
CASE_DOCUMENT_MAX_BYTES = int(env("CASE_DOCUMENT_MAX_BYTES", str(25 * 1_000_000)))
# The largest multipart request the API reads: a document and its fields.
API_MAX_UPLOAD_BYTES = CASE_DOCUMENT_MAX_BYTES + 1_000_000
# ClamAV's daemon (Debian's clamav-daemon listens here); where the socket is missing, uploads
# are stored and marked "not scanned: no virus scanner installed".
CLAMD_SOCKET = env("CLAMD_SOCKET", "/var/run/clamav/clamd.ctl")
# The appeals body's postal address printed in every decision letter (Public Administration
# Act § 27). Utlendingsnemnda's address as published; NOT verified against une.no at the time
# of writing: check it, and set LETTER_APPEALS_BODY_ADDRESS where it differs.
LETTER_APPEALS_BODY_ADDRESS = env("LETTER_APPEALS_BODY_ADDRESS", "Postboks 8165 Dep, 0034 Oslo")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- Mail -----------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "noreply@casework.invalid")

# --- Celery ---------------------------------------------------------------------------------
# Without a broker URL we use kombu's filesystem transport so `make run` needs no server.
# Every folder it uses is named here, under VAR_DIR, and created: kombu's defaults are relative
# to the working directory (./control, ./data_in, ...), and it creates none but the control
# folder, and that one only if its parent exists.
# The filesystem transport ignores the host; naming one spares kombu's "No hostname was
# supplied" warning on every connection.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://localhost/")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
elif CELERY_BROKER_URL.startswith("redis"):
    # Short socket timeouts: a dead Redis must never hang a web request (celery#4296, #4556).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": 1,
        "socket_timeout": 2,
        "retry_on_timeout": False,
        "visibility_timeout": 3600,
        "max_retries": 1,
        "global_keyprefix": REDIS_KEY_PREFIX,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# What a task prints (the console mail backend of development shows its mails so) is logged at
# INFO, not as a WARNING.
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
SWEEP_INTERVAL_SECONDS = int(env("SWEEP_INTERVAL_SECONDS", "300"))
# How often beat recomputes the status page's expected waiting times and queue positions.
WAITING_REFRESH_SECONDS = int(env("WAITING_REFRESH_SECONDS", "600"))
# How often beat recomputes the published statistics tables (the statistics page and API read
# them; at a million cases a refresh takes minutes, so not much more often than this).
STATISTICS_REFRESH_SECONDS = int(env("STATISTICS_REFRESH_SECONDS", "600"))
# The appeals board's published expected processing time for an appeal, in days, and where it
# is published; shown to applicants whose case is with the board (empty: not shown).
APPEALS_BOARD_WAITING_DAYS = int(env("APPEALS_BOARD_WAITING_DAYS", "0") or 0) or None
APPEALS_BOARD_WAITING_SOURCE = env("APPEALS_BOARD_WAITING_SOURCE", "")
# Text messages (casework.deadlines.sms): the gateway's URL (empty: no SMS), its bearer token,
# the address it sends delivery receipts to and the token they must carry; tries per message.
SMS_GATEWAY = env("SMS_GATEWAY", "")  # a dotted path to another SmsGateway class
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN", "")
SMS_GATEWAY_RETRIES = int(env("SMS_GATEWAY_RETRIES", "2"))
SMS_GATEWAY_TIMEOUT = float(env("SMS_GATEWAY_TIMEOUT", "5"))
SMS_RECEIPT_URL = env("SMS_RECEIPT_URL", "")
SMS_RECEIPT_TOKEN = env("SMS_RECEIPT_TOKEN", "")
# The region a phone number without a country code is read in (E.164 is stored).
PHONE_DEFAULT_REGION = env("PHONE_DEFAULT_REGION", "NO")
# The public address of the status page, as the applicant's notices give it.
STATUS_PAGE_URL = env("STATUS_PAGE_URL", "http://127.0.0.1:8000/status/")
# Reminder delivery (casework.deadlines.reminders): a claim older than this is a dead worker's
# and is retried; attempts before "failed"; backoff between attempts; rows queued per sweep.
REMINDER_CLAIM_TIMEOUT = int(env("REMINDER_CLAIM_TIMEOUT", "600"))
REMINDER_REQUEUE_AFTER = int(env("REMINDER_REQUEUE_AFTER", "1800"))
REMINDER_MAX_ATTEMPTS = int(env("REMINDER_MAX_ATTEMPTS", "6"))
REMINDER_RETRY_BACKOFF = int(env("REMINDER_RETRY_BACKOFF", "30"))
REMINDER_RETRY_BACKOFF_MAX = int(env("REMINDER_RETRY_BACKOFF_MAX", "600"))
REMINDER_ENQUEUE_BATCH = int(env("REMINDER_ENQUEUE_BATCH", "10000"))

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "casework.api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "casework.api.pagination.CursorPage",
    "EXCEPTION_HANDLER": "casework.api.base.api_exception_handler",
    # Rates are counted in the cache (Redis when configured), so they hold across processes.
    "DEFAULT_THROTTLE_CLASSES": [
        # DRF's anon/user throttles, counted with one Redis INCR (casework/api/throttling.py)
        "casework.api.throttling.AnonRateThrottle",
        "casework.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", "60/min"),
        "user": env("API_THROTTLE_USER", "1200/min"),
        "auth": env("API_THROTTLE_AUTH", "20/min"),
    },
}
API_STAFF_TOKEN_TTL = int(env("API_STAFF_TOKEN_TTL", str(12 * 3600)))  # seconds; 0 = never
API_IDEMPOTENCY_TTL = int(env("API_IDEMPOTENCY_TTL", str(48 * 3600)))  # seconds
API_REQUIRE_IF_MATCH = env_bool("API_REQUIRE_IF_MATCH", False)
# How deeply a JSON request body may nest (casework.core.middleware.ApiRequestLimitsMiddleware);
# the deepest request the schema documents nests 3 levels.
API_MAX_JSON_DEPTH = int(env("API_MAX_JSON_DEPTH", "32"))
SPECTACULAR_SETTINGS = {
    "TITLE": "Asylum casework API",
    "DESCRIPTION": "Versioned REST API for police, municipalities and reception operators.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Operations are grouped by resource (applications, people, …), not all under "v1": the
    # docs page lists some fifty groups, closed, with a filter box, instead of drawing two
    # hundred operations at once.
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "SWAGGER_UI_SETTINGS": {"docExpansion": "none", "filter": True, "deepLinking": True},
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "casework.api.schema_hooks.document_standard_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "OutcomeEnum": "casework.applications.choices.Outcome",
        "AcceptOutcomeEnum": "casework.applications.choices.ACCEPT_OUTCOMES",
        "RejectOutcomeEnum": "casework.applications.choices.REJECT_OUTCOMES",
        "ApplicationKindEnum": "casework.applications.choices.ApplicationKind",
        "CentreKindEnum": "reception.choices.CentreKind",
        "DocumentKindEnum": "casework.people.choices.DocumentKind",
        "CaseDocumentKindEnum": "casework.casefile.choices.CaseDocumentKind",
        "AppealOutcomeEnum": "casework.applications.choices.AppealOutcome",
        "AppointmentReasonEnum": "casework.lawyers.choices.AppointmentReason",
        "PeriodKindEnum": "integration.choices.PeriodKind",
        "ProgrammeElementKindEnum": "integration.choices.ProgrammeElementKind",
        "ProgrammeOutcomeEnum": "integration.choices.ProgrammeOutcome",
        "SpokenLanguageEnum": "casework.people.choices.SpokenLanguage",
        "LetterKindEnum": "casework.letters.choices.LetterKind",
        "LetterChannelEnum": "casework.letters.choices.Channel",
        "TbMethodEnum": "casework.vulnerability.choices.TbMethod",
        "VulnerabilityKindEnum": "casework.vulnerability.choices.VulnerabilityKind",
        "AgeMethodEnum": "casework.vulnerability.choices.AgeMethod",
        "AgeOutcomeEnum": "casework.vulnerability.choices.AgeOutcome",
        "DublinRequestKindEnum": "casework.dublin.choices.RequestKind",
        "TransferExtensionEnum": "casework.dublin.choices.EXTENSION_CHOICES",
        "PermitTypeEnum": "casework.permits.choices.PermitType",
        "DecisionPermitTypeEnum": "casework.applications.workflow.DECISION_PERMIT_TYPES",
        "PermitStatusEnum": "casework.permits.choices.PermitStatus",
        "RenewalRunStatusEnum": "casework.permits.choices.RenewalRunStatus",
    },
}

# --- Content-Security-Policy (django-csp 4) -------------------------------------------------
# Strict on every page, the admin and the API docs included: no 'unsafe-inline' and no
# 'unsafe-eval' anywhere. Markup uses classes from static stylesheets, never style=""
# attributes or inline <script>; the one <style> element that must be built per request
# (the browsable API's Pygments colours) carries the request's nonce, which django-csp puts
# in the header only on pages that use it. Scripts may still set element.style (CSSOM), which
# CSP does not restrict: the admin's own JavaScript relies on that.
# tests/security/test_hardening.py and tests/browser/test_admin_csp.py hold us to it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- Security -------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = False
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- Logging: nothing personal. Case references and ids only, never names or birth dates. ---
# ``casework.core.logfilters.DropRequestData`` strips the request (body, query string, cookies) that
# Django attaches to error records, so a crash never writes form input into a log.
# Every line carries the request id (``casework.core.requestid``: the request's, or the task's);
# LOG_FORMAT=json writes one JSON object a line with only the fields casework.core.logjson
# allows. The Celery worker and beat log through this configuration too (config/celery.py).
LOG_FORMAT = env("LOG_FORMAT", "plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be 'plain' or 'json'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "no_request_data": {"()": "casework.core.logfilters.DropRequestData"},
        "request_id": {"()": "casework.core.requestid.RequestIdFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "casework.core.logjson.AllowListJsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["no_request_data", "request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # On the loggers that attach the request, so every handler (mail_admins too) gets
        # the record already stripped.
        "django.request": {"filters": ["no_request_data"]},
        "django.security.csrf": {"filters": ["no_request_data"]},
        # Django's own handlers (a plain console one under DEBUG, mail_admins without ADMINS)
        # replaced by the root's, so every line has one format; runserver's request lines too.
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": ["console"], "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # WeasyPrint logs each step of every letter it renders at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Health and metrics (casework.monitoring) ----------------------------------------------
# /healthz answers 503 when the last sweep or waiting-figures refresh is older than twice its
# interval, or a reminder has waited longer than this many seconds to be delivered.
HEALTH_REMINDER_MAX_AGE = int(env("HEALTH_REMINDER_MAX_AGE", "3600"))
# /metrics (Prometheus) answers only a request with "Authorization: Bearer METRICS_TOKEN";
# without a token set it does not exist (404).
METRICS_TOKEN = env("METRICS_TOKEN")
# Several web processes (gunicorn --workers): prometheus-client's multiprocess mode keeps
# each process's counts in this folder, read by it at import (gunicorn -c config/gunicorn.py).
PROMETHEUS_MULTIPROC_DIR = env("PROMETHEUS_MULTIPROC_DIR")
if PROMETHEUS_MULTIPROC_DIR:
    Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)

# --- Project settings -----------------------------------------------------------------------
DEMO_PASSWORD = env("DEMO_PASSWORD", "demo-Casework-2026")
STATUS_RATE_LIMIT = env("STATUS_RATE_LIMIT", "20/h")
# Tries at one case reference from devices that have not opened the case before (a right
# answer gives its try back; the applicant's own devices are not counted): 10 a year, so a
# birth date known to the year takes a guesser years (casework.status.views, reliability.md).
STATUS_REFERENCE_RATE_LIMIT = env("STATUS_REFERENCE_RATE_LIMIT", "10/365d")
# Redis down: the status page refuses lookups it cannot count (closed, the default) or answers
# them uncounted (open). See casework.status.views._limited and docs/reliability.md.
RATELIMIT_FAIL_OPEN = env_bool("RATELIMIT_FAIL_OPEN", False)
# Where the client's address comes from (behind a proxy: the header it sets, e.g.
# HTTP_X_FORWARDED_FOR), for the status page's limits and the sign-in lockout alike.
RATELIMIT_IP_META_KEY = env("RATELIMIT_IP_META_KEY", "REMOTE_ADDR")

# --- Retention and erasure (casework.privacy.retention) ------------------------------------
# Years after a case closed (its decision or withdrawal) before the person is anonymised, per
# final state; empty means "kept" (a granted permit is renewed and leads to citizenship).
# A person is anonymised when every one of their applications is due.
RETENTION_YEARS = {
    "withdrawn": int(env("RETENTION_WITHDRAWN_YEARS", "5")),
    "rejected": int(env("RETENTION_REJECTED_YEARS", "10")),
    "accepted": int(env("RETENTION_ACCEPTED_YEARS")) if env("RETENTION_ACCEPTED_YEARS") else None,
}
RETENTION_SWEEP_HOURS = float(env("RETENTION_SWEEP_HOURS", "24"))
# Ask staff for a purpose before they open a case that is not assigned to them.
ACCESS_PURPOSE_REQUIRED = env_bool("ACCESS_PURPOSE_REQUIRED", False)
