"""One settings module for every environment; everything that differs comes from env vars.

See `.env.example` for each variable. With nothing set, the project runs on the embedded
defaults: SQLite and kombu's filesystem broker under `var/`, DEBUG off — and refuses to start
without DJANGO_SECRET_KEY unless DEBUG is on (`make run` turns it on). Nothing here asks whether
it runs under a test runner: the test run declares its environment (config/settings_test.py).
"""

import secrets
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
TIME_ZONE = env("DJANGO_TIME_ZONE", default="Asia/Shanghai")  # Django's and Celery's
# hashed static file names from `collectstatic`'s manifest (production); off in DEBUG and tests
STATIC_MANIFEST = env.bool("DJANGO_STATIC_MANIFEST", default=not DEBUG)


def _secret_key() -> str:
    """From the environment. Only a developer machine (DEBUG on) may go without one: it gets a key
    generated once and kept in var/. With DEBUG off a missing key stops the start-up, so a
    server never runs on a key nobody chose (and `check --deploy` cannot pass on one)."""
    key = env("DJANGO_SECRET_KEY", default="")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it in the environment or .env (see .env.example), "
            "or set DJANGO_DEBUG=1 on a developer machine (`make run` does)."
        )
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "core.admin_site.CrmAdminConfig",  # django.contrib.admin with the CRM's menu order (core/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # OpClass in index expressions (the trigram index); harmless on SQLite
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "simple_history",
    "axes",
    "csp",
    # project apps, lowest layer first (DESIGN.md "Which way imports go")
    "core",
    "users",
    "accounts",
    "tiering",
    "service_requests",
    "contracts",
    "visits",
    "opportunities",
    "reminders",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.middleware.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

_TEMPLATE_LOADERS = ["django.template.loaders.filesystem.Loader", "django.template.loaders.app_directories.Loader"]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            # production: each template is read and compiled once per process (the cached loader);
            # with DJANGO_DEBUG Django's default loaders reload a template when its file changes
            "loaders": _TEMPLATE_LOADERS if DEBUG else [("django.template.loaders.cached.Loader", _TEMPLATE_LOADERS)],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "core.context_processors.navigation",
                "reminders.context_processors.notifications",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections; Django requires 0 here
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN", default=1),
        "max_size": env.int("DB_POOL_MAX", default=10),
        "timeout": 10,
    }
    # the pool checks each connection on checkout (Django passes psycopg's
    # `ConnectionPool.check_connection` as the pool's `check`): a connection killed while idle
    # (database restart, pg_terminate_backend, a firewall) is replaced, not handed to a request
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # PostgreSQL compiles any query its planner costs above 100,000 (the calendar of a busy team
    # leader, the dashboard's figures at a million accounts): 150-200 ms of compiling for a query
    # that runs in a few hundred. The CRM's queries are short; DB_JIT=on gives it back.
    if env("DB_JIT", default="off") == "off":
        options = DATABASES["default"]["OPTIONS"]
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
else:
    # WAL and immediate transactions let web, worker and beat share the file without
    # "database is locked" errors.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": 20}
    )
    # covering indexes (INCLUDE) are a PostgreSQL speed-up; SQLite builds them without the extra
    # columns, which is all the embedded default needs
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, broker, Celery ----------------------------------------------------------------
# The longest a task may run (the tier recompute is the longest: about 7 s per 100,000 accounts);
# the hard limit kills it, the soft one lets it record the failure first.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
# Redis redelivers an unacknowledged task after this: the longest task plus a margin
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 5 * 60)
# a job or lock whose holder made no progress for this long counts as abandoned (worker killed)
JOB_ABANDONED_AFTER_SECONDS = env.int("JOB_ABANDONED_AFTER_SECONDS", default=5 * 60)
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # Redis down = cache misses, not errors (sessions fall back to the database)
    CACHES = {"default": {"BACKEND": "core.cache.ResilientRedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # a task not acknowledged this long after delivery (its worker died) is delivered again;
        # longer than the longest task may run, or a slow task would run twice
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        # look for such tasks every 10 s (kombu's default is about every 100 s)
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
        "socket_connect_timeout": 2,
        "socket_timeout": 10,
        "socket_keepalive": True,
        "health_check_interval": 25,
    }
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 10}
    CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
    CELERY_REDIS_SOCKET_TIMEOUT = 10
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    BROKER_DIR = VAR_DIR / "broker"
    for sub in ("out", "processed", "results", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "out"),
        "data_folder_out": str(BROKER_DIR / "out"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),  # kombu's default is ./control
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{BROKER_DIR / 'results'}"
    # the filesystem transport has no fan-out exchange for remote control
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False

# sending from a web request fails within about a second when the broker is down
CELERY_BROKER_CONNECTION_TIMEOUT = 1.5
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True  # a crashed worker's task is delivered again
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_TIMEZONE = TIME_ZONE  # beat's crontab hours are the project's local hours
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE = {
    # on the minute, so two beat processes send within the same period key (one run)
    "heartbeat": {"task": "core.tasks.heartbeat", "schedule": crontab(minute="*")},
    # the dashboard figures shared by everyone who sees every account, counted before anyone asks
    "reports-company-figures": {"task": "reports.tasks.keep_company_figures", "schedule": crontab(minute="*")},
    "core-purge-expired": {"task": "core.tasks.purge_expired", "schedule": crontab(hour=3, minute=40)},
    "contracts-status-sweep": {
        "task": "contracts.tasks.sweep_contract_statuses",
        "schedule": crontab(hour=1, minute=10),
    },
    # quotes past their validity date: expired in the first minutes of the (local) day
    "opportunities-quote-expiry": {
        "task": "opportunities.tasks.expire_quotes",
        "schedule": crontab(hour=0, minute=20),
    },
    "service-requests-escalations": {"task": "service_requests.tasks.sweep_escalations", "schedule": 300.0},
    "tiering-nightly-recompute": {
        "task": "tiering.tasks.recompute_tiers_nightly",
        "schedule": crontab(hour=2, minute=30),
    },
    # reminders (reminders/rules.py): the date-based rules each morning (after the nightly jobs),
    # the service-request ones every five minutes, delivery of the ledger every minute (it also
    # picks up rows a dead worker left unsent), the digest each evening, webhooks every minute
    "reminders-daily-sweep": {"task": "reminders.tasks.sweep_daily", "schedule": crontab(hour=7, minute=30)},
    "reminders-frequent-sweep": {"task": "reminders.tasks.sweep_frequent", "schedule": 300.0},
    "reminders-deliver": {"task": "reminders.tasks.deliver_notifications", "schedule": 60.0},
    "reminders-digest": {"task": "reminders.tasks.send_digests", "schedule": crontab(hour=18, minute=0)},
    "reminders-webhooks": {"task": "reminders.tasks.collect_webhook_events", "schedule": 60.0},
}

# --- contracts ----------------------------------------------------------------------------
# late fee: percent of the overdue amount per day (0.05 = 0.05 % a day); the cap is a percent of
# the installment (empty: no cap); days of grace after the due date; the expiring window in days
CONTRACTS_LATE_FEE_RATE_PERCENT = env("CONTRACTS_LATE_FEE_RATE_PERCENT", default="0.05")
CONTRACTS_LATE_FEE_CAP_PERCENT = env("CONTRACTS_LATE_FEE_CAP_PERCENT", default="") or None
CONTRACTS_GRACE_DAYS = env.int("CONTRACTS_GRACE_DAYS", default=0)
CONTRACTS_EXPIRING_DAYS = env.int("CONTRACTS_EXPIRING_DAYS", default=30)
CONTRACTS_DOCUMENT_MAX_MB = env.int("CONTRACTS_DOCUMENT_MAX_MB", default=20)
CONTRACTS_DEFAULT_APPROVER_ROLE = "Sales director"
# a quote line discounted above this percent needs a sales director's approval
OPPORTUNITIES_DISCOUNT_LIMIT_PERCENT = env("OPPORTUNITIES_DISCOUNT_LIMIT_PERCENT", default="10")

# --- auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "users.auth.PersonBackend",  # passwords for people; service accounts use API tokens only
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_RESET_ON_SUCCESS = True
# failures while locked out do not extend the lockout (else anyone could keep a user out for good)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# the client's address behind the TLS proxy: how many proxies in front of us append to
# X-Forwarded-For (0: none, the connection's address is the client's)
TRUSTED_PROXIES = env.int("DJANGO_TRUSTED_PROXIES", default=0)
AXES_CLIENT_IP_CALLABLE = "users.auth.axes_client_ip"
# API tokens expire this many days after they were made or last rotated (admin: Tokens)
TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=90)

# --- i18n ---------------------------------------------------------------------------------
LANGUAGE_CODE = env("DJANGO_LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
FORMAT_MODULE_PATH = ["config.formats"]  # zh-hans amounts with thousands separators
CRM_CURRENCY = env("CRM_CURRENCY", default="CNY")  # the currency amounts are recorded in (core.money)
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
PHONENUMBER_DEFAULT_REGION = "CN"

# --- static -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=VAR_DIR / "media")
SERVICE_REQUEST_MAX_UPLOAD_MB = env.int("SERVICE_REQUEST_MAX_UPLOAD_MB", default=10)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if not STATIC_MANIFEST
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

# --- security (safe unless DEBUG is asked for) ---------------------------------------------
_secure = not DEBUG
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=_secure)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=_secure)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000 if _secure else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_HTTPONLY = True
# sessions are read from the cache (Redis in production) and written through to the database:
# no session query on most requests, and sign-out still ends the session server-side
SESSION_ENGINE = "core.sessions"
# the dashboard's figures over many accounts are kept this long per user (the page says "as of")
FIGURES_CACHE_SECONDS = env.int("FIGURES_CACHE_SECONDS", default=60)
# the account list, 360° page and list API are kept per user until any write (core.response_cache);
# only with a cache all processes share (Redis), so off by default without REDIS_URL
RESPONSE_CACHE_SECONDS = env.int("RESPONSE_CACHE_SECONDS", default=60 if REDIS_URL else 0)
SESSION_CACHE_SECONDS = 300  # a sign-out during a Redis outage takes effect within this after it
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): our own files only; no inline script, handler or style
# attribute anywhere (pages declare behaviour with data attributes, static/js/app.js does it)
SELF = "'self'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # Bootstrap's and Swagger UI's icons are data: URIs
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": ["'none'"],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True

EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="crm@localhost")
# the address people open the CRM at: the links in reminder e-mails start with it
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # token first, so a bad token answers 401 with WWW-Authenticate
        "users.auth.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # the role table decides (users/roles.py); a view without a model names `required_perms`
    "DEFAULT_PERMISSION_CLASSES": ["users.permissions.CrmModelPermission"],
    # the API speaks JSON only: one request body per operation in the schema, one client to generate
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_FILTER_BACKENDS": [
        "core.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    # no full count per request (?count=true asks for a capped one); ?page_size= up to 200
    "DEFAULT_PAGINATION_CLASS": "core.api.ApiPagination",
    "DEFAULT_RENDERER_CLASSES": [
        "core.api.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.schema.CrmAutoSchema",
    # on the cache (Redis in production): per token, and failed token sign-ins per client address
    "DEFAULT_THROTTLE_CLASSES": ["users.auth.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env("API_RATE_PER_TOKEN", default="1200/min"),
        "failed_auth": env("API_FAILED_AUTH_RATE", default="30/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Key-account CRM API",
    "DESCRIPTION": (
        "Accounts, contacts, revenue records, tiers and more. Browsers authenticate with the "
        "session; integrations send `Authorization: Token <key>` for a service-account user."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # links from each create to its object's operations (stateful clients, schemathesis)
        "core.schema.link_creates_to_their_objects",
    ],
    "ENUM_NAME_OVERRIDES": {
        "TierEnum": "accounts.models.Tier",
        # a stable name for generated clients (the bulk row and the single record share it)
        "TransactionKindEnum": "accounts.models.Transaction.Kind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}

# demo users: password from env, else generated and printed once by seed_demo
DEMO_PASSWORD = env("DEMO_PASSWORD", default="")
