"""Health of the parts the app needs: database, Redis, and at least one RQ worker."""
from rq import Worker
from sqlalchemy import text

from webapp.common.queues import redis_connection
from webapp.extensions import db


def check_health():
    report = {"database": _check(lambda: db.session.execute(text("SELECT 1")).scalar_one() == 1)}
    report["redis"] = _check(lambda: redis_connection().ping())
    workers = []
    if report["redis"]["ok"]:
        workers = Worker.all(connection=redis_connection())
    report["workers"] = {"ok": bool(workers), "count": len(workers)}
    if not workers:
        report["workers"]["error"] = "no RQ worker is running"
    return report, all(part["ok"] for part in report.values())


def _check(probe):
    try:
        return {"ok": bool(probe())}
    except Exception as error:  # noqa: BLE001  health reports every failure, whatever its kind
        db.session.rollback()
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}
