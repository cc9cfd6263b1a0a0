"""Reports: what happened to a mass email, on its page, in its lists and in CSV exports."""
from flask import Blueprint

bp = Blueprint("reports", __name__)


def init_app(app):
    from webapp.reports import detail_routes, list_routes  # noqa: F401  (routes register on bp)
    from webapp.sending.routes import PAGE_SECTIONS

    PAGE_SECTIONS.register(detail_routes.report_section)

    app.register_blueprint(bp)
