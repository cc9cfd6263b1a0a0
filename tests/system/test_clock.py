"""The clock: RQ's cron scheduler enqueues the periodic jobs every minute; workers run them."""
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from rq import Queue
from rq.cron import CronScheduler

from tests.factories import a_mass_email
from tests.machine import ROOT, RUN_DIR
from tests.sending.helpers import statuses
from webapp.common.clock import utcnow
from webapp.common.queues import redis_connection
from webapp.sending.batches import claim_batch
from webapp.sending.step import LEASE_SECONDS
from webapp.system.worker import AppContextWorker

PERIODIC = {"jobs.sending.start_due": 60, "jobs.sending.recover_stale_claims": 60,
            "jobs.sending.recover_stalled_preparations": 60, "jobs.sending.rescue_stalled_drips": 60,
            "jobs.events.drain_events": 2, "jobs.bounces.reconcile_bounces": 300}


def test_the_cron_config_runs_each_periodic_job_at_its_interval_on_the_default_queue(ctx):
    scheduler = CronScheduler(connection=redis_connection())
    scheduler.load_config_from_file("jobs.cron")

    assert {job.func_name: job.interval for job in scheduler.get_jobs()} == PERIODIC
    assert {job.queue_name for job in scheduler.get_jobs()} == {"default"}


def _start_clock():
    log_path = RUN_DIR / f"clock-{os.getpid()}-{time.monotonic_ns()}.log"
    log = open(log_path, "wb")
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "clock"],
                               cwd=ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT)
    return process, log, log_path


@pytest.mark.worker  # the clock runs as a process of its own
def test_a_crashed_batch_is_recovered_by_the_clock_and_a_worker(app, ctx):
    # A batch claimed three rows and its worker died: the lease has run out.
    mail_id = a_mass_email(state="sending", recipients=3).id
    claim_batch(mail_id, 3, LEASE_SECONDS, utcnow() - timedelta(seconds=LEASE_SECONDS + 5))
    default = Queue("default", connection=redis_connection())

    process, log, log_path = _start_clock()
    try:
        deadline = time.monotonic() + 20  # an interval job is due at once when the clock starts
        while {job.func_name for job in default.jobs} != set(PERIODIC):
            assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        assert [s.pid for s in CronScheduler.all(redis_connection())] == [process.pid]
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        log.close()
    assert CronScheduler.all(redis_connection()) == []  # it signed off

    # The clock only enqueued; a worker runs the jobs, in an app context.
    ticks = default.jobs
    AppContextWorker.app = app
    AppContextWorker([default], connection=redis_connection()).work(burst=True)

    assert {tick.func_name: tick.latest_result().return_value for tick in ticks} == {
        "jobs.sending.start_due": [],  # nothing scheduled
        "jobs.sending.recover_stale_claims": [mail_id],
        "jobs.sending.recover_stalled_preparations": [],  # nothing preparing
        "jobs.events.drain_events": 0,  # no opens or clicks waiting
        "jobs.sending.rescue_stalled_drips": [],  # no drips
        # no bounce mailbox set, no deferrals
        "jobs.bounces.reconcile_bounces": {"mailbox": None, "expired_deferrals": 0, "batches_queued": []},
    }
    assert set(statuses(mail_id).values()) == {"queued"}
    assert [job.func_name for job in Queue("sending", connection=redis_connection()).jobs] == ["jobs.sending.send_batch"]
