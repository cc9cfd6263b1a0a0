from flask import render_template

from webapp.audience import bp


@bp.get("/suppressions")
def suppressions():
    return render_template("audience/placeholder.html", title="Suppressions")
