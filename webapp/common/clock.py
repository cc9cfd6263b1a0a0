"""The one clock: naive UTC, as every datetime column stores it."""
from datetime import UTC, datetime


def utcnow():
    return datetime.now(UTC).replace(tzinfo=None)
