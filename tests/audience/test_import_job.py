"""The import runs in a real RQ worker process and ends in "done" with the right counts."""
import io
import time

from sqlalchemy import func, select

from webapp.audience import importer
from webapp.audience.models import Contact, ContactImport, ListMembership
from webapp.extensions import db


def wait_until_finished(import_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        contact_import = db.session.get(ContactImport, import_id)
        if contact_import.state in importer.FINISHED_STATES:
            return contact_import
        time.sleep(0.2)
    raise AssertionError(f"import still {contact_import.state} after {timeout}s")


def test_worker_imports_the_file_and_reports_done_with_counts(app, ctx, worker):
    rows = "".join(f"p{i}@example.com,P{i}\n" for i in range(120)) + "broken,X\np1@example.com,Dup\n"
    contact_import = importer.save_upload(io.BytesIO(("email,first name\n" + rows).encode()), "team.csv", app.config["UPLOAD_DIR"], None)
    importer.start_import(contact_import, contact_import.mapping["columns"], new_list_name="Team")
    done = wait_until_finished(contact_import.id)
    assert (done.state, done.failure) == ("done", None)
    assert (done.processed_rows, done.created_count, done.updated_count, done.error_count) == (122, 120, 0, 2)
    assert done.finished_at is not None
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 120
    assert db.session.scalar(select(func.count()).select_from(ListMembership)) == 120
