"""CSV export of exactly the contacts a detail view's table shows, streamed row by row."""
import csv
import io

from webapp.extensions import db
from webapp.reports.detail import export_statement

COLUMNS = ("email", "first_name", "last_name", "status", "status_changed_at", "opens", "clicks", "drop_reason",
           "bounce_kind", "smtp_reply")
# Rows fetched from the database cursor at a time; only these sit in memory, however long the export.
CHUNK = 2000


def export_lines(mass_email_id, selection):
    """Yields the CSV text, a chunk of lines at a time: a header, then the table's rows in its order, their cells
    made safe for spreadsheets by the query (detail.export_statement)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def taken():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(COLUMNS)
    yield taken()
    # Core rows from a server-side cursor (stream_results): no ORM processing, CHUNK rows held at a time.
    result = db.session.connection().execution_options(stream_results=True, yield_per=CHUNK).execute(
        export_statement(mass_email_id, selection))
    for partition in result.partitions():
        writer.writerows(partition)
        yield taken()
