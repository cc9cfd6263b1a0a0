"""The open pixel and the click, answered before Flask's request machinery.

They are the busiest URLs there are (every open, every click, every security scanner's), and
Flask's per-request work (session, login check, security headers) costs more than the hit
itself: about 265 of 420 µs here. So a WSGI middleware answers exactly these:

- GET /t/o/<anything>.gif: always the GIF; a valid token's open goes to the event stream;
- GET /t/c/<token> whose token is valid and whose link is known: the 302 (or the hidden link's
  204), the click to the stream.

Anything else, a bad click token included, goes on to Flask, whose routes in routes.py give the
same answers for the same requests (the tests drive both through the test client), and a plain
404 for what is not ours. Nothing here reads or sets a cookie.
"""
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from webapp.common.clock import utcnow
from webapp.tracking.hits import PIXEL, Hit, record_click, record_open

_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def pixel_answer():
    """The GIF, whatever the token (routes.py answers HEAD with it too)."""
    return Response(PIXEL, mimetype="image/gif", headers=_NO_STORE)


def click_answer(link):
    """The redirect to a known link's destination; the hidden link gets an empty 204."""
    response = Response(status=204) if link.hidden else redirect(link.destination, 302)
    response.headers.update(_NO_STORE)
    return response


class TrackingFastPath:
    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET":
            path = environ.get("PATH_INFO", "")
            if path.startswith("/t/o/") and path.endswith(".gif"):
                return self._pixel(path[5:-4], environ)(environ, start_response)
            if path.startswith("/t/c/"):
                answer = self._click(path[5:], environ)
                if answer is not None:
                    return answer(environ, start_response)
        return self.wsgi_app(environ, start_response)

    @staticmethod
    def _hit(environ):
        return Hit(utcnow(), environ.get("REMOTE_ADDR"), environ.get("HTTP_USER_AGENT"))

    def _pixel(self, token, environ):
        with self.app.app_context():
            record_open(token, self._hit(environ))
        return pixel_answer()

    def _click(self, token, environ):
        with self.app.app_context():
            link = record_click(token, self._hit(environ))
        return None if link is None else click_answer(link)
