from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from webapp.auth import bp, ratelimit
from webapp.auth.sessions import close_all, close_session, count_open, open_session
from webapp.auth.forms import ROLE_CHOICES, ChangePasswordForm, InviteForm, LoginForm, RoleForm, SetPasswordForm, SetupForm
from webapp.auth.models import User
from webapp.auth.service import (
    UserError, any_user_exists, authenticate, change_password, change_role, create_user, list_users, password_token,
    send_password_link, set_active, set_password_from_token, user_for_password_token,
)
from webapp.common.access import admin_required, public
from webapp.common.clock import utcnow
from webapp.common.pages import render, safe_next, wants_fragment
from webapp.extensions import db
from webapp.mail.smtp import SmtpFailure, smtp_config
from webapp.settings.service import adopt_site_url, get_settings


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
        locked, address_locked = ratelimit.check(ip, form.email.data)
        user = None if locked else authenticate(form.email.data, form.password.data)
        if locked or (address_locked and user is None):
            flash("Too many failed attempts. Wait a few minutes and try again.", "error")
            return render_template("auth/login.html", form=form), 429
        if user is not None:
            ratelimit.clear_failures(ip, form.email.data)
            user.last_login_at = utcnow()
            db.session.commit()
            _log_in(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("system.home"))
        ratelimit.record_failure(ip, form.email.data)
        flash("Wrong email or password, or the account is deactivated.", "error")
        status = 401
    elif form.is_submitted():
        status = 422
    return render_template("auth/login.html", form=form), status


def _log_in(user, remember=False):
    """Log in with a new session: nothing of the session before (a value planted in it) carries over."""
    session.clear()
    open_session(user)
    login_user(user, remember=remember)


@bp.post("/logout")
def logout():
    close_session(current_user.id, current_user.session_id)
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.post("/logout-everywhere")
def logout_everywhere():
    """End every session of this user, on every device, this one too."""
    close_all(current_user.id)
    logout_user()
    flash("You are logged out everywhere.", "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/setup", methods=["GET", "POST"])
@public
def setup():
    """First run: create the first admin. Gone for good once any user exists."""
    if any_user_exists():
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        user = create_user(form.email.data, form.password.data, role="admin", name=form.name.data)
        adopt_site_url(request.host_url)  # behind a proxy, ProxyFix has put the public scheme and host here
        _log_in(user)
        flash("Welcome to Mailroom. Your admin account is ready.", "success")
        return redirect(url_for("system.home"))
    return render_template("auth/setup.html", form=form), 422 if form.is_submitted() else 200


# --- User administration (admins) -------------------------------------------------------------


def _users_page(fragment, status=200, form=None, **context):
    return render(
        "auth/users.html", fragment, status=status,
        users=list_users(), role_choices=ROLE_CHOICES, form=form or InviteForm(formdata=None), **context,
    )


def _issue_password_link(user):
    """Make a set-password link for the user, email it, and say how that went (the admin sees the link too)."""
    settings = get_settings()
    link = settings.site_url + url_for("auth.set_password", token=password_token(user))
    try:
        send_password_link(smtp_config(settings, current_app.config), user, link, invited_by=current_user.name or current_user.email)
        mail_error = None
    except SmtpFailure as failure:
        current_app.logger.warning("Could not email the set-password link to %s: %s", user.email, failure)
        mail_error = str(failure)
    return {"link_user": user, "link": link, "mail_error": mail_error}


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users():
    form = InviteForm()
    if not form.is_submitted():
        return _users_page("auth/_users_invite.html")
    if form.validate():
        try:
            user = create_user(form.email.data, form.password.data or None, role=form.role.data, name=form.name.data)
        except UserError as error:
            form.email.errors.append(str(error))
        else:
            notice = {"link_user": user, "created": True}
            if not form.password.data:
                notice = _issue_password_link(user) | notice
            # A fresh, empty form, the notice above it, and the table refreshed out of band.
            return _users_page("auth/_users_invite.html", oob=True, notice=notice)
    return _users_page("auth/_users_invite.html", status=422, form=form)


def _row_action(user_id, change):
    """Apply a row action; answer the row for htmx (with the refusal, 422, if a guard rail says no)."""
    error = None
    try:
        user = change()
    except UserError as refusal:
        db.session.rollback()
        error, user = str(refusal), db.session.get(User, user_id)
        if user is None:
            abort(404)
    if wants_fragment():
        return render_template("auth/_users_row.html", user=user, error=error, role_choices=ROLE_CHOICES), 422 if error else 200
    flash(error or f"{user.email} updated.", "error" if error else "success")
    return redirect(url_for("auth.users"), 303)


@bp.post("/users/<int:user_id>/role")
@admin_required
def user_role(user_id):
    form = RoleForm()
    if not form.validate():
        abort(400)
    return _row_action(user_id, lambda: change_role(user_id, form.role.data, acting_user_id=current_user.id))


@bp.post("/users/<int:user_id>/active")
@admin_required
def user_active(user_id):
    active = request.form.get("active") == "1"
    return _row_action(user_id, lambda: set_active(user_id, active, acting_user_id=current_user.id))


@bp.post("/users/<int:user_id>/link")
@admin_required
def user_link(user_id):
    """A new set-password link (a fresh invite, or a reset for someone who forgot their password)."""
    user = db.session.get(User, user_id) or abort(404)
    if not user.active:
        abort(409, "Reactivate the user before sending them a link.")
    return _users_page("auth/_users_notice.html", notice=_issue_password_link(user))


# --- Passwords (everyone) -------------------------------------------------------------------------


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
def set_password(token):
    """Where an invite or reset link lands: the user chooses a password and is logged in."""
    user = user_for_password_token(token)
    if user is None:
        return render_template("auth/set_password.html", user=None), 410
    form = SetPasswordForm(user_inputs=(user.email, user.name))
    if form.validate_on_submit():
        set_password_from_token(user, form.password.data)
        _log_in(user)
        flash("Your password is set. Welcome to Mailroom.", "success")
        return redirect(url_for("system.home"), 303)
    return render_template("auth/set_password.html", user=user, form=form), 422 if form.is_submitted() else 200


@bp.route("/account", methods=["GET", "POST"])
def account():
    form = ChangePasswordForm(user_inputs=(current_user.email, current_user.name))
    if form.validate_on_submit():
        try:
            user = change_password(current_user.id, form.current_password.data, form.password.data)
        except UserError as error:
            form.current_password.errors.append(str(error))
        else:
            open_session(user)  # change_password closed every session: this one goes on under a new id
            login_user(user)
            if wants_fragment():
                return render("auth/account.html", "auth/_account_password.html", form=ChangePasswordForm(formdata=None), saved=True)
            flash("Password changed. Your other sessions are logged out.", "success")
            return redirect(url_for("auth.account"), 303)
    status = 422 if form.is_submitted() else 200
    return render("auth/account.html", "auth/_account_password.html", status=status, form=form,
                  open_sessions=count_open(current_user.id))
