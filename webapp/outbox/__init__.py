from flask import Blueprint

bp = Blueprint("outbox", __name__, url_prefix="/outbox")


def init_app(app):
    from webapp.outbox import routes  # noqa: F401  (routes register on bp)

    app.register_blueprint(bp)
