"""Compose: templates, placeholders, tracking URLs and the engine that turns them into messages.

The modules here are plain services (no request, no current_user): rendering.py compiles and
renders placeholders in a sandbox, links.py rewrites links to signed click URLs, tokens.py signs
the ids in tracking URLs, mime.py builds the final message bytes, verp.py handles the envelope
sender (the DKIM signature is mail/dkim.py's). service.py and send_test.py serve the pages
in routes/ (templates, tracking URLs).
"""
from flask import Blueprint

bp = Blueprint("compose", __name__)


def init_app(app):
    from webapp.compose import routes  # noqa: F401  (routes register on bp)

    app.register_blueprint(bp)
