"""Sending: mass emails and drips, recipient resolution, batching, rate limits, SMTP delivery, retries.

models.py holds MassEmail and Recipient (the unit of exactly-once delivery); resolve.py turns a
mass email's lists into Recipient rows in one set-based pass. Pages and jobs come in later slices.
"""


def init_app(app):
    """Nothing to register yet: the sending pages come in a later slice."""
