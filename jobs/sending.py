"""RQ entry points for mass sending (queue "sending"); the work is in webapp.sending."""
from webapp.sending import sender
from webapp.sending.batches import recover_expired_claims


def send_batch(mass_email_id):
    return sender.send_batch(mass_email_id)


def recover_stale_claims():
    """Periodic: settle batches that died, and restart sending for their mass emails."""
    recovered = {mass_email_id for mass_email_id, _ in recover_expired_claims(sender.utcnow())}
    for mass_email_id in sorted(recovered):
        sender.enqueue_batch(mass_email_id)
    return sorted(recovered)
