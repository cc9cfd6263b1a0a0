from flask import render_template

from webapp.audience import bp


@bp.get("/contacts")
def contacts():
    return render_template("audience/placeholder.html", title="Contacts")


@bp.get("/lists")
def lists():
    return render_template("audience/placeholder.html", title="Lists")


@bp.get("/imports")
def imports():
    return render_template("audience/placeholder.html", title="Imports")


@bp.get("/suppressions")
def suppressions():
    return render_template("audience/placeholder.html", title="Suppressions")
