"""Settings for the portal, every one read from the environment (see DESIGN.md section 4)."""

import re
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE

from portal.env import envbool, envint, envlist, envrequired, envstr, load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
# PORTAL_ENV_FILE names another file, or none when empty (tests of production settings).
load_dotenv(Path(envstr("PORTAL_ENV_FILE", str(BASE_DIR / ".env"))))

DEBUG = envbool("DEBUG", False)
TESTING = envbool("PORTAL_TESTING", "pytest" in sys.modules)

SECRET_KEY = envrequired(
    "SECRET_KEY", debug=DEBUG or TESTING, demo_default="insecure-demo-key-only-for-debug"
)

PORTAL_URL = envstr("PORTAL_URL", "http://127.0.0.1:8000").rstrip("/")
PORTAL_NAME = envstr("PORTAL_NAME", "Mi ISP")
PORTAL_SUPPORT_CONTACT = envstr("PORTAL_SUPPORT_CONTACT", "")
PORTAL_PRIMARY_COLOR = envstr("PORTAL_PRIMARY_COLOR", "#0b5cad")
if not re.fullmatch(r"#[0-9a-fA-F]{6}", PORTAL_PRIMARY_COLOR):
    raise SystemExit("Configuration error: PORTAL_PRIMARY_COLOR must look like #0b5cad.")
PORTAL_LOGO = envstr("PORTAL_LOGO", "")

_portal = urlsplit(PORTAL_URL)
_portal_host = _portal.hostname or "127.0.0.1"
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", [_portal_host, "localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [f"{_portal.scheme}://{_portal.netloc}"])

HTTPS_ONLY = envbool("HTTPS_ONLY", not (DEBUG or TESTING))
if HTTPS_ONLY:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# PayPhone checks the Referer's origin against the registered domain; other sites get the origin
# only, never a path (a payment page's path holds its reference). See docs/gateways.md.
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    # billing before django_tasks_db: its `db_worker` (which also runs the payments reconciler)
    # shadows the plain one, as Django runs the first app's command of a name.
    "billing",
    "django_tasks",
    "django_tasks_db",
    "portal",
    "accounts",
    "support",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.middleware.SmartISPErrorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "csp.context_processors.nonce",
                "portal.context_processors.portal",
            ],
            "builtins": ["django.templatetags.i18n", "django.templatetags.static"],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the task worker share the file: wait for locks instead of failing, and
    # take the write lock at BEGIN so a transaction never has to upgrade (and deadlock) mid-way.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHE_URL = envstr("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            # Django's RedisCache, reusing its Redis client (see portal/redis_cache.py).
            "BACKEND": "portal.redis_cache.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": envstr("CACHE_KEY_PREFIX", "portal"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# One cache every process sees (Redis), or one per process (local memory): what one process drops
# from a shared cache is gone for all, so kept pages need not ask the ledger (billing/views.py).
CACHE_SHARED = CACHES["default"]["BACKEND"].endswith("RedisCache")
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # The IP-wide failure limit (axes has one limit, the DNI+IP pair's); see accounts/lockout.py.
    "accounts.backends.IPLockoutBackend",
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, with the signed-in account read from the cache (accounts/backends.py).
    "accounts.backends.CachedModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Activation and reset links live 30 minutes (DESIGN.md section 5).
PASSWORD_RESET_TIMEOUT = 30 * 60

# Lockout: 5 failures for one DNI from one IP lock that pair; a higher limit per IP alone.
AXES_FAILURE_LIMIT = 5
AXES_IP_FAILURE_LIMIT = envint("AXES_IP_FAILURE_LIMIT", 50)
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "dni"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
# Axes sees the normalised DNI ("0102 030405" is "0102030405"), the client's address behind the
# proxy, and a refused attempt does not extend the lock (the 429 page's time stays true).
AXES_USERNAME_CALLABLE = "accounts.lockout.axes_username"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HANDLER = (
    "axes.handlers.cache.AxesCacheHandler"
    if CACHE_SHARED
    else "axes.handlers.database.AxesDatabaseHandler"
)
if envbool("BEHIND_PROXY", HTTPS_ONLY):
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

LANGUAGE_CODE = envstr("LANGUAGE_CODE", "es")
LANGUAGES = [("es", "Español"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = envstr("TIME_ZONE", "America/Guayaquil")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Where collectstatic puts the files whitenoise serves (`make demo` uses its own, under .demo/).
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not (DEBUG or TESTING)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_MAX_AGE = 31536000 if not DEBUG else 0

# SmartISP: the system of record. The demo points at the sandbox of portal/sandbox/.
SMARTISP_URL = envrequired(
    "SMARTISP_URL", debug=DEBUG or TESTING, demo_default="http://127.0.0.1:8001/api/SmartIPS-v1/"
)
SMARTISP_API_KEY = envrequired(
    "SMARTISP_API_KEY", debug=DEBUG or TESTING, demo_default="sandbox-key"
)
SMARTISP_TIMEOUT = float(envstr("SMARTISP_TIMEOUT", "10"))
SMARTISP_CONNECT_TIMEOUT = float(envstr("SMARTISP_CONNECT_TIMEOUT", "3"))
SMARTISP_CACHE_SECONDS = envint("SMARTISP_CACHE_SECONDS", 60)

# `make bench` only: serves the bare baseline view at /_bench/baseline (never in production).
BENCH_BASELINE = envbool("BENCH_BASELINE", False)

# Payments (DESIGN.md section 7).
PAYMENT_GATEWAY = envstr("PAYMENT_GATEWAY", "sandbox")
PAYMENT_WAY_TO_PAY = envstr("PAYMENT_WAY_TO_PAY", "")
PAYMENT_CURRENCY = "USD"
SANDBOX_GATEWAY_URL = envstr("SANDBOX_GATEWAY_URL", "http://127.0.0.1:8002").rstrip("/")
SANDBOX_GATEWAY_SECRET = envstr("SANDBOX_GATEWAY_SECRET", "sandbox-secret")
PAYPHONE_TOKEN = envstr("PAYPHONE_TOKEN", "")
PAYPHONE_STORE_ID = envstr("PAYPHONE_STORE_ID", "")
STRIPE_SECRET_KEY = envstr("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = envstr("STRIPE_WEBHOOK_SECRET", "")
if PAYMENT_GATEWAY == "payphone" and not (DEBUG or TESTING):
    envrequired("PAYPHONE_TOKEN", debug=False, demo_default="")
    envrequired("PAYPHONE_STORE_ID", debug=False, demo_default="")
if PAYMENT_GATEWAY == "stripe" and not (DEBUG or TESTING):
    envrequired("STRIPE_SECRET_KEY", debug=False, demo_default="")
    envrequired("STRIPE_WEBHOOK_SECRET", debug=False, demo_default="")

_gateway_origins = {
    "sandbox": [SANDBOX_GATEWAY_URL],
    "payphone": ["https://pay.payphonetodoesposible.com"],
    "stripe": ["https://checkout.stripe.com"],
}.get(PAYMENT_GATEWAY, [])

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

ADMINS = [("", email) for email in envlist("ADMINS")]
MANAGERS = ADMINS

DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", f"{PORTAL_NAME} <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = envstr(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = envstr("EMAIL_FILE_PATH", str(BASE_DIR / "sent-emails"))
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "manifest-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        # A pay form's 303 goes to the gateway: browsers check redirects after a form against this.
        "form-action": ["'self'", *_gateway_origins],
    }
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "axes": {"level": "WARNING"},
    },
}

# Outside production the stylesheet and scripts are served straight from static/.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG

# Finish (issue 19): one date style per language (portal/formats/), what the national id is
# called, how support phone numbers without a country code are read (tel: and WhatsApp links).
FORMAT_MODULE_PATH = ["portal.formats"]
PORTAL_ID_LABEL = envstr("PORTAL_ID_LABEL", "cédula")
PHONE_REGION = envstr("PHONE_REGION", "EC").upper()
