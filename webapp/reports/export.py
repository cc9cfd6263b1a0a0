"""CSV export of exactly the contacts a detail view's table shows, streamed row by row."""
import csv
import io

from webapp.audience.export import safe_cell
from webapp.extensions import db
from webapp.reports.detail import export_statement

COLUMNS = ("email", "first_name", "last_name", "status", "status_changed_at", "opens", "clicks", "drop_reason",
           "bounce_kind", "smtp_reply")
# Rows fetched from the database cursor at a time; only these sit in memory, however long the export.
CHUNK = 2000


def export_lines(mass_email_id, selection):
    """Yields the CSV text, a chunk of lines at a time: a header, then the table's rows in its order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def taken():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(COLUMNS)
    result = db.session.execute(export_statement(mass_email_id, selection).execution_options(yield_per=CHUNK))
    for partition in result.partitions():
        for row in partition:
            writer.writerow([safe_cell(value) for value in (
                row.email, row.first_name, row.last_name, row.status, row.status_changed_at, row.open_count,
                row.click_count, row.drop_reason, row.bounce_kind, row.smtp_reply)])
        yield taken()
    yield taken()
