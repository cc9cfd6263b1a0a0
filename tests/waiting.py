"""Waiting in tests: for a condition, or while another connection holds the database's write lock."""
import sqlite3
import time

from webapp.extensions import db


def wait_for(condition, seconds=60):
    """Poll `condition` until it holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


class writes_blocked:
    """Hold the database's write lock (SQLite) or `table`'s (PostgreSQL) while inside."""

    def __init__(self, table):
        self.table = table

    def __enter__(self):
        if db.engine.dialect.name == "sqlite":
            self.connection = sqlite3.connect(db.engine.url.database, timeout=30)
            self.connection.execute("BEGIN IMMEDIATE")
        else:
            self.connection = db.engine.raw_connection()
            self.connection.cursor().execute(f"LOCK TABLE {self.table} IN EXCLUSIVE MODE")
        return self

    def __exit__(self, *exc_info):
        self.connection.rollback()
        self.connection.close()
