"""RQ entry points for bounces (periodic, jobs/cron.py)."""
from webapp.bounces import deferrals, mailbox
from webapp.common.clock import utcnow


def reconcile_bounces():
    """Periodic: retry overdue deferrals and expire old ones, then read the bounce mailbox."""
    expired, queued = deferrals.reconcile(utcnow())
    polled = mailbox.poll()
    return {"mailbox": polled and vars(polled), "expired_deferrals": expired, "batches_queued": queued}
