"""The hourly sending limit: one bucket per clock hour, shared by every worker through Redis."""
import threading
from datetime import datetime

from webapp.common.queues import redis_connection
from webapp.sending.throttle import HourlyBucket

TEN_PAST = datetime(2026, 6, 1, 12, 10)


def test_an_hour_grants_at_most_its_limit(ctx):
    bucket = HourlyBucket(redis_connection(), 5)

    assert bucket.take(3, TEN_PAST) == 3
    assert bucket.take(3, TEN_PAST) == 2
    assert bucket.take(3, TEN_PAST) == 0


def test_the_next_hour_refills_the_bucket(ctx):
    bucket = HourlyBucket(redis_connection(), 5)
    bucket.take(5, TEN_PAST)

    assert bucket.seconds_until_refill(TEN_PAST) == 50 * 60 + 1
    assert bucket.take(5, datetime(2026, 6, 1, 13, 0)) == 5


def test_unused_tokens_can_be_given_back(ctx):
    bucket = HourlyBucket(redis_connection(), 5)
    bucket.take(5, TEN_PAST)

    bucket.give_back(2, TEN_PAST)

    assert bucket.take(5, TEN_PAST) == 2


def test_no_limit_grants_everything(ctx):
    assert HourlyBucket(redis_connection(), None).take(10_000, TEN_PAST) == 10_000


def test_workers_taking_at_once_share_one_limit(app, ctx):
    granted, start = [], threading.Barrier(8)

    def worker():
        with app.app_context():
            bucket = HourlyBucket(redis_connection(), 100)
            start.wait()
            granted.extend(bucket.take(7, TEN_PAST) for _ in range(5))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(granted) == 100
