"""The hourly sending limit (AppSettings.max_per_hour), shared by every worker through Redis.

The bucket holds `limit` tokens per clock hour (UTC): one Redis counter per hour window,
taken from by a Lua script so that reading the count and adding to it is one atomic step
for all workers. A batch takes tokens BEFORE it claims recipients (so it never claims rows
it may not send), and gives back what it could not use. When the hour's tokens are gone
the batch waits for the next window (`seconds_until_refill`).
"""
from datetime import timedelta

WINDOW_SECONDS = 3600
KEY_PREFIX = "mailroom:throttle:"

# KEYS[1] the window's counter; ARGV: wanted, limit, ttl. Returns how many tokens were granted.
_TAKE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local granted = math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - used)
if granted <= 0 then return 0 end
redis.call('INCRBY', KEYS[1], granted)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return granted
"""


def _window(now):
    """The start of `now`'s hour window (naive UTC datetimes)."""
    return now.replace(minute=0, second=0, microsecond=0)


class HourlyBucket:
    def __init__(self, redis, limit):
        self.redis = redis
        self.limit = limit  # None: no limit

    def _key(self, now):
        return f"{KEY_PREFIX}{_window(now):%Y%m%d%H}"

    def take(self, wanted, now):
        """Up to `wanted` tokens of `now`'s window; the number granted (0 when the hour is used up)."""
        if self.limit is None:
            return wanted
        # The counter outlives its hour a little, so a late give_back() still finds it.
        return int(self.redis.eval(_TAKE, 1, self._key(now), wanted, self.limit, 2 * WINDOW_SECONDS))

    def give_back(self, unused, taken_at):
        """Return tokens not spent (fewer rows claimed, connection lost); `taken_at` is the `now` given to take()."""
        if self.limit is not None and unused > 0:
            self.redis.decrby(self._key(taken_at), unused)

    def seconds_until_refill(self, now):
        return max(1, int((_window(now) + timedelta(seconds=WINDOW_SECONDS) - now).total_seconds()) + 1)
