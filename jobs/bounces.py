"""RQ entry points for bounces (periodic, jobs/cron.py)."""
from webapp.bounces import deferrals, mailbox
from webapp.common.clock import utcnow


def reconcile_bounces():
    """Periodic: read the bounce mailbox, then retry overdue deferrals and expire old ones."""
    polled = mailbox.poll()
    expired, queued = deferrals.reconcile(utcnow())
    return {"mailbox": polled and vars(polled), "expired_deferrals": expired, "batches_queued": queued}
