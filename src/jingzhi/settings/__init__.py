"""Django settings, read from the environment once at start-up.

Variables (see docs/operations.md): JINGZHI_ENV, JINGZHI_SECRET_KEY,
JINGZHI_PII_KEY, JINGZHI_PII_INDEX_KEY, DATABASE_URL, MQTT_URL, REDIS_URL,
JINGZHI_TIME_ZONE, JINGZHI_DATA_DIR, JINGZHI_ALLOWED_HOSTS, JINGZHI_DEBUG.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from jingzhi.settings.env import (
    ConfigError,
    DatabaseConfig,
    dev_secret,
    env_bool,
    env_choice,
    env_int,
    env_str,
    env_time_zone,
    parse_database_url,
    parse_pii_keyring,
    parse_service_url,
)

PACKAGE_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Config:
    """Everything read from the environment, validated."""

    env: str
    production: bool
    data_dir: Path
    secret_key: str
    keyring: list[tuple[str, bytes]]
    index_key: bytes | None
    db: DatabaseConfig
    mqtt_url: str | None
    redis_url: str | None
    time_zone: str
    debug: bool
    allowed_hosts: list[str]
    login_failure_limit: int


def _load() -> Config:
    jz_env = env_choice("JINGZHI_ENV", "development", ("development", "test", "production"))
    production = jz_env == "production"
    data_dir = Path(env_str("JINGZHI_DATA_DIR", "./var") or "./var").expanduser().resolve()
    announce = not env_bool("JINGZHI_QUIET_DEV_KEYS", False)

    secret_key = env_str("JINGZHI_SECRET_KEY")
    pii_raw = env_str("JINGZHI_PII_KEY")
    if production:
        missing = [n for n, v in (("JINGZHI_SECRET_KEY", secret_key), ("JINGZHI_PII_KEY", pii_raw)) if not v]
        if missing:
            raise ConfigError("JINGZHI_ENV=production needs real keys; missing: " + ", ".join(missing))
        assert secret_key is not None
        if len(secret_key) < 40:
            raise ConfigError("JINGZHI_SECRET_KEY must be at least 40 characters in production")
    if not secret_key:
        secret_key = dev_secret(data_dir, "dev-secret-key", "secret", announce=announce)
    if not pii_raw:
        pii_raw = dev_secret(data_dir, "dev-pii-key", "pii", announce=announce)
    keyring = parse_pii_keyring("JINGZHI_PII_KEY", pii_raw)
    index_raw = env_str("JINGZHI_PII_INDEX_KEY")
    index_key = parse_pii_keyring("JINGZHI_PII_INDEX_KEY", index_raw)[0][1] if index_raw else None

    db_url = env_str("DATABASE_URL") or f"sqlite:///{data_dir / 'jingzhi.sqlite3'}"
    db = parse_database_url("DATABASE_URL", db_url, base_dir=Path.cwd())

    return Config(
        env=jz_env,
        production=production,
        data_dir=data_dir,
        secret_key=secret_key,
        keyring=keyring,
        index_key=index_key,
        db=db,
        mqtt_url=parse_service_url("MQTT_URL", env_str("MQTT_URL"), ("mqtt", "mqtts", "tcp")),
        redis_url=parse_service_url("REDIS_URL", env_str("REDIS_URL"), ("redis", "rediss")),
        time_zone=env_time_zone("JINGZHI_TIME_ZONE", "Asia/Shanghai"),
        debug=env_bool("JINGZHI_DEBUG", not production),
        allowed_hosts=[
            h.strip()
            for h in (env_str("JINGZHI_ALLOWED_HOSTS", "" if production else "*") or "").split(",")
            if h.strip()
        ],
        login_failure_limit=env_int("JINGZHI_LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=100),
    )


try:
    CONFIG = _load()
except ConfigError as exc:  # fail fast with a readable message, not a traceback
    print(f"jingzhi: configuration error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None

JINGZHI_ENV: str = CONFIG.env
JINGZHI_PRODUCTION: bool = CONFIG.production
JINGZHI_DATA_DIR: Path = CONFIG.data_dir
JINGZHI_PII_KEYRING: list[tuple[str, bytes]] = CONFIG.keyring
JINGZHI_PII_INDEX_KEY: bytes | None = CONFIG.index_key
JINGZHI_DATABASE: DatabaseConfig = CONFIG.db
MQTT_URL: str | None = CONFIG.mqtt_url
REDIS_URL: str | None = CONFIG.redis_url

SECRET_KEY: str = CONFIG.secret_key
DEBUG: bool = CONFIG.debug
ALLOWED_HOSTS: list[str] = CONFIG.allowed_hosts

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_htmx",
    "huey.contrib.djhuey",
    "jingzhi.core",
    "jingzhi.registry",
    "jingzhi.cases",
    "jingzhi.sensing",
    "jingzhi.squares",
    "jingzhi.cameras",
    "jingzhi.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jingzhi.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "jingzhi.core.middleware.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jingzhi.urls"
WSGI_APPLICATION = "jingzhi.wsgi.application"
ASGI_APPLICATION = "jingzhi.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jingzhi.core.context_processors.shell",
            ],
        },
    },
]

_db = JINGZHI_DATABASE
DATABASES: dict[str, dict[str, object]]
if _db.vendor == "sqlite":
    Path(_db.name).parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _db.name,
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _db.name,
            "USER": _db.user,
            "PASSWORD": _db.password,
            "HOST": _db.host,
            "PORT": _db.port,
            "OPTIONS": dict(_db.options or {}),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"

# Failed-login throttling (django-axes): lock a username+address pair after N failures.
AXES_FAILURE_LIMIT = CONFIG.login_failure_limit
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/lockout.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE: str = CONFIG.time_zone
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = JINGZHI_DATA_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = JINGZHI_DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Device events may carry a 2 MB snapshot inline (base64); larger requests are refused (and recorded).
DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = JINGZHI_PRODUCTION
CSRF_COOKIE_SECURE = JINGZHI_PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Background jobs: Huey on a SQLite file by default, Redis when REDIS_URL is set.
if REDIS_URL:
    HUEY: dict[str, object] = {"huey_class": "huey.RedisHuey", "name": "jingzhi", "url": REDIS_URL, "immediate": False}
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "jingzhi",
        "filename": str(JINGZHI_DATA_DIR / "jobs.sqlite3"),
        "immediate": False,
    }
if JINGZHI_ENV == "test":
    HUEY = {"huey_class": "huey.MemoryHuey", "name": "jingzhi-test", "immediate": True}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # The job consumer (run_huey) installs its own handler on "huey"; do not print twice.
    "loggers": {"jingzhi": {"level": "INFO"}, "huey": {"level": "INFO", "propagate": False}},
}
