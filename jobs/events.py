"""RQ entry points for events: the drain of the public endpoints' stream (periodic, jobs/cron.py)."""
from webapp.events import recompute, stream


def drain_events():
    """Periodic: ingest the opens and clicks waiting in the Redis stream."""
    return stream.drain()


def rejudge_events(run_id):
    """Judge the stored opens and clicks again by the bot rules as they are now."""
    return recompute.run(run_id)
