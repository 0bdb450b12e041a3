"""Settings, all from the environment (see `.env.example` for every variable).

Unset DATABASE_URL means a SQLite file in the project folder; unset REDIS_URL means
Celery tasks run in-process and the cache is local memory, so the service runs with
nothing else installed. Production sets both.

Long because: one module reads the whole environment, so every variable has one place to be
found, beside its default and the reason for it (`.env.example` lists them in the same order).
"""

from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

from kalipxo.months import duration_parse

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer's own .env is read when present; it is never committed.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-used-with-debug-on"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- HTTPS --------------------------------------------------------------------------
# Production is served over HTTPS only, so with DEBUG off every switch below defaults to
# the secure value (`manage.py check --deploy` is clean). A plain-HTTP service on
# loopback (the benchmarks, the compose try-out) sets HTTPS_ONLY=0; each switch can
# also be set on its own.
HTTPS_ONLY = env.bool("HTTPS_ONLY", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS_ONLY)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=HTTPS_ONLY)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=HTTPS_ONLY)
# A year of HSTS, subdomains included; preload only marks the header as eligible for the
# browsers' preload list (submitting the domain is a separate, deliberate step).
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS_ONLY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS_ONLY)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS_ONLY)
# Only behind a proxy that terminates TLS and always sets X-Forwarded-Proto itself:
# trusting the header otherwise lets any client claim its plain request was HTTPS.
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Proxies in front of the service that each append the address they saw to X-Forwarded-For:
# login throttling counts that address, not the proxy's (frontend/throttle.py).
LOGIN_TRUSTED_PROXIES = env.int("LOGIN_TRUSTED_PROXIES", default=1 if BEHIND_TLS_PROXY else 0)
# Paths answered over plain HTTP too (regular expressions), e.g. a load balancer's check.
SECURE_REDIRECT_EXEMPT = env.list("SECURE_REDIRECT_EXEMPT", default=[])
X_FRAME_OPTIONS = "DENY"  # the CSP's frame-ancestors 'none' says the same to newer browsers
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = env.str("SECURE_REFERRER_POLICY", default="same-origin")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "artists",
    "streams",
    "fx",
    "ledger",
    "payouts",
    "deductions",
    "payments",
    "messaging",
    "accounts",
    "frontend",
    "demo",
    # After frontend, whose templates restyle allauth's pages (app templates: first app wins).
    "allauth",
    "allauth.account",
    "allauth.mfa",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kalipxo.middleware.RefuseTraceMiddleware",
    "kalipxo.middleware.RefuseNulInUrlMiddleware",
    "kalipxo.middleware.RefuseHugeBodyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "frontend.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "kalipxo.urls"
WSGI_APPLICATION = "kalipxo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'kalipxo.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads (dev server, in-process tasks) share the file: wait instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Rate limits and login throttling ask the cache on every request: an
            # unreachable Redis must fail fast (and is then let through), never hang them.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Chart.js comes from npm (package.json) and is served by the app itself, never a CDN.
STATICFILES_DIRS = [
    ("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
# Uploaded files (identity documents) are never served by a URL: only staff views read them,
# through the storage API. The file system under MEDIA_ROOT by default; any S3-compatible
# store through django-storages when FILE_STORAGE_BUCKET is set.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "uploads")
FILE_STORAGE_BUCKET = env.str("FILE_STORAGE_BUCKET", default="")
DEFAULT_STORAGE = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": FILE_STORAGE_BUCKET,
            "endpoint_url": env.str("FILE_STORAGE_ENDPOINT_URL", default="") or None,
            "region_name": env.str("FILE_STORAGE_REGION", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    if FILE_STORAGE_BUCKET
    else {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": MEDIA_ROOT}}
)
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "landing"
# Username/password logins (the login page and the Django admin) are throttled; see
# frontend/throttle.py for the rule and why it is not a third-party package.
AUTHENTICATION_BACKENDS = ["frontend.throttle.ThrottledModelBackend"]
LOGIN_THROTTLE = {
    "per_address": env.int("LOGIN_FAILURES_PER_ADDRESS", default=5),
    "max_wait_seconds": env.int("LOGIN_MAX_WAIT_SECONDS", default=900),
    "per_username": env.int("LOGIN_FAILURES_PER_USERNAME", default=20),
    "max_delay_seconds": env.int("LOGIN_MAX_DELAY_SECONDS", default=5),
    "memory_seconds": env.int("LOGIN_FAILURE_MEMORY_SECONDS", default=86_400),
}
# Accounts (django-allauth): sign-up with a verified e-mail, password reset, e-mail change and
# TOTP two-factor. The login page stays ours (/login/, throttled above); allauth runs the steps
# after the password (e-mail verification for self-made accounts, the two-factor code).
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Kalipxo: "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_SIGNUP_OPEN = env.bool("ACCOUNT_SIGNUP_OPEN", default=True)
# Failed passwords at /login/ are throttled by frontend/throttle.py, which never locks the right
# password out; the login page never consumes allauth's "login_failed" limit (it calls no allauth
# authentication), so that limit, which locks by key, only guards what allauth checks itself:
# second-factor codes (5 wrong per login in 5 minutes, then wait) and re-confirming a password.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/300s/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Kalipxo"
MFA_FORMS = {"activate_totp": "accounts.forms.ActivateAuthenticatorForm"}
# A staff session must have passed a second factor before any console action that decides or
# moves money (docs/rules.md "Accounts"); the demo turns it off so its logins reach the console.
STAFF_TWO_FACTOR = env.bool("STAFF_TWO_FACTOR", default=True)
# A claim code an admin or distributor issues for an artist is valid this long.
CLAIM_CODE_VALID_DAYS = env.int("CLAIM_CODE_VALID_DAYS", default=14)
# Identity documents: largest accepted upload.
IDENTITY_DOCUMENT_MAX_BYTES = env.int("IDENTITY_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
# A page's request body: the largest upload and room for the form around it.
PAGE_MAX_BODY_BYTES = IDENTITY_DOCUMENT_MAX_BYTES + 1024 * 1024
# Stored uploads are readable by the service's own user only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# E-mail: the console on the embedded default; SMTP in production with EMAIL_URL
# (smtp+tls://user:password@host:587).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
EMAIL_HOST = EMAIL_CONFIG.get("EMAIL_HOST", "localhost")
EMAIL_PORT = EMAIL_CONFIG.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = EMAIL_CONFIG.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = EMAIL_CONFIG.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = EMAIL_CONFIG.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = EMAIL_CONFIG.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kalipxo <payouts@kalipxo.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The service's public address, for links in e-mail sent from tasks (no request to ask).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# A strict Content-Security-Policy on every page (frontend/csp.py) except the interactive
# API docs, whose Swagger UI and ReDoc pages start from an inline script.
CONTENT_SECURITY_POLICY_EXEMPT_PATHS = ["/api/docs/", "/api/redoc/"]


def _debug_404_style_source() -> str:
    """The CSP source for the one inline <style> of Django's DEBUG 404 page, by its hash, so
    that page is served styled under the strict policy (it has no nonce support before 6.0).
    Allowing this exact, fixed block of CSS lets no other style in."""
    import base64
    import hashlib
    import re

    import django

    page = Path(django.__file__).parent / "views" / "templates" / "technical_404.html"
    style = re.search(r"<style>(.*?)</style>", page.read_text(encoding="utf-8"), re.DOTALL)
    if style is None:  # another Django's page: it stays unstyled, nothing else changes
        return ""
    digest = hashlib.sha256(style.group(1).encode("utf-8")).digest()
    return f" 'sha256-{base64.b64encode(digest).decode()}'"


CONTENT_SECURITY_POLICY_HEADER = (
    "default-src 'self'; script-src 'self'; "
    f"style-src 'self'{_debug_404_style_source()}; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

# --- Celery -------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# Each app's tasks have their own queue, so workers can be scaled per kind of work.
CELERY_TASK_ROUTES = {"streams.*": {"queue": "live"}, "payouts.*": {"queue": "payouts"}}
# Declared, so `celery -A kalipxo worker` with no -Q takes every queue (undeclared, it
# would take only "default" and a payout run would wait forever); -Q narrows a worker.
# Each queue with its own exchange and routing key: left out, Celery binds all three to
# "default", and a message for one queue would be delivered to every queue.
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name) for name in ("default", "live", "payouts")
]
# Publishing must fail fast when Redis is down: the request has already committed and
# the periodic sweep re-enqueues whatever could not be sent.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "visibility_timeout": 3600,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_IGNORE_RESULT = True  # tasks record their effects in the database and Redis
# Celery's Django fixup closes the database connection before and after every task unless
# told to reuse it: a live batch then paid for a new PostgreSQL connection (and the server
# a new backend process) every time. Reused for this many tasks, then reopened; a broken
# one is replaced before the next task (kalipxo.celery, with CONN_HEALTH_CHECKS).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=200)
CELERY_BEAT_SCHEDULE = {
    "sweep-live-batches": {"task": "streams.batches_sweep", "schedule": 10.0},
    "reconcile-live-pools": {"task": "streams.current_month_reconcile", "schedule": 300.0},
    # Opens (never finalizes: a human decision) last month's run once the month and its
    # PAYOUT_RUN_GRACE are over; hourly, so any grace works, and a no-op once it exists.
    "open-last-month-payout-run": {
        "task": "payouts.payout_run_scheduled_open",
        "schedule": crontab(minute="5"),
    },
    # Sends again payout work lost with a killed worker or an unreachable broker.
    "resume-payout-runs": {"task": "payouts.payout_runs_resume", "schedule": 60.0},
}

# --- API ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "artists.authentication.BearerTokenAuthentication",
        "accounts.authentication.TwoFactorSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["kalipxo.api.OrjsonParser"],
    "DEFAULT_RENDERER_CLASSES": ["kalipxo.api.OrjsonRenderer"],
    "EXCEPTION_HANDLER": "kalipxo.api.exception_handler",
    # Backpressure: writes per API client and scope (views set `throttle_scope`); over the
    # rate, 429 with Retry-After. Requests, not events: a batch of 1,000 counts once.
    "DEFAULT_THROTTLE_CLASSES": ["kalipxo.api.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "ingest": env.str("INGEST_RATE", default="600/second"),
        "revenue": env.str("REVENUE_RATE", default="60/second"),
        "catalog": env.str("CATALOG_RATE", default="30/second"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kalipxo royalty API",
    "DESCRIPTION": "Catalog, revenue and stream ingestion, live earnings and payout runs (v1).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs are public: credentials, even wrong ones, are not looked at.
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # kalipxo.converters: an integer, as <int:> was; a string, as <str:> was
    "PATH_CONVERTER_OVERRIDES": {"id": int, "ext": str},
    # Two choice sets named "status" (a payee's verification, a payment's result).
    "ENUM_NAME_OVERRIDES": {
        "VerificationStatusEnum": ["unverified", "pending", "verified", "rejected"],
        "PaymentResultStatusEnum": ["paid", "failed", "returned"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kalipxo.api.document_error_answers",
    ],
}
# Request bodies larger than this are refused with 413 before they are parsed.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES

# --- Money policy (docs/rules.md §2) --------------------------------------------------
SETTLEMENT_CURRENCY = env.str("SETTLEMENT_CURRENCY", default="USD").upper()
RIGHTS_SHARE = Decimal(env.str("RIGHTS_SHARE", default="0.85"))
MIN_PLAY_MS = env.int("MIN_PLAY_MS", default=30_000)
UNALLOCATED_POLICY = env.str("UNALLOCATED_POLICY", default="pro_rata")
if UNALLOCATED_POLICY not in ("pro_rata", "retain"):
    raise ImproperlyConfigured("UNALLOCATED_POLICY must be 'pro_rata' or 'retain'.")
if not Decimal(0) <= RIGHTS_SHARE <= Decimal(1):
    raise ImproperlyConfigured("RIGHTS_SHARE must be between 0 and 1.")
# The publishing (musical work) side's share of net revenue, per year (docs/rules.md §2
# Publishing): "year=rate" pairs, the US Phonorecords IV headline rates by default. An
# empty value means 0: no publishing side, the whole rights pool goes to the recording.
PUBLISHING_RATES = {
    int(year): Decimal(rate)
    for year, rate in env.dict(
        "PUBLISHING_RATES",
        default={"2023": "0.151", "2024": "0.152", "2025": "0.1525", "2026": "0.153", "2027": "0.1535"},
    ).items()
    if str(year).strip()
}
if any(not Decimal(0) <= rate <= RIGHTS_SHARE for rate in PUBLISHING_RATES.values()):
    raise ImproperlyConfigured("Every PUBLISHING_RATES rate must be between 0 and RIGHTS_SHARE.")
# Exchange rates (docs/rules.md §2 Currencies): which of a month's rates a run converts revenue at.
FX_RATE_POLICY = env.str("FX_RATE_POLICY", default="month_average")
if FX_RATE_POLICY not in ("month_average", "month_end"):
    raise ImproperlyConfigured("FX_RATE_POLICY must be 'month_average' or 'month_end'.")
PUBLISHING_ALLOCATION = env.str("PUBLISHING_ALLOCATION", default="user_centric")
if PUBLISHING_ALLOCATION not in ("user_centric", "pro_rata"):
    raise ImproperlyConfigured("PUBLISHING_ALLOCATION must be 'user_centric' or 'pro_rata'.")
# Tax withheld from a payee with no tax form on file (docs/rules.md §2 Deductions); a
# fraction, 0 by default. The demo sets the US backup-withholding rate, 0.24.
WITHHOLDING_RATE_WITHOUT_FORM = Decimal(env.str("WITHHOLDING_RATE_WITHOUT_FORM", default="0"))
if not Decimal(0) <= WITHHOLDING_RATE_WITHOUT_FORM <= Decimal(1):
    raise ImproperlyConfigured("WITHHOLDING_RATE_WITHOUT_FORM must be between 0 and 1.")
# Payments (docs/rules.md §2 Payees and payments). The debtor account of the credit-transfer
# files: demo values by default, so that the service starts without them (set real ones to pay).
PAYOUT_DEBTOR_NAME = env.str("PAYOUT_DEBTOR_NAME", default="Kalipxo Demo Payouts")
PAYOUT_DEBTOR_IBAN = env.str("PAYOUT_DEBTOR_IBAN", default="DE89370400440532013000")
PAYOUT_DEBTOR_BIC = env.str("PAYOUT_DEBTOR_BIC", default="COBADEFFXXX")
# A replaced payout method keeps its payee out of batches this long unless re-confirmed; a
# verification is renewed after this many days.
PAYOUT_METHOD_HOLD_HOURS = env.int("PAYOUT_METHOD_HOLD_HOURS", default=72)
PAYEE_VERIFICATION_VALID_DAYS = env.int("PAYEE_VERIFICATION_VALID_DAYS", default=730)
# Messages between artists and fans (docs/rules.md §2 Messages): new conversations an artist
# may start in any rolling 24 hours.
MESSAGES_PER_ARTIST_PER_DAY = env.int("MESSAGES_PER_ARTIST_PER_DAY", default=50)
# An upheld report suspends the artist's messaging this many days.
MODERATION_SUSPENSION_DAYS = env.int("MODERATION_SUSPENSION_DAYS", default=7)
# "plan=price" pairs; a listener's estimate uses its plan's price until revenue is recorded.
PLAN_PRICES = {
    plan: Decimal(price)
    for plan, price in env.dict("PLAN_PRICES", default={"premium": "14.99", "free": "0"}).items()
}

# Fraud screening defaults (docs/rules.md §2).
FRAUD_MAX_STREAMS_PER_DAY = env.int("FRAUD_MAX_STREAMS_PER_DAY", default=1000)
FRAUD_MAX_TRACK_PLAYS_PER_DAY = env.int("FRAUD_MAX_TRACK_PLAYS_PER_DAY", default=200)
FRAUD_MAX_LISTENERS_PER_DEVICE = env.int("FRAUD_MAX_LISTENERS_PER_DEVICE", default=10)

# A month's payout run may start (and finalize) only this long after the month ended, so
# plays listened offline and synced late still count (docs/rules.md §2 Month close).
try:
    PAYOUT_RUN_GRACE = duration_parse(env.str("PAYOUT_RUN_GRACE", default="24h"))
except ValueError as exc:
    raise ImproperlyConfigured(f"PAYOUT_RUN_GRACE: {exc}") from exc

# Listener chunks a month-end run is split into (payouts/policy.py caps it).
PAYOUT_RUN_CHUNKS = env.int("PAYOUT_RUN_CHUNKS", default=8)

# How long the dashboard's streams-per-day series is shared between page loads (0: never).
DASHBOARD_DAILY_CACHE_SECONDS = env.int("DASHBOARD_DAILY_CACHE_SECONDS", default=60)

# The live pools' Redis: the broker's by default. With LIVE_REDIS_CLUSTER=1 the URL names
# one node of a Redis Cluster (streams/live/store.py shards the state by listener).
LIVE_REDIS_URL = env.str("LIVE_REDIS_URL", default=REDIS_URL)
LIVE_REDIS_CLUSTER = env.bool("LIVE_REDIS_CLUSTER", default=False)
if LIVE_REDIS_CLUSTER and not LIVE_REDIS_URL:
    raise ImproperlyConfigured("LIVE_REDIS_CLUSTER needs LIVE_REDIS_URL (or REDIS_URL).")
# Live money is computed at read time from the artist's listeners; the figures of an artist
# with at least this many are shared in Redis and computed again in the background once
# older than LIVE_READ_CACHE_SECONDS (0: never kept, always computed at read).
LIVE_READ_CACHE_LISTENERS = env.int("LIVE_READ_CACHE_LISTENERS", default=2000)
LIVE_READ_CACHE_SECONDS = env.float("LIVE_READ_CACHE_SECONDS", default=1.0)
# ... and dropped when nobody read them for this long (the next read computes them again).
LIVE_READ_CACHE_KEEP_SECONDS = env.float("LIVE_READ_CACHE_KEEP_SECONDS", default=60.0)

# Events this far in the future are refused (clock skew allowance).
STREAM_MAX_FUTURE_SECONDS = env.int("STREAM_MAX_FUTURE_SECONDS", default=300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
