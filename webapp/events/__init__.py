"""Events: everything that comes back about a message, and how it becomes numbers people read.

ingest.py is the one way in (SMTP outcomes, opens, clicks, unsubscribes, bounces, complaints,
webhooks); transitions.py says what each event does to a recipient and a contact;
engagement.py and bots.py judge opens and clicks Likely Human or Likely Bot; stream.py carries
the public endpoints' events through Redis to the drain that ingests them in bulk.
"""
from flask import Blueprint

bp = Blueprint("events", __name__)


def init_app(app):
    from webapp.events import bot_rules  # noqa: F401  (routes register on bp)
    from webapp.audience.contacts import TIMELINE_SOURCES
    from webapp.events.devices import device
    from webapp.events.ingest import record_smtp_outcomes
    from webapp.events.timeline import event_entries
    from webapp.sending.journal import OUTCOMES_FOLDED

    OUTCOMES_FOLDED.register(record_smtp_outcomes)
    TIMELINE_SOURCES.register(event_entries)
    app.add_template_filter(device, "device")
    app.register_blueprint(bp)
