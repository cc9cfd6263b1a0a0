"""Automatic pause on a burst of refusals or failures: a sliding window of a mass email's recent attempts.

listmonk pauses a campaign after a fixed number of errors, however many messages went out
fine in between, and says nothing of why. Here every attempt of every batch of the mass
email (a message the server answered, or a connection that failed) pushes one entry onto
`mailroom:attempts:<mass_email_id>`, a Redis list trimmed to the admin's window
(AppSettings.auto_pause_window): "" for a message accepted, the server's reply for a refusal (bounce,
deferral), the connection failure, or why a recipient's message could not be built or handed
over (a template that fails for real contacts, an address the relay cannot take). Once MIN_SAMPLE attempts are in the window and the
refused share reaches AppSettings.auto_pause_percent, the batch that sees it pauses the
mass email with a reason quoting the most common reply, and stops; every other batch of the
mass email sees the same window at its next message and stops too. Resuming empties the
window, so a fixed problem is judged on fresh attempts only.

The push rides the journal's MULTI (journal.Journal.advance), so it adds no round trip (a failure
is journaled at once, with its own).
"""
import re
from collections import Counter
from dataclasses import dataclass

KEY_PREFIX = "mailroom:attempts:"
# Fewer attempts than this say nothing yet: three refusals out of the first four are chance.
MIN_SAMPLE = 20
KEEP_SECONDS = 7 * 24 * 3600
QUOTE_CHARS = 200

# KEYS[1] the window; ARGV: entry ("" = accepted), window size, ttl. Returns {refused, attempts}.
_PUSH = """
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
local recent = redis.call('LRANGE', KEYS[1], 0, -1)
local refused = 0
for _, entry in ipairs(recent) do
  if entry ~= '' then refused = refused + 1 end
end
return {refused, #recent}
"""
# Addresses and queue ids make every refusal unique; grouped without them, the common cause shows.
_VARYING = re.compile(r"<?[^\s<>@]+@[^\s<>]+>?|\b[0-9A-F]{8,}\b")


@dataclass(frozen=True)
class PauseRule:
    percent: int | None  # None: never pause automatically
    window: int

    @classmethod
    def from_settings(cls, settings):
        return cls(settings.auto_pause_percent, settings.auto_pause_window)


class FailureWindow:
    def __init__(self, redis, mass_email_id, rule):
        self.redis = redis
        self.rule = rule
        self.key = f"{KEY_PREFIX}{mass_email_id}"

    @property
    def watching(self):
        return self.rule.percent is not None

    def push(self, pipe, refusal):
        """Queue one attempt on `pipe`: `refusal` is the reply that refused it, "" when it was accepted."""
        pipe.eval(_PUSH, 1, self.key, refusal[:QUOTE_CHARS], self.rule.window, KEEP_SECONDS)

    def verdict(self, counts):
        """The pause reason for `counts` (the push's result), or None while the window looks healthy."""
        refused, attempts = (int(n) for n in counts)
        if attempts < min(MIN_SAMPLE, self.rule.window) or refused * 100 < self.rule.percent * attempts:
            return None
        return (f"Paused automatically: {refused} of the last {attempts} messages were refused or failed; "
                f"most said: {self.most_common_refusal()}")

    def record(self, refusal):
        """Push one attempt on its own round trip; returns verdict() (for attempts outside the journal's MULTI)."""
        if not self.watching:
            return None
        pipe = self.redis.pipeline(transaction=True)
        self.push(pipe, refusal)
        return self.verdict(pipe.execute()[0])

    def most_common_refusal(self):
        replies = [raw.decode("utf-8", "replace") for raw in self.redis.lrange(self.key, 0, -1) if raw]
        groups = Counter(_VARYING.sub("<…>", reply) for reply in replies)
        common = groups.most_common(1)[0][0]
        # Quote a real reply of the most common kind, as the server wrote it.
        return next(reply for reply in replies if _VARYING.sub("<…>", reply) == common)


def clear(redis, mass_email_id):
    """Forget the mass email's recent attempts: after a resume, only new ones count."""
    redis.delete(f"{KEY_PREFIX}{mass_email_id}")
