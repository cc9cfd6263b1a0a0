"""RQ entry points for events: the drain of the public endpoints' stream (periodic, jobs/cron.py)."""
from webapp.events import stream


def drain_events():
    """Periodic: ingest the opens and clicks waiting in the Redis stream."""
    return stream.drain()
