"""Sending: mass emails and drips, recipient resolution, batching, rate limits, SMTP delivery, retries.

models.py holds MassEmail and Recipient (the unit of exactly-once delivery); resolve.py turns a
mass email's lists into Recipient rows in one set-based pass; lifecycle.py moves a mass email
through its states; routes.py and progress.py are its pages.
"""
from flask import Blueprint

bp = Blueprint("sending", __name__)


def init_app(app):
    from webapp.audience.contacts import CONTACT_DELETING, TIMELINE_SOURCES
    from webapp.compose.deletion import TEMPLATE_USES
    from webapp.sending import routes  # noqa: F401  (routes register on bp)
    from webapp.sending.contact_history import detach_recipients, recipient_entries
    from webapp.sending.template_use import template_use

    TIMELINE_SOURCES.register(recipient_entries)
    CONTACT_DELETING.register(detach_recipients)
    TEMPLATE_USES.register(template_use)
    app.register_blueprint(bp)
