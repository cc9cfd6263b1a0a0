"""Who may reach what: everything needs a login unless a view is marked public."""
from functools import wraps

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from webapp.extensions import db, login_manager

PUBLIC_ATTR = "_mailroom_public"


def public(view):
    """Mark a view reachable without login (login, first-run, tracking endpoints, health)."""
    setattr(view, PUBLIC_ATTR, True)
    return view


def admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@login_manager.user_loader
def load_user(session_id):
    from webapp.auth.models import User

    user_id, _, stamp = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    # A deactivated user, or a session from before a password change, is logged out.
    if user is None or not user.active or (user.password_hash or "")[-8:] != stamp:
        return None
    return user


def _require_login():
    from webapp.auth.service import any_user_exists

    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and getattr(view, PUBLIC_ATTR, False):
        return None
    if current_user.is_authenticated:
        return None
    if not any_user_exists():
        return redirect(url_for("auth.setup"))
    if request.headers.get("HX-Request") == "true":
        # A full-page redirect for htmx, so the login form does not land inside a fragment.
        response = login_manager.unauthorized()
        response.headers["HX-Redirect"] = response.location
        return response
    return login_manager.unauthorized()


def init_app(app):
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    app.before_request(_require_login)
