"""One route answers both the whole page and its htmx fragment."""
from urllib.parse import urlsplit

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


def safe_next(target):
    """`target` if it is a path on this site, else None: a `next` must never become an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target
