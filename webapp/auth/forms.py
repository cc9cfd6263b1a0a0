from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from webapp.auth.models import ROLES


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email()])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me logged in")


class SetupForm(FlaskForm):
    """First-run: creates the first admin."""

    name = StringField("Your name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("Email", validators=[DataRequired(), Email()])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=10, message="Use at least 10 characters.")])
    confirm = PasswordField("Repeat password", validators=[EqualTo("password", message="The passwords differ.")])


ROLE_CHOICES = [(role, role.title()) for role in ROLES]
