"""Bounces: what comes back to the bounce mailbox, and deferrals that ran out of time.

parse.py reads one message (DSN, ARF complaint, mailto unsubscribe, auto-reply); reconcile.py
finds its recipient (VERP, else Message-ID) and ingests the events through events/ingest.py;
mailbox.py polls the IMAP folder (mail/imap.py) and moves each message on; deferrals.py retries
overdue deferrals and expires old ones. jobs/bounces.py runs the last two periodically, cli.py
lets a person parse or apply one message by hand.
"""


def init_app(app):
    from webapp.bounces.cli import bounces_command

    app.cli.add_command(bounces_command)
