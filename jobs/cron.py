"""RQ cron config: the periodic jobs. `flask clock` loads it (plain `rq cron jobs.cron` would too).

The clock process only enqueues these functions by dotted name; the workers run them,
each inside an app context. They go on the "default" queue: workers take queues in order
(default, imports, sending), so a tick runs before the next waiting send batch.
"""
from rq import cron

from jobs import bounces, events, sending

QUEUE = "default"
EVERY_MINUTE = 60
# An open or click shows in the app within a few seconds of the hit.
DRAIN_EVERY = 2
# The bounce mailbox: a bounce shows within minutes, and a poll stays short.
BOUNCES_EVERY = 5 * EVERY_MINUTE

# ttl: a tick no worker took within its interval is dropped, the next one supersedes it,
# so ticks never pile up behind busy workers.
cron.register(sending.start_due, QUEUE, interval=EVERY_MINUTE, ttl=EVERY_MINUTE)
cron.register(sending.recover_stale_claims, QUEUE, interval=EVERY_MINUTE, ttl=EVERY_MINUTE)
cron.register(sending.recover_stalled_preparations, QUEUE, interval=EVERY_MINUTE, ttl=EVERY_MINUTE)
cron.register(sending.rescue_stalled_drips, QUEUE, interval=EVERY_MINUTE, ttl=EVERY_MINUTE)
# A drain finds the stream empty in a millisecond: one waiting behind a busy worker may as well run.
cron.register(events.drain_events, QUEUE, interval=DRAIN_EVERY, ttl=5 * DRAIN_EVERY)
cron.register(bounces.reconcile_bounces, QUEUE, interval=BOUNCES_EVERY, ttl=BOUNCES_EVERY)
