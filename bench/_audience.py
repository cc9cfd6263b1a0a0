"""Shared by the contact benchmarks: a fresh database per backend, measured in a child process.

Each measurement runs in its own interpreter because config.py reads DATABASE_URL and
MAILROOM_INSTANCE when first imported; the parent only arranges the environment.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MACHINE_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def _postgres_admin_url():
    url = os.environ.get("DATABASE_URL") or MACHINE_POSTGRES
    url = url.replace("postgresql+psycopg://", "postgresql://", 1).replace("postgres://", "postgresql://", 1)
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=3).close()
    except Exception as error:  # noqa: BLE001  (any failure means "no PostgreSQL here"; say why)
        print(f"# postgresql skipped: {error}".splitlines()[0], flush=True)
        return None
    return url


@contextmanager
def fresh_database(backend, admin_url=None):
    """Environment variables pointing the app at a new, empty database; removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix=f"mailroom-bench-{backend}-"))
    env = {**os.environ, "MAILROOM_ENV": "test", "MAILROOM_INSTANCE": str(tmp / "instance"), "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    name = None
    if backend == "postgresql":
        import psycopg

        name = f"mailroom_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = f"{admin_url.rpartition('/')[0]}/{name}"
    try:
        yield env
    finally:
        if name:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


def measure(function, *keys):
    """Run `function` (a "module:name" of a function printing `key: value` lines) on every backend.

    Prints each key per backend (`key_sqlite`, `key_postgresql`) and the key itself as the
    slower backend's figure: the larger one, as every key here is a time.
    """
    backends = [("sqlite", None)]
    admin_url = _postgres_admin_url()
    if admin_url:
        backends.append(("postgresql", admin_url))
    figures = {key: {} for key in keys}
    module, _, name = function.partition(":")
    for backend, url in backends:
        with fresh_database(backend, url) as env:
            output = subprocess.run([sys.executable, "-c", f"import {module}; {module}.{name}()"],
                                    cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
        for line in output.splitlines():
            if line.startswith("# "):  # the child's detail lines, e.g. per-URL medians
                print(f"# {backend} {line[2:]}", flush=True)
            key, _, value = line.partition(": ")
            if key in figures:
                figures[key][backend] = float(value)
                print(f"{key}_{backend}: {float(value):.1f}", flush=True)
    for key, values in figures.items():
        print(f"{key}: {max(values.values()):.1f}")


def app_with_schema():
    """The app on the child's fresh database, migrated."""
    from flask_migrate import upgrade

    from webapp import create_app

    app = create_app()
    with app.app_context():
        upgrade()
    return app
