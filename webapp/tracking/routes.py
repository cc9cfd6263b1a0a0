"""The public endpoints. Tokens are checked before anything else; garbage gets a plain 404."""
from flask import make_response, render_template, request

from webapp.common.access import public
from webapp.common.clock import utcnow
from webapp.common.headers import SANDBOXED_MESSAGE
from webapp.common.params import database_id
from webapp.extensions import csrf, talisman
from webapp.sending.resolve import unsubscribing_entirely
from webapp.tracking import bp, subscriptions
from webapp.tracking.fast_path import click_answer, pixel_answer
from webapp.tracking.hits import Hit, record_click, record_open
from webapp.tracking.view import message_html



def _hit():
    return Hit(utcnow(), request.remote_addr, request.headers.get("User-Agent"))


def _not_found():
    return render_template("tracking/not_found.html"), 404


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/o/<token>.gif")
@public
def open_pixel(token):
    record_open(token, _hit())
    return pixel_answer()


@bp.get("/c/<token>", merge_slashes=False)  # no redirect of "//evil.example" to anywhere
@public
def click(token):
    link = record_click(token, _hit())
    return _not_found() if link is None else click_answer(link)


@bp.route("/u/<token>", methods=["GET", "POST"])
@public
@csrf.exempt  # the token is the authority; mailbox providers' one-click POST has no form token
def unsubscribe(token):
    reader = subscriptions.reader_of(token)
    if reader is None:
        return _not_found()
    if request.method == "GET":  # link scanners follow GETs: a GET never unsubscribes
        return render_template("tracking/unsubscribe.html", reader=reader, token=token,
                               entirely=reader.mass_email.id in unsubscribing_entirely({reader.mass_email.id}))
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    subscriptions.unsubscribe(reader, "one_click" if one_click else "unsubscribe_page", _hit())
    if one_click:  # RFC 8058: 200, no redirect, no page to click through
        return _no_store(make_response("Unsubscribed.\n", 200, {"Content-Type": "text/plain; charset=utf-8"}))
    return render_template("tracking/unsubscribed.html", reader=reader, token=token)


@bp.route("/p/<token>", methods=["GET", "POST"])
@public
@csrf.exempt
def preferences(token):
    reader = subscriptions.reader_of(token)
    if reader is None or reader.contact is None:
        return _not_found()
    saved = None
    if request.method == "POST":
        if request.form.get("action") == "resubscribe":
            subscriptions.resubscribe(reader, _hit())
            saved = "You are subscribed again."
        else:
            chosen = [list_id for list_id in map(database_id, request.form.getlist("list")) if list_id is not None]
            subscriptions.choose_lists(reader, chosen, _hit())
            saved = "Your choices are saved."
        reader = subscriptions.reader_of(token)
    return render_template("tracking/preferences.html", reader=reader, token=token, saved=saved,
                           choices=subscriptions.choices(reader.contact))


@bp.get("/v/<token>")
@public
@talisman(content_security_policy=SANDBOXED_MESSAGE)  # marketer-written HTML from our origin: no script
def view(token):
    reader = subscriptions.reader_of(token, purpose="view")
    html = message_html(reader) if reader is not None else None
    if html is None:
        return _not_found()
    return _no_store(make_response(html))


@bp.route("/<path:anything>", merge_slashes=False)
@public
def unknown(anything):
    """Anything else under /t/: the same plain 404, never the app's page (which would set a cookie)."""
    return _not_found()
