from flask import render_template

from webapp.audience import bp


@bp.get("/lists")
def lists():
    return render_template("audience/placeholder.html", title="Lists")
