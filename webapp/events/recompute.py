"""Judging the stored opens and clicks again after the bot rules changed: a job with progress.

It walks the recipients that have opens or clicks in id order, a chunk per transaction
(ingest.rejudge: the same judging and counting as new events get), and keeps its progress in
Redis for the Bot rules page. A second change while it runs starts a new walk that supersedes it.
"""
import uuid

from sqlalchemy import distinct, func, select

from webapp.common.clock import utcnow
from webapp.common.queues import queue, redis_connection
from webapp.events.ingest import rejudge
from webapp.events.models import Event
from webapp.extensions import db

JOB = "jobs.events.rejudge_events"
PROGRESS_KEY = "mailroom:rejudge"
CHUNK = 1000
ENGAGEMENT = ("open", "click")


def start():
    """Queue a new walk; the one running, if any, sees it is superseded at its next chunk."""
    run = uuid.uuid4().hex
    total = db.session.scalar(select(func.count(distinct(Event.recipient_id))).where(Event.kind.in_(ENGAGEMENT)))
    redis_connection().hset(PROGRESS_KEY, mapping={"run": run, "total": total, "done": 0, "finished_at": ""})
    queue("default").enqueue(JOB, run, job_timeout=6 * 3600)
    return run


def progress():
    """{"total", "done", "finished_at"} of the latest walk, or None when there never was one."""
    raw = redis_connection().hgetall(PROGRESS_KEY)
    if not raw:
        return None
    values = {key.decode(): value.decode() for key, value in raw.items()}
    return {"total": int(values["total"]), "done": int(values["done"]), "finished_at": values["finished_at"] or None}


def run(run_id):
    """The job: judge every recipient with opens or clicks again, CHUNK at a time."""
    redis = redis_connection()
    after, done = 0, 0
    while True:
        if (redis.hget(PROGRESS_KEY, "run") or b"").decode() != run_id:
            return "superseded"
        ids = db.session.scalars(
            select(Event.recipient_id).distinct().where(Event.kind.in_(ENGAGEMENT), Event.recipient_id > after)
            .order_by(Event.recipient_id).limit(CHUNK)
        ).all()
        if not ids:
            redis.hset(PROGRESS_KEY, "finished_at", utcnow().isoformat(timespec="seconds"))
            return f"{done} recipients judged again"
        rejudge(ids)
        after, done = ids[-1], done + len(ids)
        redis.hset(PROGRESS_KEY, "done", done)


def flagged_by_rule():
    """{rule or None: stored opens and clicks it decides}; None counts the Likely Human ones."""
    return dict(db.session.execute(
        select(Event.verdict_rule, func.count()).where(Event.kind.in_(ENGAGEMENT)).group_by(Event.verdict_rule)
    ).all())
