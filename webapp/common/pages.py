"""One route answers both the whole page and its htmx fragment."""
from flask import make_response, render_template, request

# htmx stops polling when a response has this status: the work being watched is over.
STOP_POLLING = 286


def wants_fragment():
    """True for an htmx swap; boosted links and history restores need the whole page."""
    htmx = request.htmx  # htmx-flask's parsed HX-* headers
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page, fragment, status=200, **context):
    response = make_response(render_template(fragment if wants_fragment() else page, **context), status)
    response.vary.add("HX-Request")  # caches must not mix the two answers
    return response
