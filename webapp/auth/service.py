"""User accounts: creation, roles, deactivation, passwords and invite links; shared by routes and the CLI."""
import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash
from sqlalchemy import func, select

from webapp.auth.models import ROLES, User
from webapp.auth.sessions import close_all
from webapp.extensions import db
from webapp.mail.smtp import send_mail

INVITE_VALID_FOR = timedelta(days=7)


class UserError(ValueError):
    """The change is refused; str(error) says why, in words for people."""


def find_by_email(email):
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


# A hash of nothing anyone can type, checked when the account does not exist, so an unknown
# address costs the same hashing time as a known one and the timing tells nobody which exist.
_NO_ACCOUNT_HASH = generate_password_hash(secrets.token_hex(32))


def authenticate(email, password):
    """The active user with this email and password, or None; as slow for unknown addresses."""
    user = find_by_email(email)
    if user is None or not user.password_hash:
        check_password_hash(_NO_ACCOUNT_HASH, password)
        return None
    return user if user.check_password(password) and user.active else None


def create_user(email, password=None, role="marketer", name=""):
    email = email.strip().lower()
    if role not in ROLES:
        raise UserError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    if find_by_email(email):
        raise UserError(f"A user with the email {email} already exists.")
    user = User(email=email, role=role, name=name)
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def any_user_exists():
    return db.session.scalar(select(User.id).limit(1)) is not None


def list_users():
    return db.session.scalars(select(User).order_by(User.active.desc(), func.lower(User.name), User.email)).all()


def _other_active_admins(user_id):
    # FOR UPDATE locks the admin rows, so two admins demoting each other at once cannot both succeed.
    ids = db.session.scalars(
        select(User.id).where(User.role == "admin", User.active.is_(True)).with_for_update()
    ).all()
    return [i for i in ids if i != user_id]


def _guard_admin_loss(user, acting_user_id, own_account_message):
    """Before a user loses admin powers: nobody does it to themself, and one active admin always remains."""
    if user.id == acting_user_id:
        raise UserError(own_account_message)
    if user.role == "admin" and user.active and not _other_active_admins(user.id):
        raise UserError("Mailroom needs at least one active admin. Make someone else an admin first.")


def change_role(user_id, role, acting_user_id):
    """Give a user another role; an admin cannot demote themself, and one active admin always remains."""
    if role not in ROLES:
        raise UserError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    user = _get(user_id)
    if user.role == role:
        return user
    if user.role == "admin":
        _guard_admin_loss(user, acting_user_id, "You cannot remove your own admin role. Ask another admin to do it.")
    user.role = role
    db.session.commit()
    return user


def set_active(user_id, active, acting_user_id):
    """Deactivate (the user cannot log in, their sessions end) or reactivate a user."""
    user = _get(user_id)
    if not active:
        _guard_admin_loss(user, acting_user_id, "You cannot deactivate your own account.")
    user.active = active
    db.session.commit()
    if not active:
        close_all(user.id)
    return user


def change_password(user_id, current_password, new_password):
    """A user changes their own password; this ends all their sessions (the caller opens a new one)."""
    user = _get(user_id)
    if not user.check_password(current_password):
        raise UserError("The current password is not right.")
    user.set_password(new_password)
    db.session.commit()
    close_all(user.id)  # whoever else knew the old password is logged out
    return user


def set_password_from_token(user, new_password):
    user.set_password(new_password)
    db.session.commit()
    close_all(user.id)
    return user


def _get(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        raise UserError("That user no longer exists.")
    return user


def _serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt="mailroom-set-password")


def password_token(user):
    """A signed link token to set a password. It carries the current password stamp, so it works
    once: setting the password changes the stamp and every earlier link for that user stops working."""
    return _serializer().dumps({"user": user.id, "stamp": (user.password_hash or "")[-8:]})


def user_for_password_token(token):
    """The active user a token belongs to, or None if it is forged, expired, used or the user is gone."""
    try:
        data = _serializer().loads(token, max_age=int(INVITE_VALID_FOR.total_seconds()))
    except BadSignature:  # also SignatureExpired
        return None
    user = db.session.get(User, data.get("user")) if isinstance(data, dict) else None
    if user is None or not user.active or (user.password_hash or "")[-8:] != data.get("stamp"):
        return None
    return user


def send_password_link(config, user, link, invited_by=None):
    """Email an invite (no password yet) or a set-password link; raises SmtpFailure when the server refuses."""
    days = INVITE_VALID_FOR.days
    if user.password_hash:
        subject = "Set a new Mailroom password"
        opening = f"{invited_by or 'An admin'} sent you a link to set a new password for your Mailroom account."
    else:
        subject = "You are invited to Mailroom"
        opening = f"{invited_by or 'An admin'} invited you to Mailroom as {'an admin' if user.is_admin else 'a marketer'}."
    send_mail(
        config, subject, user.email,
        f"Hello{' ' + user.name if user.name else ''},\n\n{opening}\n\n"
        f"Choose your password here:\n{link}\n\n"
        f"The link works once and expires in {days} days. If you did not expect this email, ignore it.\n",
    )
