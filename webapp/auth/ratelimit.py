"""Failed-login throttling in Redis, shared by every web process.

Three counts, each over LOGIN_WINDOW_SECONDS from its first failure:
- an address trying one account (LOGIN_ATTEMPTS_PER_WINDOW): that pair is refused;
- one account from anywhere (three times as many): the account is refused, against guessing
  spread over many addresses;
- one address against any accounts (four times as many): only wrong passwords are refused, so a
  person whose correct password comes from an address someone else is abusing (an office, a
  mobile carrier's gateway) still gets in.
The client address is the one ProxyFix takes from X-Forwarded-For, for TRUSTED_PROXIES hops.
"""
from flask import current_app

from webapp.common.queues import redis_connection

ACCOUNT_FACTOR = 3
ADDRESS_FACTOR = 4


def _keys(ip, email):
    email = email.strip().lower()
    return (f"mailroom:login-failures:{ip}:{email}", f"mailroom:login-failures:account:{email}",
            f"mailroom:login-failures:address:{ip}")


def check(ip, email):
    """(pair_or_account_locked, address_locked) for a login attempt about to be judged."""
    limit = current_app.config["LOGIN_ATTEMPTS_PER_WINDOW"]
    pair, account, address = (int(n or 0) for n in redis_connection().mget(_keys(ip, email)))
    return pair >= limit or account >= limit * ACCOUNT_FACTOR, address >= limit * ADDRESS_FACTOR


def record_failure(ip, email):
    window = current_app.config["LOGIN_WINDOW_SECONDS"]
    pipe = redis_connection().pipeline()
    for key in _keys(ip, email):
        pipe.set(key, 0, ex=window, nx=True)  # the window starts at the first failure
        pipe.incr(key)
    pipe.execute()


def clear_failures(ip, email):
    pair, account, _address = _keys(ip, email)
    redis_connection().delete(pair, account)
