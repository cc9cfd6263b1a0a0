"""The cron scheduler used by `flask clock`: RQ's own, stopping once however many signals arrive.

Ctrl-C reaches every process of `flask devstack`, which then also sends SIGTERM to its children
(a process manager may signal twice too). RQ's scheduler raises StopRequested on every signal,
so a second one would break off its sign-off from Redis halfway.
"""
import signal

from rq.cron import CronScheduler


class Clock(CronScheduler):
    def _request_stop(self, signum, frame):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        super()._request_stop(signum, frame)
