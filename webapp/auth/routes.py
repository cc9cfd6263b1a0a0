from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from webapp.auth import bp, ratelimit
from webapp.auth.access import admin_required, public
from webapp.auth.forms import LoginForm, SetupForm
from webapp.auth.service import any_user_exists, create_user, find_by_email
from webapp.extensions import db


def _safe_next(target):
    """Only same-site paths: `next` must never become an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("system.home"))
    if not any_user_exists():
        return redirect(url_for("auth.setup"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        ip = request.remote_addr or "unknown"
        if ratelimit.is_locked_out(ip, form.email.data):
            flash("Too many failed attempts. Wait a few minutes and try again.", "error")
            return render_template("auth/login.html", form=form), 429
        user = find_by_email(form.email.data)
        if user and user.active and user.check_password(form.password.data):
            ratelimit.clear_failures(ip, form.email.data)
            user.last_login_at = datetime.now(timezone.utc).replace(tzinfo=None)
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")) or url_for("system.home"))
        ratelimit.record_failure(ip, form.email.data)
        flash("Wrong email or password, or the account is deactivated.", "error")
        status = 401
    elif form.is_submitted():
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/setup", methods=["GET", "POST"])
@public
def setup():
    """First run: create the first admin. Gone for good once any user exists."""
    if any_user_exists():
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        user = create_user(form.email.data, form.password.data, role="admin", name=form.name.data)
        login_user(user)
        flash("Welcome to Mailroom. Your admin account is ready.", "success")
        return redirect(url_for("system.home"))
    return render_template("auth/setup.html", form=form), 422 if form.is_submitted() else 200


@bp.get("/users")
@admin_required
def users():
    return render_template("audience/placeholder.html", title="Users")
