"""RQ entry points for mass sending: batches on queue "sending", the periodic jobs (jobs/cron.py) on "default"."""
from webapp.sending import lifecycle, sender
from webapp.sending.batches import recover_expired_claims


def send_batch(mass_email_id):
    return sender.send_batch(mass_email_id)


def recover_stale_claims():
    """Periodic: settle batches that died, and restart sending for their mass emails."""
    recovered = {mass_email_id for mass_email_id, _ in recover_expired_claims(sender.utcnow())}
    for mass_email_id in sorted(recovered):
        sender.enqueue_batch(mass_email_id)
    return sorted(recovered)


def start_due():
    """Periodic: start the scheduled mass emails whose time has come."""
    return lifecycle.start_due(sender.utcnow())
