from flask import render_template

from webapp.auth.access import admin_required
from webapp.settings import bp
from webapp.settings.service import get_settings


@bp.get("/")
@admin_required
def index():
    return render_template("settings/index.html", settings=get_settings())
