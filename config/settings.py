"""DentalBridge settings: one module, driven by environment variables (DESIGN.md §4).

Profiles (``DENTALBRIDGE_PROFILE``):
- ``embedded`` (default): SQLite in WAL mode, files in a local folder, database task queue, mail
  to the console. Needs no variables at all; the secret key is generated once into the data dir.
- ``test``: chosen automatically under pytest; immediate tasks, in-memory mail, fast hashing.
- ``production``: PostgreSQL, S3-compatible storage, HTTPS only; ``SECRET_KEY``,
  ``ALLOWED_HOSTS`` and ``DATABASE_URL`` are required and ``manage.py check --deploy`` is clean.

Every variable is read through ``config.env`` so a malformed value stops the boot with a message.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from config.env import (
    env_bool,
    env_choice,
    env_database,
    env_email,
    env_int,
    env_list,
    env_retention_overrides,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

PROFILE = env_choice(
    "DENTALBRIDGE_PROFILE",
    "test" if os.environ.get("PYTEST_VERSION") else "embedded",
    ("embedded", "test", "production"),
)
PRODUCTION = PROFILE == "production"
TESTING = PROFILE == "test"

DATA_DIR = Path(env_str("DENTALBRIDGE_DATA_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("DJANGO_DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in the production profile.")


def _embedded_secret_key() -> str:
    """The embedded profile keeps a generated key in the data dir, so it needs no variables."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


if PRODUCTION:
    SECRET_KEY = env_str("SECRET_KEY")
elif TESTING:
    SECRET_KEY = env_str("SECRET_KEY", "test-only-" + "x" * 50)
else:
    SECRET_KEY = env_str("SECRET_KEY", None) or _embedded_secret_key()
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long.")

ALLOWED_HOSTS = (
    env_list("ALLOWED_HOSTS", [])
    if PRODUCTION
    else env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required in the production profile.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The public address used in e-mails (invitation links).
SITE_URL = env_str("SITE_URL") if PRODUCTION else env_str("SITE_URL", "http://127.0.0.1:8000")
SITE_URL = SITE_URL.rstrip("/")
if PRODUCTION and not SITE_URL.startswith("https://"):
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} must be an https:// address in production.")

INSTALLED_APPS = [
    "django_countries",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.usersessions",
    "rest_framework",
    "drf_spectacular",
    # Before django_tasks_db: its ``db_worker`` command is core's, which registers the worker
    # and cleans up after killed ones (core.workers).
    "dentalbridge.core",
    "django_tasks_db",
    "crontask",
    "dentalbridge.accounts",
    "dentalbridge.organizations",
    "dentalbridge.patients",
    "dentalbridge.privacy",
    "dentalbridge.gdpr",
    "dentalbridge.messaging",
    "dentalbridge.api",
    "dentalbridge.files",
    "dentalbridge.orders",
    "dentalbridge.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Every 429 says when to come back (allauth's own limits do not).
    "dentalbridge.core.middleware.RetryAfterMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dentalbridge.accounts.middleware.UserLanguageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dentalbridge.organizations.middleware.PrincipalMiddleware",
    "dentalbridge.accounts.middleware.RequireSecondFactorMiddleware",
    # Last, so it sees a view's domain error first: the one error path of HTML pages.
    "dentalbridge.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "dentalbridge" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dentalbridge.organizations.context_processors.principal",
                "dentalbridge.gdpr.context_processors.cookie_consent",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
_default_db = f"sqlite:///{DATA_DIR / 'dentalbridge.sqlite3'}"
DATABASES = {"default": env_database("DATABASE_URL", _default_db)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE transactions take the write lock up
    # front, so the audit chain's read-last-then-append cannot interleave with another writer.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    if not TESTING:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, sessions index) -------------------------------------------------------
_cache_url = env_str("CACHE_URL", "locmem://" if TESTING else "db://")
if _cache_url.startswith("redis://") or _cache_url.startswith("rediss://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
        }
    }
elif _cache_url == "db://":
    # Shared by every worker process, so rate limits hold across the app tier.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "dentalbridge_cache",
        }
    }
elif _cache_url == "locmem://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(f"CACHE_URL={_cache_url!r}: use db://, locmem:// or redis://host.")

# --- Files ------------------------------------------------------------------------------------
STORAGE_BACKEND = env_choice("STORAGE_BACKEND", "s3" if PRODUCTION else "local", ("local", "s3"))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media/"
if STORAGE_BACKEND == "s3":
    _default_storage: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET"),
            "endpoint_url": env_str("S3_ENDPOINT_URL", None),
            "region_name": env_str("S3_REGION", "us-east-1"),
            "access_key": env_str("S3_ACCESS_KEY_ID", None),
            "secret_key": env_str("S3_SECRET_ACCESS_KEY", None),
            "signature_version": "s3v4",
            "addressing_style": "path",
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
            "client_config_kwargs": {
                "request_checksum_calculation": "when_required",
                "response_checksum_validation": "when_required",
            },
        },
    }
    _default_storage["OPTIONS"] = {
        k: v for k, v in _default_storage["OPTIONS"].items() if v is not None or k == "default_acl"
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    }
# Patient files (FIL-2): one storage per data region, so a tenant's files stay in its region.
# Local: a folder per region under MEDIA_ROOT/files. S3: the bucket S3_BUCKET_<REGION> if set,
# else S3_BUCKET with the region as prefix. Regions not listed in FILE_REGIONS refuse uploads.
FILE_REGIONS = env_list("FILE_REGIONS", ["eu", "ch", "uk", "us", "cn"])


def _region_storage(region: str) -> dict:
    if STORAGE_BACKEND == "s3":
        options = dict(_default_storage["OPTIONS"])
        bucket = env_str(f"S3_BUCKET_{region.upper()}", None)
        if bucket:
            options["bucket_name"] = bucket
        else:
            options["location"] = f"files/{region}"
        return {"BACKEND": _default_storage["BACKEND"], "OPTIONS": options}
    return {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT / "files" / region, "base_url": None},
    }


# Envelope encryption (FIL-2): master keys (Fernet, newest first, "id:key" pairs) wrap each
# tenant's key, which wraps each patient's age identity. Production must supply them
# (FILES_MASTER_KEYS or FILES_MASTER_KEYS_FILE); embedded/test runs keep one in DATA_DIR.
FILES_MASTER_KEYS = env_str("FILES_MASTER_KEYS") if PRODUCTION else env_str("FILES_MASTER_KEYS", "")
FILES_MASTER_KEY_FILE = DATA_DIR / "files-master.key"
# The audit chain (PRV-6) is keyed: HMAC-SHA256 with keys the database never holds ("id:key"
# pairs, urlsafe base64 of 32 random bytes, newest first; older ids keep verifying the rows they
# signed). Production supplies AUDIT_KEYS; embedded/test runs keep one in DATA_DIR. Signed
# checkpoints (the last seq and hash) go to AUDIT_CHECKPOINT_FILE, outside the database: an
# append-only place an operator chooses, by default a file in DATA_DIR.
AUDIT_KEYS = env_str("AUDIT_KEYS") if PRODUCTION else env_str("AUDIT_KEYS", "")
AUDIT_KEY_FILE = DATA_DIR / "audit.key"
# Rows 1..N of a log begun before the chain was keyed verify as plain SHA-256 (an upgrade: set it
# to the seq verify_audit reported before); any other row without a key id is a finding.
AUDIT_UNKEYED_ROWS = env_int("AUDIT_UNKEYED_ROWS", 0, minimum=0)
AUDIT_CHECKPOINT_FILE = Path(
    env_str("AUDIT_CHECKPOINT_FILE", str(DATA_DIR / "audit-checkpoints.jsonl"))
)
FILES_QUOTA_BYTES = env_int("FILES_QUOTA_BYTES", 50 * 1024**3, minimum=0)
FILES_UPLOAD_EXPIRES_HOURS = env_int("FILES_UPLOAD_EXPIRES_HOURS", 24, minimum=1)
FILES_DOWNLOAD_LINK_SECONDS = env_int("FILES_DOWNLOAD_LINK_SECONDS", 300, minimum=10)
# Uploads up to this size are checked before the last PATCH is answered (a refusal is a 4xx);
# bigger ones by the intake task, which shows a refusal on the file.
# The worker's deep check of a file (files.intake.validate in the sandbox): wall-clock seconds and
# memory on top of what its process starts with. A file that needs more is kept, "stored — not
# checked", and shared only after a dentist's confirmation: raise them for very large scans.
FILES_VALIDATE_TIMEOUT = env_int("FILES_VALIDATE_TIMEOUT", 120, minimum=1)
FILES_VALIDATE_MEMORY_MB = env_int("FILES_VALIDATE_MEMORY_MB", 2048, minimum=64)
FILES_SYNC_CHECK_BYTES = env_int("FILES_SYNC_CHECK_BYTES", 512 * 1024**2, minimum=0)
# A file's intake holds a lease on it, renewed while it works (at least every third of the
# lease); a lease left to expire (its worker was killed) lets the next sweep start it again.
FILES_INTAKE_LEASE_SECONDS = env_int("FILES_INTAKE_LEASE_SECONDS", 120, minimum=1)
# Task workers refresh their beat this often; one silent for WORKER_SILENT_SECONDS is gone and
# its running tasks are marked failed (core.workers).
WORKER_BEAT_SECONDS = env_int("WORKER_BEAT_SECONDS", 30, minimum=1)
WORKER_SILENT_SECONDS = env_int("WORKER_SILENT_SECONDS", 120, minimum=2)

STORAGES = {
    "default": _default_storage,
    **{f"files-{region}": _region_storage(region) for region in FILE_REGIONS},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
STATIC_URL = "/static/"
# Tests and debugging serve the built front end straight from frontend/dist (no collectstatic).
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = TESTING or DEBUG
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "frontend" / "dist"]
MAX_PROFILE_PHOTO_BYTES = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Background work --------------------------------------------------------------------------
TASKS_BACKEND = env_choice(
    "TASKS_BACKEND", "immediate" if TESTING else "database", ("database", "immediate")
)
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if TASKS_BACKEND == "database"
            else "django.tasks.backends.immediate.ImmediateBackend"
        ),
        "QUEUES": ["default", "email", "files"],
    }
}

# Schedules (retention purges) run from `manage.py crontask`; with several app servers, give it a
# Redis lock so only one schedules.
CRONTASK = {"REDIS_URL": env_str("CRONTASK_REDIS_URL", None)}

# --- Mail -------------------------------------------------------------------------------------
MAILERS = {
    "default": env_email(
        "EMAIL_URL",
        "locmem://" if TESTING else ("smtp://localhost:25" if PRODUCTION else "console://"),
    )
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "DentalBridge <no-reply@dentalbridge.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Accounts ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING and not env_bool("TEST_REAL_HASHER", False):
    # Argon2 is deliberately slow; tests that check the real hasher set TEST_REAL_HASHER.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_ADAPTER = "dentalbridge.accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# allauth's forms, with an e-mail field whose refusals say why (accounts.forms).
ACCOUNT_FORMS = {
    "signup": "dentalbridge.accounts.forms.SignupForm",
    "add_email": "dentalbridge.accounts.forms.AddEmailForm",
    "reset_password": "dentalbridge.accounts.forms.ResetPasswordForm",
}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_SESSION_REMEMBER = None  # the user chooses "remember me" (ACC-3)
ACCOUNT_PREVENT_ENUMERATION = True
# Tell people by e-mail when their password, e-mail or second factor changes.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[DentalBridge] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
ACCOUNT_RATE_LIMITS = {
    # Per IP and per account: guessing a password or flooding resets is slowed down (ACC-3).
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "DentalBridge"
MFA_TOTP_TOLERANCE = 1  # one 30-second step either way: phone clocks drift
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION
MFA_RECOVERY_CODE_COUNT = 10
# Tracking "last seen" writes to the database on every signed-in request (measured: 5 extra
# queries and a write lock per page view); the session list shows start, IP and browser.
USERSESSIONS_TRACK_ACTIVITY = False
USERSESSIONS_ADAPTER = "dentalbridge.accounts.adapters.UserSessionsAdapter"
SOCIALACCOUNT_ADAPTER = "dentalbridge.accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_PROVIDERS = {}
for _provider, _scope in (("google", ["profile", "email"]), ("facebook", ["email"])):
    _client_id = env_str(f"{_provider.upper()}_CLIENT_ID", "")
    if _client_id:
        SOCIALACCOUNT_PROVIDERS[_provider] = {
            "APPS": [
                {
                    "client_id": _client_id,
                    "secret": env_str(f"{_provider.upper()}_CLIENT_SECRET"),
                    "key": "",
                }
            ],
            "SCOPE": _scope,
        }
        # A provider's routes exist only when the operator configured its keys.
        INSTALLED_APPS.insert(
            INSTALLED_APPS.index("allauth.socialaccount") + 1,
            f"allauth.socialaccount.providers.{_provider}",
        )

# --- Sessions and cookies ---------------------------------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = int(timedelta(days=14).total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
if PRODUCTION:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# --- Security headers -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 63_072_000, minimum=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("BEHIND_TLS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Strict CSP: our own scripts only, no inline script, no eval (NFR-2).
SECURE_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# Scripts that need consent (PRV-2): rendered into pages only for visitors who agreed to their
# category in the cookie settings. Empty: the platform asks nothing and loads nothing.
CONSENT_SCRIPTS = {
    "analytics": env_str("ANALYTICS_SCRIPT_URL", ""),
    "marketing": env_str("MARKETING_SCRIPT_URL", ""),
}
for _script in CONSENT_SCRIPTS.values():
    if _script.startswith("https://"):
        SECURE_CSP["script-src"].append("https://" + _script.removeprefix("https://").split("/")[0])
if STORAGE_BACKEND == "s3" and env_str("S3_ENDPOINT_URL", None):
    SECURE_CSP["img-src"].append(env_str("S3_ENDPOINT_URL"))

# --- Internationalisation (NFR-4) ---------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch")), ("it", _("Italian")), ("ro", _("Romanian"))]
LOCALE_PATHS = [BASE_DIR / "dentalbridge" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- API ----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "dentalbridge.accounts.authentication.TokenAuthentication",
        "dentalbridge.accounts.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "dentalbridge.api.negotiation.JSONWhenUnsatisfiable",
    "DEFAULT_PARSER_CLASSES": ["dentalbridge.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "dentalbridge.api.pagination.Pagination",
    "EXCEPTION_HANDLER": "dentalbridge.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DentalBridge API",
    "DESCRIPTION": (
        "REST API of DentalBridge for scanners, CAD software and integrators. Authenticate with a "
        "personal access token (`Authorization: Bearer dbp_…`), scoped to one organization."
    ),
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "OrganizationKindEnum": "dentalbridge.organizations.models.OrganizationKind.choices",
        "RecordItemKindEnum": "dentalbridge.patients.models.RecordItemKind.choices",
        "RoleEnum": "dentalbridge.organizations.models.Role.choices",
        "FileRoleEnum": "dentalbridge.files.models.AssetRole.choices",
        "FileStatusEnum": "dentalbridge.files.models.AssetStatus.choices",
        "JawEnum": "dentalbridge.files.models.Jaw.choices",
        "OrderStateEnum": "dentalbridge.orders.workflow.OrderState.choices",
        "OrderStepEnum": "dentalbridge.orders.workflow.Transition.choices",
        "RestorationTypeEnum": "dentalbridge.orders.prescription.RestorationType.choices",
        "MaterialEnum": "dentalbridge.orders.prescription.Material.choices",
        "ArchEnum": "dentalbridge.orders.prescription.Arch.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "dentalbridge.api.schema.document_malformed_requests",
    ],
    "LICENSE": {"name": "AGPL-3.0-or-later"},
}

# --- Logging (structured, no patient data) -------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.security.DisallowedHost": {"level": "ERROR"}},
}

# --- Domain settings ------------------------------------------------------------------------------
INVITATION_VALID_FOR = timedelta(days=env_int("INVITATION_VALID_DAYS", 7, minimum=1))
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365, minimum=1)
# REC-5: a deleted patient can be restored for this many days, then the record is purged…
PATIENT_RESTORE_DAYS = env_int("PATIENT_RESTORE_DAYS", 30, minimum=1)
# Retention periods come from the processing register (dentalbridge/privacy/purposes.py); the
# operator overrides them where its counsel says otherwise, per rule and country:
# RETENTION_OVERRIDES="medical_archive:NL=20y,IT=10y,*=10y;communications:*=30d".
RETENTION_OVERRIDES = env_retention_overrides("RETENTION_OVERRIDES")
# Every erasure is appended here too, outside the database, so that it is replayed after a backup
# taken before it is restored (`manage.py replay_erasures`). Keep it on storage that is backed up
# apart from the database, and never restored from an older copy.
ERASURE_LOG = Path(env_str("ERASURE_LOG", str(DATA_DIR / "erasure-log.jsonl")))
# Failed API tokens per client address and minute before that address's failing tokens are
# answered 429 (ACC-3): high, since a practice's clients share one address behind a NAT; a valid
# token is never refused, and the same wrong token is refused after 5 a minute in any case.
API_TOKEN_FAILURES_PER_MINUTE = env_int("API_TOKEN_FAILURES_PER_MINUTE", 300, minimum=1)

# Client IPs for audit and rate limits: how many reverse proxies in front add X-Forwarded-For.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
