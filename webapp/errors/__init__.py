"""Error pages: a clear message for people, JSON for API-style callers, and always a rollback."""
import logging

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden, HTTPException, InternalServerError

from webapp.extensions import db

log = logging.getLogger(__name__)


def _wants_json():
    return request.accept_mimetypes.best == "application/json" or request.path.startswith(("/healthz", "/hooks/"))


def _respond(status, title, message):
    if _wants_json():
        return jsonify(error=title, message=message), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


# What a person is told instead of Werkzeug's generic text, when the code that refused said nothing more.
PLAIN_WORDS = {
    Forbidden.description: "Your role does not allow this: it is for admins. Ask an admin if you need it done.",
}


def handle_http(error: HTTPException):
    db.session.rollback()
    return _respond(error.code or 500, error.name, PLAIN_WORDS.get(error.description, error.description))


def handle_csrf(error: CSRFError):
    db.session.rollback()
    return _respond(400, "Form expired", "The form was stale or missing its security token. Reload the page and try again.")


def handle_unexpected(error):
    db.session.rollback()
    log.exception("Unhandled error on %s %s", request.method, request.path)
    return _respond(500, InternalServerError.name, "Something went wrong on our side. It has been logged.")


def init_app(app):
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(Exception, handle_unexpected)
