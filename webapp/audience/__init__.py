from flask import Blueprint

bp = Blueprint("audience", __name__)


def init_app(app):
    from webapp.audience import routes  # noqa: F401  (routes register on bp)
    from webapp.audience.seed import demo_cli

    app.register_blueprint(bp)
    app.cli.add_command(demo_cli)
