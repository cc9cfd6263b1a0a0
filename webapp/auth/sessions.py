"""Logins that end when they should: every session has an id Mailroom keeps in Redis.

The session cookie (and the 30-day remember cookie) carry "<user id>:<session id>"; every
request checks that the session id is still open. Logging out closes this one; "log out
everywhere", a password change and deactivation close all of a user's sessions. So a copied
cookie stops working the moment its session ends, and no cookie carries anything derived
from the password.
"""
import secrets

from flask import current_app

from webapp.common.clock import utcnow
from webapp.common.queues import redis_connection


def _key(user_id):
    return f"mailroom:sessions:{user_id}"


def open_session(user):
    """A new session for `user`; its id becomes part of user.get_id(), which Flask-Login stores."""
    session_id = secrets.token_urlsafe(16)
    redis = redis_connection()
    redis.hset(_key(user.id), session_id, utcnow().isoformat(timespec="seconds"))
    redis.expire(_key(user.id), int(current_app.config["REMEMBER_COOKIE_DURATION"].total_seconds()))
    user.session_id = session_id
    return session_id


def is_open(user_id, session_id):
    return bool(session_id) and bool(redis_connection().hexists(_key(user_id), session_id))


def close_session(user_id, session_id):
    redis_connection().hdel(_key(user_id), session_id)


def close_all(user_id):
    redis_connection().delete(_key(user_id))


def count_open(user_id):
    return redis_connection().hlen(_key(user_id))
