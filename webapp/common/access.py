"""Who may reach a view: everything needs a login (auth.access enforces it) unless marked public here."""
from functools import wraps

from flask import abort
from flask_login import current_user

PUBLIC_ATTR = "_mailroom_public"


def public(view):
    """Mark a view reachable without login (login, first-run, tracking endpoints, health)."""
    setattr(view, PUBLIC_ATTR, True)
    return view


def is_public(view):
    return getattr(view, PUBLIC_ATTR, False)


def admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper
