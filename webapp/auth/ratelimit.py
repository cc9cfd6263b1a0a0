"""Failed-login throttling in Redis, shared by every web process."""
from flask import current_app

from webapp.common.queues import redis_connection


def _key(ip, email):
    return f"mailroom:login-failures:{ip}:{email.lower()}"


def _ip_key(ip):
    return f"mailroom:login-failures:{ip}"


def is_locked_out(ip, email):
    limit = current_app.config["LOGIN_ATTEMPTS_PER_WINDOW"]
    r = redis_connection()
    # Per address and, more loosely, per IP, so one IP cannot spray many accounts.
    per_account, per_ip = r.mget(_key(ip, email), _ip_key(ip))
    return int(per_account or 0) >= limit or int(per_ip or 0) >= limit * 4


def record_failure(ip, email):
    window = current_app.config["LOGIN_WINDOW_SECONDS"]
    pipe = redis_connection().pipeline()
    for key in (_key(ip, email), _ip_key(ip)):
        pipe.set(key, 0, ex=window, nx=True)  # the window starts at the first failure
        pipe.incr(key)
    pipe.execute()


def clear_failures(ip, email):
    redis_connection().delete(_key(ip, email))
