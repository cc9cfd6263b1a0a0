from flask import Blueprint

bp = Blueprint("system", __name__)


def init_app(app):
    from webapp.system import cli, routes  # noqa: F401  (routes register on bp)

    app.register_blueprint(bp)
    app.cli.add_command(cli.worker_command)
    app.cli.add_command(cli.clock_command)
    app.cli.add_command(cli.devstack_command)
