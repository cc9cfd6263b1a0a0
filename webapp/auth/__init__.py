from flask import Blueprint

bp = Blueprint("auth", __name__)


def init_app(app):
    from webapp.auth import access, cli, routes  # noqa: F401  (routes register on bp)

    access.init_app(app)
    app.register_blueprint(bp)
    app.cli.add_command(cli.users)
