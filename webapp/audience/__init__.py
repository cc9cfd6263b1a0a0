from flask import Blueprint

bp = Blueprint("audience", __name__)


def init_app(app):
    from webapp.audience import routes  # noqa: F401  (routes register on bp)

    app.register_blueprint(bp)
