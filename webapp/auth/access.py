"""Logins enforced: every view needs one unless common.access marks it public."""
from flask import current_app, redirect, request, url_for
from flask_login import current_user

from webapp.auth.sessions import is_open
from webapp.common.access import is_public
from webapp.extensions import db, login_manager


@login_manager.user_loader
def load_user(session_id):
    from webapp.auth.models import User

    user_id, _, sid = session_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) < 19):
        return None
    user = db.session.get(User, int(user_id))
    # A deactivated user, or a session that was logged out (here or everywhere), is logged out.
    if user is None or not user.active or not is_open(user.id, sid):
        return None
    user.session_id = sid
    return user


def _require_login():
    from webapp.auth.service import any_user_exists

    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and is_public(view):
        return None
    if current_user.is_authenticated:
        return None
    if not any_user_exists():
        return redirect(url_for("auth.setup"))
    if request.htmx:
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
