"""`make run` on a fresh machine: embedded Redis, SQLite, SMTP catcher, web, worker and clock; Ctrl-C or SIGTERM
stops all; a port in use is named, not a traceback."""
import json
import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import psutil
import pytest
from redis import Redis
from rq.cron import CronScheduler

from tests.machine import ROOT, free_port

# `make run`'s whole stack runs as processes (web, worker, clock), on the embedded defaults whatever DATABASE_URL says.
pytestmark = [pytest.mark.worker, pytest.mark.database_free]


def _get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def _devstack_env(tmp_path, smtp_port):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "MAIL_SERVER", "PORT"}}
    env.update(MAILROOM_ENV="dev", MAILROOM_INSTANCE=str(tmp_path / "instance"), MAIL_PORT=str(smtp_port))
    return env


def _start_devstack(tmp_path, web_port, smtp_port, log):
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "devstack", "--port", str(web_port)],
        cwd=ROOT, env=_devstack_env(tmp_path, smtp_port), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def _wait_healthy(tmp_path, web_port):
    deadline = time.monotonic() + 60
    status = health = None
    while time.monotonic() < deadline:
        try:
            status, health = _get_json(f"http://127.0.0.1:{web_port}/healthz")
            if status == 200:
                break
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.3)
    assert status == 200, (tmp_path / "devstack.log").read_text()
    return health


def test_devstack_runs_everything_on_embedded_defaults_and_stops_on_ctrl_c(tmp_path):
    web_port, smtp_port = free_port(), free_port()
    log = open(tmp_path / "devstack.log", "wb")
    process = _start_devstack(tmp_path, web_port, smtp_port, log)
    try:
        health = _wait_healthy(tmp_path, web_port)
        deadline = time.monotonic() + 30
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


def test_sigterm_to_devstack_alone_stops_every_process_it_started_redis_server_included(tmp_path):
    web_port, smtp_port = free_port(), free_port()
    with open(tmp_path / "devstack.log", "wb") as log:
        process = _start_devstack(tmp_path, web_port, smtp_port, log)
        try:
            _wait_healthy(tmp_path, web_port)
            socket_path = re.search(r"embedded redis-server at unix://(\S+)", (tmp_path / "devstack.log").read_text()).group(1)
            # redis-server daemonizes: it is no child of devstack, but it is the one listening on this socket.
            redis_servers = [p for p in psutil.process_iter(["cmdline"]) if socket_path in " ".join(p.info["cmdline"] or [])]
            started = psutil.Process(process.pid).children(recursive=True) + redis_servers
            assert len(redis_servers) == 1 and len(started) >= 4  # web, worker, clock, redis-server
        finally:
            process.send_signal(signal.SIGTERM)  # to devstack only, as a process manager does
            process.wait(timeout=30)
    assert process.returncode is not None
    gone, alive = psutil.wait_procs(started, timeout=5)
    assert not alive, [p.cmdline() for p in alive]


@pytest.mark.parametrize("taken", ["PORT", "MAIL_PORT"])
def test_a_port_in_use_is_named_with_the_variable_to_change(tmp_path, taken):
    web_port, smtp_port = free_port(), free_port()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", web_port if taken == "PORT" else smtp_port))
        squatter.listen()
        env = _devstack_env(tmp_path, smtp_port) | {"PORT": str(web_port)}
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "devstack"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
    port = web_port if taken == "PORT" else smtp_port
    assert result.returncode != 0
    assert f"port {port} is already in use by another program. Set {taken} to a free port" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "instance" / "redis.db").exists()  # nothing was started
