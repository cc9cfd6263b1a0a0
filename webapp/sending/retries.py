"""When to try a deferred recipient again, and when a deferral has lasted long enough to be a soft bounce."""
from datetime import timedelta

# Exponential from 5 minutes, doubling, each step capped at 4 hours: a greylisting server
# (usually 1-15 minutes) is passed on the first or second retry, and a day-long outage costs
# about a dozen attempts inside the retry window.
DEFAULT_SCHEDULE = (300, 600, 1200, 2400, 4800, 9600, 14400)
RETRY_WINDOW = timedelta(hours=72)  # as SendGrid: a deferral still failing after 72 h is a soft bounce


def next_retry_delay(attempts, retry_after=None, schedule=DEFAULT_SCHEDULE):
    """Seconds to wait after the `attempts`-th failed attempt (1 = the first); the last step repeats.

    A server that asked for a longer wait gets it: retrying sooner only earns another refusal.
    """
    delay = schedule[min(max(attempts, 1), len(schedule)) - 1]
    return max(delay, retry_after or 0)


def retry_window_exhausted(first_attempt_at, now, window=RETRY_WINDOW):
    """True when a deferred recipient has been retried long enough to count as a soft bounce."""
    return now - first_attempt_at >= window
