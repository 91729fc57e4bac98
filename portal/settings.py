"""Settings for the portal, every one read from the environment (see DESIGN.md section 4)."""

import ipaddress
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
    "transfers",
    "messaging",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Issue 18: no signed-in response is cached; powerful browser features off (portal/headers.py).
    "portal.headers.PrivatePagesMiddleware",
    "portal.headers.PermissionsPolicyMiddleware",
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
# Issue 18: Argon2id at the minimum OWASP's Password Storage Cheat Sheet recommends
# (cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#argon2id): 19 MiB of
# memory, 2 passes, 1 lane. About 25 ms of CPU per sign-in instead of PBKDF2's 210 ms (the
# portal's capacity limit), and memory-hard against GPU cracking; Django's own Argon2 defaults
# (100 MiB, 8 lanes) would hold 100 MiB per gunicorn thread. portal/hashers.py reads these; a hash
# made with other numbers is re-made with these at its next sign-in.
PASSWORD_ARGON2_MEMORY_KIB = 19 * 1024
PASSWORD_ARGON2_TIME_COST = 2
PASSWORD_ARGON2_PARALLELISM = 1
# PBKDF2 stays second so existing hashes still sign in, and are re-made as Argon2id when they do.
PASSWORD_HASHERS = [
    "portal.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
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
# Issue 18: the reverse proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For
# names the client; a request from anywhere else is counted by its socket address, so a client
# reaching gunicorn directly cannot pick a new address per sign-in try (portal/client_address.py).
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES", ["127.0.0.0/8", "::1"])
try:
    [ipaddress.ip_network(proxy, strict=False) for proxy in TRUSTED_PROXIES]
except ValueError as exc:
    raise SystemExit(f"Configuration error: TRUSTED_PROXIES: {exc}.") from None

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

# Issue 17: the zone SmartISP's zone-less times are in (ticket answers' " May 30, 2026 13:30:50",
# naive "2024-04-02 19:00:15"). The reference's own example shows them in UTC, beside its "...Z"
# ticket times for the same moment; an install that prints local time sets its zone here.
SMARTISP_TIME_ZONE = envstr("SMARTISP_TIME_ZONE", "UTC")

# `make bench` only: serves the bare baseline view at /_bench/baseline (never in production).
BENCH_BASELINE = envbool("BENCH_BASELINE", False)

# Payments (DESIGN.md section 7).
PAYMENT_GATEWAY = envstr("PAYMENT_GATEWAY", "sandbox")
PAYMENT_WAY_TO_PAY = envstr("PAYMENT_WAY_TO_PAY", "")
PAYMENT_CURRENCY = "USD"
# Issue 14 (settlement and reconciler timings, seconds). A settlement worker holds a payment for
# PAYMENT_SETTLE_CLAIM_SECONDS from each SmartISP write it starts: keep it well above
# SMARTISP_TIMEOUT (a killed worker's payment waits that long for another). The reconciler
# re-queues a settlement or refund overdue by PAYMENT_RECONCILE_GRACE_SECONDS.
PAYMENT_SETTLE_CLAIM_SECONDS = envint("PAYMENT_SETTLE_CLAIM_SECONDS", 300)
PAYMENT_RECONCILE_GRACE_SECONDS = envint("PAYMENT_RECONCILE_GRACE_SECONDS", 60)
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

# Bank transfers and deposits (DESIGN.md sections 4 and 7). The provider's accounts, shown with
# copy buttons: "Bank|type|number|holder;…". Receipts are kept through Django's default storage:
# MEDIA_ROOT on disk, or an S3-compatible bucket (django-storages) with
# MEDIA_STORAGE_URL=s3://bucket/prefix (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
# another store's address in MEDIA_STORAGE_ENDPOINT). Never served by the web server: MEDIA_URL is
# routed nowhere; the portal's receipt view checks who asks.
PORTAL_BANK_ACCOUNTS = envstr("PORTAL_BANK_ACCOUNTS", "")
MEDIA_ROOT = envstr("MEDIA_ROOT", str(BASE_DIR / "media"))
MEDIA_URL = "/media/"
MEDIA_STORAGE_URL = envstr("MEDIA_STORAGE_URL", "")
if MEDIA_STORAGE_URL:
    _media = urlsplit(MEDIA_STORAGE_URL)
    if _media.scheme != "s3" or not _media.netloc:
        raise SystemExit(
            "Configuration error: MEDIA_STORAGE_URL must look like s3://bucket/prefix."
        )
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _media.netloc,
            "location": _media.path.strip("/"),
            "endpoint_url": envstr("MEDIA_STORAGE_ENDPOINT", "") or None,
            "region_name": envstr("MEDIA_STORAGE_REGION", "") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Codes and notices by phone (DESIGN.md section 10; messaging/). MESSAGING_BACKEND: whatsapp
# (Twilio SMS as its fallback when configured), twilio, console (prints to the log), or empty.
MESSAGING_BACKEND = envstr("MESSAGING_BACKEND", "console" if DEBUG else "").strip().lower()
MESSAGING_TIMEOUT = float(envstr("MESSAGING_TIMEOUT", "10"))
MESSAGING_CONNECT_TIMEOUT = float(envstr("MESSAGING_CONNECT_TIMEOUT", "3"))
PHONE_REGION = envstr("PHONE_REGION", "EC").upper()
WHATSAPP_API_URL = envstr("WHATSAPP_API_URL", "https://graph.facebook.com/v25.0").rstrip("/")
WHATSAPP_TOKEN = envstr("WHATSAPP_TOKEN", "")
WHATSAPP_PHONE_NUMBER_ID = envstr("WHATSAPP_PHONE_NUMBER_ID", "")
WHATSAPP_CODE_TEMPLATE = envstr("WHATSAPP_CODE_TEMPLATE", "")
WHATSAPP_NOTICE_TEMPLATE = envstr("WHATSAPP_NOTICE_TEMPLATE", "")
TWILIO_API_URL = envstr("TWILIO_API_URL", "https://api.twilio.com").rstrip("/")
TWILIO_ACCOUNT_SID = envstr("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = envstr("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM = envstr("TWILIO_FROM", "")
if MESSAGING_BACKEND == "whatsapp" and not (DEBUG or TESTING):
    for _name in ("WHATSAPP_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_CODE_TEMPLATE"):
        envrequired(_name, debug=False, demo_default="")
if MESSAGING_BACKEND == "twilio" and not (DEBUG or TESTING):
    for _name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM"):
        envrequired(_name, debug=False, demo_default="")

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

# Finish (issue 19): one date style per language (portal/formats/), and what the national id is
# called. PHONE_REGION (above) also reads the support contact's numbers (tel: and WhatsApp links).
FORMAT_MODULE_PATH = ["portal.formats"]
PORTAL_ID_LABEL = envstr("PORTAL_ID_LABEL", "cédula")
