"""Sending: mass emails and drips, recipient resolution, batching, rate limits, SMTP delivery, retries.

models.py holds MassEmail and Recipient (the unit of exactly-once delivery); resolve.py turns a
mass email's lists into Recipient rows in one set-based pass; lifecycle.py moves a mass email
through its states; routes.py and progress.py are its pages.
"""
from flask import Blueprint

bp = Blueprint("sending", __name__)


def init_app(app):
    from webapp.audience.contacts import add_timeline_source
    from webapp.sending import routes  # noqa: F401  (routes register on bp)
    from webapp.sending.contact_history import recipient_entries

    add_timeline_source(recipient_entries)
    app.register_blueprint(bp)
