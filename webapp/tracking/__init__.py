"""Tracking: the public endpoints every sent message links to (hostile ground: signed tokens only).

    /t/o/<token>.gif   open pixel: a 1x1 GIF, the open goes to the event stream
    /t/c/<token>       click: 302 to the stored destination of that link, the click to the stream
    /t/u/<token>       unsubscribe: a page (GET) and the unsubscribe (POST, RFC 8058 one-click too)
    /t/p/<token>       preferences: resubscribe, or choose lists
    /t/v/<token>       the message as that recipient got it

No answer here sets a cookie: the pages have their own base template without the session's
CSRF token, and nothing here logs anyone in. The tokens are compose/tokens.py's.
"""
from flask import Blueprint

bp = Blueprint("tracking", __name__, url_prefix="/t")


def init_app(app):
    from webapp.tracking import routes  # noqa: F401  (routes register on bp)
    from webapp.tracking.fast_path import TrackingFastPath

    app.register_blueprint(bp)
    # Inside ProxyFix (create_app wraps it last), so REMOTE_ADDR is the client's.
    app.wsgi_app = TrackingFastPath(app, app.wsgi_app)
