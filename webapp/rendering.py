"""One route answers both the whole page and its htmx fragment."""
from flask import make_response, render_template, request


def wants_fragment():
    """True for an htmx swap; boosted links and history restores need the whole page."""
    h = request.headers
    return (
        h.get("HX-Request") == "true"
        and h.get("HX-Boosted") != "true"
        and h.get("HX-History-Restore-Request") != "true"
    )


def render(page, fragment, status=200, **context):
    response = make_response(render_template(fragment if wants_fragment() else page, **context), status)
    response.vary.add("HX-Request")  # caches must not mix the two answers
    return response
