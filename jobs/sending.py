"""RQ entry points for mass sending: batches on queue "sending", the periodic jobs (jobs/cron.py) on "default"."""
import time
from datetime import datetime

from webapp.common.clock import utcnow
from webapp.sending import drip, lifecycle, sender, starting
from webapp.sending.batches import recover_expired_claims


def send_batch(mass_email_id):
    return sender.send_batch(mass_email_id)


def recover_stale_claims():
    """Periodic: settle batches that died, and restart sending for their mass emails.

    A drip's tick that died is settled here too; the batch queued for it does nothing, as its
    next tick (or rescue_stalled_drips) carries on at the drip's pace."""
    recovered = {mass_email_id for mass_email_id, _ in recover_expired_claims(utcnow())}
    for mass_email_id in sorted(recovered):
        sender.enqueue_batch(mass_email_id)
    return sorted(recovered)


def prepare_send(mass_email_id):
    """Resolve the recipients of a mass email that is starting, then start sending it."""
    return starting.prepare_send(mass_email_id)


def recover_stalled_preparations():
    """Periodic: queue again the preparations whose worker died."""
    return starting.recover_stalled()


def start_due():
    """Periodic: start the scheduled mass emails whose time has come."""
    return lifecycle.start_due(utcnow())


def drip_tick(mass_email_id, due_at):
    """One drip tick, queued for `due_at` (ISO, naive UTC) by the drip itself."""
    due_at = datetime.fromisoformat(due_at)
    # RQ's scheduler counts in whole seconds and may start a job up to a second early; a drip's
    # interval is a promise, so wait out the rest.
    time.sleep(max(0.0, (due_at - utcnow()).total_seconds()))
    return drip.tick(mass_email_id, due_at, utcnow())


def rescue_stalled_drips():
    """Periodic: queue again the ticks of drips whose worker died between two ticks."""
    return drip.rescue_stalled(utcnow())
