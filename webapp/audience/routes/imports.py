from flask import render_template

from webapp.audience import bp


@bp.get("/imports")
def imports():
    return render_template("audience/placeholder.html", title="Imports")
