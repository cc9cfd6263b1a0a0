"""Compose: templates, placeholders, tracking URLs and the engine that turns them into messages.

The modules here are plain services (no request, no current_user): rendering.py compiles and
renders placeholders in a sandbox, links.py rewrites links to signed click URLs, tokens.py signs
the ids in tracking URLs, mime.py builds the final message bytes, verp.py and dkim_signing.py
handle the envelope sender and the signature.
"""


def init_app(app):
    """Registered by the lead once compose has pages; the engine itself needs no app setup."""
