from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from webapp.auth.models import ROLES
from webapp.auth.passwords import weakness
from webapp.common.forms import NormalizedEmail, strip

MIN_PASSWORD = 10
ROLE_CHOICES = [SelectChoice(role, role.title()) for role in ROLES]


def hard_to_guess(form, field):
    """Refuses a common or guessable password. The person's email and name, where the form has
    them or the route set `form.user_inputs`, count as guessable words."""
    if not field.data or field.errors:
        return
    inputs = [getattr(form, name).data for name in ("email", "name") if name in form] + list(getattr(form, "user_inputs", ()))
    problem = weakness(field.data, [value for value in inputs if isinstance(value, str)])
    if problem:
        raise ValidationError(problem)


def _new_password(label="Password"):
    return PasswordField(label, validators=[
        DataRequired(), Length(min=MIN_PASSWORD, message=f"Use at least {MIN_PASSWORD} characters."), hard_to_guess,
    ])


def _repeat_password():
    return PasswordField("Repeat password", validators=[EqualTo("password", message="The passwords differ.")])


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email()])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me logged in")


class SetupForm(FlaskForm):
    """First-run: creates the first admin."""

    name = StringField("Your name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("Email", validators=[DataRequired(), Email()])
    password = _new_password()
    confirm = _repeat_password()


class InviteForm(FlaskForm):
    """An admin adds a user: with a password now, or an invite link to set one."""

    email = EmailField("Email", validators=[DataRequired(message="Enter the new user's email address."), NormalizedEmail()])
    name = StringField("Name", validators=[Optional(), Length(max=200)], filters=[strip])
    role = SelectField("Role", choices=ROLE_CHOICES, default="marketer")
    password = PasswordField("Password (optional)", validators=[
        Optional(), Length(min=MIN_PASSWORD, message=f"Use at least {MIN_PASSWORD} characters, or leave it empty to send an invite link."),
        hard_to_guess,
    ])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class _OwnPasswordForm(FlaskForm):
    """A form where a known user chooses a password: their email and name are guessable words."""

    def __init__(self, *args, user_inputs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.user_inputs = user_inputs


class SetPasswordForm(_OwnPasswordForm):
    """An invitee (or a user with a reset link) chooses a password."""

    password = _new_password("New password")
    confirm = _repeat_password()


class ChangePasswordForm(_OwnPasswordForm):
    current_password = PasswordField("Current password", validators=[DataRequired(message="Enter your current password.")])
    password = _new_password("New password")
    confirm = _repeat_password()
