"""The event stream: what the hot endpoints queue is stored once, whatever happens to the drain."""
import os
import signal
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from webapp.audience.models import Contact
from webapp.common.queues import queue, redis_connection
from webapp.compose.models import Template
from webapp.events import stream
from webapp.events.ingest import Incoming, ingest
from webapp.events.models import Event
from webapp.extensions import db
from webapp.sending.models import MassEmail, Recipient
from tests.waiting import wait_for, writes_blocked

T0 = datetime(2026, 6, 1, 9, 0)
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def sent_recipients(count):
    template = Template(name="T", subject="Hi", html="<p>Hi</p>", text=None, from_name="", from_email="", reply_to="")
    db.session.add(template)
    db.session.flush()
    mail = MassEmail(name="News", template_version=template.snapshot(), state="sent")
    db.session.add(mail)
    db.session.flush()
    emails = [f"p{n}@example.com" for n in range(count)]
    db.session.execute(insert(Contact), [{"email": e, "email_domain": "example.com"} for e in emails])
    db.session.execute(insert(Recipient).from_select(
        ["mass_email_id", "contact_id", "email", "status", "sent_at"],
        select(db.literal(mail.id), Contact.id, Contact.email, db.literal("sent"), db.literal(T0))))
    db.session.commit()
    return mail.id, db.session.scalars(select(Recipient.id).order_by(Recipient.id)).all()


def publish_opens(recipient_ids, per_recipient=1):
    redis = redis_connection()
    for n in range(per_recipient):
        for rid in recipient_ids:
            stream.publish(redis, Incoming("open", T0 + timedelta(minutes=10, seconds=n), "pixel", rid, user_agent=BROWSER))


def stored_opens():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Event).where(Event.kind == "open"))


def test_the_drain_stores_everything_queued_and_leaves_the_stream_empty(ctx):
    mail_id, ids = sent_recipients(50)
    publish_opens(ids, per_recipient=3)

    assert stream.drain() == 150

    assert stored_opens() == 150 and redis_connection().xlen(stream.STREAM) == 0
    assert db.session.get(MassEmail, mail_id).open_count == 150
    assert db.session.get(MassEmail, mail_id).unique_open_count == 50


def test_a_drain_that_committed_but_died_before_acknowledging_stores_nothing_twice(ctx):
    mail_id, ids = sent_recipients(10)
    publish_opens(ids)
    redis = redis_connection()
    stream._ensure_group(redis)
    entries = [e for _, batch in redis.xreadgroup(stream.GROUP, "dead-drain", {stream.STREAM: ">"}) for e in batch]
    ingest([stream._incoming(entry_id, fields) for entry_id, fields in entries])  # committed; then the process died

    time.sleep(1.1)  # the test config's EVENT_RECLAIM_SECONDS: the dead drain's entries are taken over
    stream.drain()

    assert stored_opens() == 10 and db.session.get(MassEmail, mail_id).open_count == 10
    assert redis.xpending(stream.STREAM, stream.GROUP)["pending"] == 0


def test_garbage_in_the_stream_is_dropped_without_stopping_the_drain(ctx):
    mail_id, ids = sent_recipients(1)
    redis = redis_connection()
    redis.xadd(stream.STREAM, {"e": "not json"})
    redis.xadd(stream.STREAM, {"x": "1"})
    publish_opens(ids)

    stream.drain()

    assert stored_opens() == 1 and redis.xlen(stream.STREAM) == 0


def test_an_open_of_a_message_still_being_sent_waits_in_the_stream(ctx):
    mail_id, (rid,) = sent_recipients(1)
    db.session.execute(Recipient.__table__.update().values(status="sending"))
    db.session.commit()
    publish_opens([rid])

    stream.drain()
    assert stored_opens() == 0 and redis_connection().xpending(stream.STREAM, stream.GROUP)["pending"] == 1

    db.session.execute(Recipient.__table__.update().values(status="sent"))
    db.session.commit()
    time.sleep(1.1)
    stream.drain()
    assert stored_opens() == 1 and redis_connection().xlen(stream.STREAM) == 0


@pytest.mark.worker
def test_a_drain_killed_mid_batch_loses_nothing_and_stores_nothing_twice(app, ctx, start_worker):
    mail_id, ids = sent_recipients(1500)
    publish_opens(ids, per_recipient=2)  # 3,000 events: three batches
    with writes_blocked("events"):
        process = start_worker(with_scheduler=False)
        queue("default").enqueue("jobs.events.drain_events")
        wait_for(lambda: _pending() > 0)
        time.sleep(0.3)  # its first batch waits for the database inside ingest
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    assert stored_opens() == 0

    time.sleep(1.1)
    stream.drain(max_seconds=60)

    assert stored_opens() == 3000 and redis_connection().xlen(stream.STREAM) == 0
    mail = db.session.get(MassEmail, mail_id)
    assert (mail.open_count, mail.unique_open_count) == (3000, 1500)


def _pending():
    groups = redis_connection().xinfo_groups(stream.STREAM)
    return groups[0]["pending"] if groups else 0
