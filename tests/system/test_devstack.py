"""`make run` on a fresh machine: embedded Redis, SQLite, SMTP catcher, web, worker and clock; Ctrl-C stops all."""
import json
import os
import re
import signal
import smtplib
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from redis import Redis
from rq.cron import CronScheduler

from tests.machine import ROOT, free_port

pytestmark = pytest.mark.worker  # `make run`'s whole stack runs as processes: web, worker, clock


def _get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_devstack_runs_everything_on_embedded_defaults_and_stops_on_ctrl_c(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "MAIL_SERVER"}}
    web_port, smtp_port = free_port(), free_port()
    env.update(MAILROOM_ENV="dev", MAILROOM_INSTANCE=str(tmp_path / "instance"), MAIL_PORT=str(smtp_port))
    log = open(tmp_path / "devstack.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "devstack", "--port", str(web_port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            try:
                status, health = _get_json(f"http://127.0.0.1:{web_port}/healthz")
                if status == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.3)
        assert status == 200, (tmp_path / "devstack.log").read_text()
        assert health["workers"]["count"] == 1
        assert (tmp_path / "instance" / "mailroom.db").exists()

        with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
            smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: caught\r\n\r\nhello\r\n")
        assert len(list((tmp_path / "instance" / "outbox" / "new").iterdir())) == 1

        # The clock (RQ's cron scheduler) has signed in to the embedded Redis.
        redis_url = re.search(r"embedded redis-server at (\S+)", (tmp_path / "devstack.log").read_text()).group(1)
        with Redis.from_url(redis_url) as redis:
            while not CronScheduler.all(redis) and time.monotonic() < deadline:
                time.sleep(0.3)
            assert len(CronScheduler.all(redis)) == 1, (tmp_path / "devstack.log").read_text()
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        process.wait(timeout=30)
        log.close()
    time.sleep(1)
    try:
        os.killpg(process.pid, 0)
        leftovers = True
    except ProcessLookupError:
        leftovers = False
    assert not leftovers, "processes of the dev stack survived Ctrl-C"
    log_text = (tmp_path / "devstack.log").read_text()
    assert "shutdown complete" in log_text, log_text[-3000:]  # the clock stopped cleanly
