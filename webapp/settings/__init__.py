from flask import Blueprint

bp = Blueprint("settings", __name__, url_prefix="/settings")


def init_app(app):
    from webapp.settings import routes  # noqa: F401  (routes register on bp)

    app.register_blueprint(bp)
