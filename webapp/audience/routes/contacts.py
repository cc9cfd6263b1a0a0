from flask import render_template

from webapp.audience import bp


@bp.get("/contacts")
def contacts():
    return render_template("audience/placeholder.html", title="Contacts")
