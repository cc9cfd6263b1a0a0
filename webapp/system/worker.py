"""The RQ worker used by `flask worker`: every job runs inside a fresh app context.

The worker is started through the Flask CLI (as Redash does), so job modules in
jobs/ stay thin and never build an app on import.
"""
from rq import SimpleWorker


class AppContextWorker(SimpleWorker):
    """Runs jobs in-process (no fork per job: our jobs are batches, and forking costs ~10 ms each)."""

    app = None

    def perform_job(self, job, queue, *args, **kwargs):  # RQ 3 also passes the execution
        with self.app.app_context():
            return super().perform_job(job, queue, *args, **kwargs)
