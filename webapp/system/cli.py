import os
import signal
import socket
import subprocess
import sys
import time

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from redis import Redis

from webapp.common.embedded import start_redis, start_smtp_catcher
from webapp.common.queues import QUEUES, redis_url
from webapp.system.clock import Clock
from webapp.system.worker import AppContextWorker


@click.command("worker")
@click.option("--with-scheduler", is_flag=True, help="Also run RQ's scheduler for enqueue_in/enqueue_at jobs.")
@click.option("--burst", is_flag=True, help="Quit when the queues are empty.")
@click.argument("queues", nargs=-1)
@with_appcontext
def worker_command(with_scheduler, burst, queues):
    """Run an RQ worker with the app's context around every job."""
    AppContextWorker.app = current_app._get_current_object()
    worker = AppContextWorker(list(queues or QUEUES), connection=Redis.from_url(redis_url()))
    worker.work(with_scheduler=with_scheduler, burst=burst, logging_level="INFO")


@click.command("clock")
@with_appcontext
def clock_command():
    """Run RQ's cron scheduler: it enqueues the periodic jobs of jobs/cron.py for the workers."""
    scheduler = Clock(connection=Redis.from_url(redis_url()), logging_level="INFO")
    scheduler.load_config_from_file("jobs.cron")  # by module name: webapp never imports jobs/
    scheduler.start()  # until SIGINT/SIGTERM


def _in_use(port):
    """Whether something listens on 127.0.0.1:port already (bound as the servers bind it)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _refuse_taken_ports(ports):
    """{variable: port}: stop before starting anything, naming the variable to change."""
    for variable, port in ports.items():
        if _in_use(port):
            raise click.ClickException(f"port {port} is already in use by another program. "
                                       f"Set {variable} to a free port, e.g. `{variable}={port + 1} make run`.")


@click.command("devstack")
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", "5000")), show_default="5000 or $PORT")
@with_appcontext
def devstack_command(port):
    """Run everything on one machine: embedded services, migrations, web, worker and clock.
    Ctrl-C or SIGTERM stops all of it, the embedded redis-server included."""
    catching = current_app.config["MAIL_CATCHER"]
    _refuse_taken_ports({"PORT": port} | ({"MAIL_PORT": current_app.config["MAIL_PORT"]} if catching else {}))

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # first: a SIGTERM while starting up must clean up too
    env = dict(os.environ)
    instance = current_app.config["INSTANCE_DIR"]
    redis_server = catcher = None
    children = []
    try:
        if not os.environ.get("REDIS_URL"):
            redis_server, env["REDIS_URL"] = start_redis(instance / "redis.db")
            click.echo(f" * embedded redis-server at {env['REDIS_URL']}")
        if catching:
            catcher = start_smtp_catcher(current_app.config["OUTBOX_DIR"], port=current_app.config["MAIL_PORT"])
            click.echo(f" * SMTP catcher on 127.0.0.1:{current_app.config['MAIL_PORT']} (see the Outbox page)")
        upgrade()
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        for command in (["run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"], ["worker", "--with-scheduler"],
                        ["clock"]):
            children.append(subprocess.Popen([*flask, *command], env=env))
        click.echo(f" * Mailroom on http://127.0.0.1:{port}  (Ctrl-C stops everything)")
        parent = os.getppid()
        while all(child.poll() is None for child in children):
            if os.getppid() != parent:  # `make` was killed without passing the signal on
                break
            time.sleep(0.5)
        else:
            click.echo(" ! a process exited; stopping the rest", err=True)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the clean-up short
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        if catcher:
            catcher.stop()
        if redis_server is not None:
            redis_server.shutdown()
