from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.common.headers import SANDBOXED_HTML
from webapp.common.pages import render
from webapp.common.params import page_number
from webapp.extensions import talisman
from webapp.outbox import bp
from webapp.outbox.reader import PAGE_SIZE, clear, get_message, list_messages


@bp.before_request
def only_with_catcher_and_for_admins():
    # The Outbox shows the local SMTP catcher; with a real relay there is nothing to show.
    if not current_app.config["MAIL_CATCHER"]:
        abort(404)
    # Admins only: it holds every mail Mailroom sent, invitations with their set-password links among them.
    if not (current_user.is_authenticated and current_user.is_admin):
        abort(403)


@bp.get("/")
def index():
    query, page = request.args.get("q", "")[:200], page_number(request.args.get("page"))
    messages, total = list_messages(current_app.config["OUTBOX_DIR"], query, page)
    return render("outbox/index.html", "outbox/_messages.html", messages=messages, total=total, query=query, page_no=page,
                  page_size=PAGE_SIZE)


@bp.get("/<key>")
def show(key):
    message = get_message(current_app.config["OUTBOX_DIR"], key) or abort(404)
    return render_template("outbox/show.html", m=message)


@bp.get("/<key>/html")
@talisman(content_security_policy=SANDBOXED_HTML)
def html(key):
    """The HTML body alone, for a sandboxed iframe: no scripts, no same-origin access."""
    message = get_message(current_app.config["OUTBOX_DIR"], key) or abort(404)
    response = make_response(message.html or "<p>(no HTML part)</p>")
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    return response


@bp.post("/clear")
def clear_all():
    clear(current_app.config["OUTBOX_DIR"])
    flash("Outbox emptied.", "success")
    return redirect(url_for("outbox.index"), 303)
