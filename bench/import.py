"""CSV import throughput: a generated 100,000-row file (about 1% bad rows) through run_import, the job's own
service function, on SQLite and on PostgreSQL; prints the slower as import_rows_per_s.

config.py reads the environment at import time, so each database runs in a child process whose
environment names it before anything from webapp is imported.
"""
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROWS = 100_000
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def write_csv(path, rows=ROWS):
    """Realistic columns; every 100th row is bad: an invalid address, an empty one, or a duplicate."""
    with open(path, "w", encoding="utf-8", newline="") as file:
        file.write("Email Address,First Name,Last Name,Company,Plan,Last activity\n")
        for i in range(rows):
            if i % 100 == 37:
                email = ("not-an-address", "", f"Person{i - 1}@Example.com")[i // 100 % 3]
            else:
                email = f"Person{i}@Example.com"
            file.write(f"{email},First{i},Last{i},Company {i % 997},{('free', 'pro', 'team')[i % 3]},2024-05-{i % 28 + 1:02d}\n")


def run_one():
    """In the child: migrate a fresh database, upload the file, time run_import."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from webapp import create_app
    from webapp.audience import importer
    from webapp.audience.models import Contact, ListMembership
    from webapp.extensions import db

    app = create_app()
    with app.app_context():
        upgrade()
        path = Path(app.config["INSTANCE_DIR"]) / "bench.csv"
        write_csv(path)
        started = time.perf_counter()
        with open(path, "rb") as stream:
            contact_import = importer.save_upload(stream, "bench.csv", app.config["UPLOAD_DIR"], None)
        uploaded = time.perf_counter()
        importer.configure_import(contact_import, contact_import.mapping["columns"], new_list_name="Bench")
        run_started = time.perf_counter()
        counts = importer.run_import(contact_import.id)
        elapsed = time.perf_counter() - run_started
        contacts = db.session.scalar(select(func.count()).select_from(Contact))
        members = db.session.scalar(select(func.count()).select_from(ListMembership))
        assert contacts == members == counts["created_count"] == ROWS - counts["error_count"], (contacts, members, counts)
        print(f"rows_per_s: {ROWS / elapsed:.0f}")
        print(f"upload_check_s: {uploaded - started:.2f}")
        print(f"rejected_rows: {counts['error_count']}")


def _child(env):
    result = subprocess.run([sys.executable, "-c", "import importlib; importlib.import_module('bench.import').run_one()"],
                            env=env, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    if result.returncode:
        sys.exit(f"benchmark child failed:\n{result.stderr[-3000:]}")
    return dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)


def main():
    import psycopg

    base_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    results = {}
    with tempfile.TemporaryDirectory(prefix="mailroom-bench-") as tmp:
        results["sqlite"] = _child(dict(base_env, MAILROOM_INSTANCE=f"{tmp}/sqlite", MAILROOM_ENV="test"))
        name = f"mailroom_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            url = PG_ADMIN_URL.rpartition("/")[0] + "/" + name
            results["postgresql"] = _child(dict(base_env, MAILROOM_INSTANCE=f"{tmp}/pg", MAILROOM_ENV="test", DATABASE_URL=url))
        finally:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"import_rows_per_s: {min(int(r['rows_per_s']) for r in results.values())}")
    for backend, result in results.items():
        print(f"import_rows_per_s_{backend}: {result['rows_per_s']}")
        print(f"import_upload_check_s_{backend}: {result['upload_check_s']}")
    print(f"import_rejected_rows: {results['sqlite']['rejected_rows']}")


if __name__ == "__main__":
    main()
