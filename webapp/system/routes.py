from flask import jsonify, render_template

from webapp.audience.stats import audience_overview
from webapp.common.access import public
from webapp.system import bp
from webapp.system.health import check_health


@bp.get("/")
def home():
    return render_template("system/home.html", overview=audience_overview())


@bp.get("/healthz")
@public
def healthz():
    report, healthy = check_health()
    return jsonify(status="ok" if healthy else "degraded", **report), 200 if healthy else 503
