import click
from flask.cli import AppGroup

from webapp.auth.models import ROLES
from webapp.auth.service import UserError, create_user

users = AppGroup("users", help="Manage Mailroom users.")


@users.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", type=click.Choice(ROLES), default="marketer", show_default=True)
@click.option("--name", default="")
def create_command(email, password, role, name):
    """Create a user who can log in at once."""
    try:
        user = create_user(email, password, role=role, name=name)
    except UserError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.role} {user.email}")
