"""User accounts: creation and lookups, shared by routes and the CLI."""
from sqlalchemy import func, select

from webapp.auth.models import ROLES, User
from webapp.extensions import db


class UserError(ValueError):
    pass


def find_by_email(email):
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


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
