"""CSV import of contacts: upload, column mapping, and the set-based upsert the import job runs.

Rows are parsed and validated in Python, CHUNK_ROWS at a time; each chunk then
becomes one multi-row upsert into contacts and one INSERT .. SELECT into the
target list, committed on its own with the progress counts, so progress shows
while memory stays flat. Writer threads write chunks while the next is parsed.
A re-import updates contacts matched by normalised email: non-empty cells
overwrite, empty cells leave existing data alone, custom fields are merged.
"""
import csv
import logging
import queue
import re
import shutil
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from json.encoder import encode_basestring_ascii as _json_string
from pathlib import Path

from flask import current_app
from sqlalchemy import (
    JSON, Boolean, Column, MetaData, Table, bindparam, case, cast, func, literal, literal_column, select, true, update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.schema import CreateTable

from webapp.audience.csvfiles import MAX_CELL_CHARS, MAX_COLUMNS, CsvFormat, CsvRows, UnreadableFile, detect_format, formula_safe
from webapp.audience.models import CONTACT_STATUSES, Contact, ContactImport, ListMembership, TargetList
from webapp.auth.models import User
from webapp.common.clock import utcnow
from webapp.common.emails import InvalidEmail, normalize_email
from webapp.common.filters import plural
from webapp.common.queues import enqueue
from webapp.extensions import db

log = logging.getLogger(__name__)

CHUNK_ROWS = 20_000
PREVIEW_ROWS = 10
SHOWN_ERRORS = 100
FINISHED_STATES = ("done", "failed")
TEXT_LIMIT = 200  # the contacts table's name and company columns
DUPLICATE = object()  # parse()'s "reason" for a row repeating an earlier one exactly: counted, not rejected

# What a CSV column can become, in the order the mapping select offers them.
FIELDS = {
    "email": "Email address",
    "first_name": "First name",
    "last_name": "Last name",
    "company": "Company",
    "status": "Status",
    "last_activity_at": "Last activity",
    "custom": "Custom field",
    "ignore": "Don't import",
}
TEXT_FIELDS = ("first_name", "last_name", "company")
# Every contacts column an import can fill, in the order _RowParser.fields lists them.
_IMPORTED_COLUMNS = ("email", "email_domain", *TEXT_FIELDS, "status", "last_activity_at", "custom_fields")
CUSTOM_PREFIX = "custom:"

# Header spellings seen in exports from spreadsheets, CRMs and other mailers, compacted (see _compact).
_HEADER_GUESSES = {
    "email": {"email", "emailaddress", "mail", "emailadresse", "courriel", "correo", "primaryemail", "workemail"},
    "first_name": {"firstname", "first", "givenname", "forename", "vorname", "prenom", "fname"},
    "last_name": {"lastname", "last", "surname", "familyname", "nachname", "nom", "lname"},
    "company": {"company", "companyname", "organisation", "organization", "org", "employer", "firma", "account", "accountname"},
    "status": {"status", "contactstatus", "subscriptionstatus"},
    "last_activity_at": {"lastactivity", "lastactivityat", "lastactive", "lastseen", "lastengaged"},
}


@dataclass
class Upload:
    """What the mapping step needs to know about a stored file."""

    csv_format: CsvFormat
    headers: list
    preview: list  # (line, cells) of the first rows
    total_rows: int


def _compact(header):
    return re.sub(r"[^a-z0-9]", "", header.lower())


def slugify(header, position):
    """The custom field key a column fills: "Favourite Colour" -> "favourite_colour"."""
    slug = re.sub(r"[^a-z0-9]+", "_", header.lower()).strip("_")
    return slug or f"column_{position + 1}"


def guess_fields(headers, preview):
    """A first mapping for each column from its header; an email column found by its values if no header says so."""
    guesses, taken = [], set()
    for header in headers:
        compact = _compact(header)
        field = next((f for f, names in _HEADER_GUESSES.items() if compact in names and f not in taken), None)
        if field is None:
            field = "custom" if compact else "ignore"
        taken.add(field)
        guesses.append(field)
    if "email" not in guesses:
        for index, header in enumerate(headers):
            values = [row[index] for row in preview if index < len(row) and row[index].strip()]
            if values and sum("@" in value for value in values) * 2 > len(values):
                guesses[index] = "email"
                break
    return guesses


def _clean_header(cell, position):
    return cell.strip().lstrip("\ufeff").strip() or f"Column {position + 1}"


def _records(rows):
    """Non-blank records, and those that could not be read (with their problem): spreadsheets add empty
    lines, which are neither contacts nor errors."""
    return (record for record in rows if record[2] or any(record[1]))


def read_upload(path):
    """Format, header, first rows and row count of a stored file; raises UnreadableFile with a reason."""
    csv_format = detect_format(path)
    with CsvRows(path, csv_format) as rows:
        records = _records(rows)
        first = next(records, None)
        if first is None:
            raise UnreadableFile("The file is empty.")
        if first[2]:
            raise UnreadableFile(f"The header row cannot be read: {first[2]}")
        if len(first[1]) > MAX_COLUMNS:
            raise UnreadableFile(f"The file has {len(first[1]):,} columns; an import takes at most {MAX_COLUMNS}. "
                                 "Delete the columns you do not need and upload it again.")
        headers = [_clean_header(cell, i) for i, cell in enumerate(first[1])]
        preview, total = [], 0
        for line, cells, _ in records:
            total += 1
            if total <= PREVIEW_ROWS:
                preview.append((line, cells))
    if total == 0:
        raise UnreadableFile("The file has a header row but no contacts below it.")
    return Upload(csv_format, headers, preview, total)


def save_upload(stream, filename, upload_dir, user_id):
    """Store an uploaded file under a random name and record it as an import waiting for its mapping."""
    upload_dir = Path(upload_dir)
    upload_dir.mkdir(parents=True, exist_ok=True)
    path = upload_dir / f"{uuid.uuid4().hex}.csv"
    with open(path, "wb") as target:
        shutil.copyfileobj(stream, target, 1024 * 1024)
    try:
        upload = read_upload(path)
    except UnreadableFile:
        path.unlink()
        raise
    contact_import = ContactImport(
        filename=filename[:255] or "upload.csv", stored_path=str(path), created_by_id=user_id, total_rows=upload.total_rows,
        mapping={
            "format": {"encoding": upload.csv_format.encoding, "delimiter": upload.csv_format.delimiter,
                       "warning": upload.csv_format.warning},
            "headers": upload.headers,
            "columns": guess_fields(upload.headers, [cells for _, cells in upload.preview]),
        },
    )
    db.session.add(contact_import)
    db.session.commit()
    return contact_import


def csv_format_of(contact_import):
    return CsvFormat(**contact_import.mapping["format"])


def preview_rows(contact_import):
    """The first rows of the file, for the mapping step (read again rather than stored: the file is the truth)."""
    return read_upload(contact_import.stored_path).preview


def recent_imports(limit=50):
    """The latest imports, newest first, each with the name of who started it."""
    who = func.coalesce(func.nullif(User.name, ""), User.email)
    statement = select(ContactImport, who).outerjoin(User, User.id == ContactImport.created_by_id)
    return db.session.execute(statement.order_by(ContactImport.id.desc()).limit(limit)).all()


def list_choices():
    """The lists an import may add its contacts to: static ones (a segment's members follow its filter)."""
    return db.session.execute(select(TargetList.id, TargetList.name).where(TargetList.kind == "static").order_by(TargetList.name)).all()


def list_name_taken(name):
    return db.session.scalar(select(TargetList.id).where(func.lower(TargetList.name) == name.strip().lower())) is not None


def resolved_columns(headers, fields):
    """The stored mapping: "custom" becomes "custom:<slug of the header>"."""
    return [CUSTOM_PREFIX + slugify(header, i) if field == "custom" else field for i, (header, field) in enumerate(zip(headers, fields))]


def start_import(contact_import, fields, *, target_list_id=None, new_list_name=None, user_id=None):
    """Fix the mapping and the target list, then queue the import job on the "imports" queue."""
    configure_import(contact_import, fields, target_list_id=target_list_id, new_list_name=new_list_name, user_id=user_id)
    enqueue("jobs.imports.run_import", contact_import.id, queue_name="imports", job_timeout=3600)


def configure_import(contact_import, fields, *, target_list_id=None, new_list_name=None, user_id=None):
    """The mapping step's outcome: columns resolved, the target list chosen or created, state "queued"."""
    if new_list_name:
        target_list = TargetList(name=new_list_name.strip(), created_by_id=user_id)
        db.session.add(target_list)
        db.session.flush()
        target_list_id = target_list.id
    mapping = dict(contact_import.mapping)
    mapping["columns"] = resolved_columns(mapping["headers"], fields)
    contact_import.mapping = mapping
    contact_import.target_list_id = target_list_id
    contact_import.state = "queued"
    db.session.commit()


def error_file(contact_import):
    """The downloadable CSV of rejected rows, when there are any and it is still on disk."""
    path = contact_import.errors_path
    return path if contact_import.error_count and path and Path(path).exists() else None


def rejected_rows(contact_import, limit=SHOWN_ERRORS):
    """The first rejected rows for the result page: (line, email cell as written to the error file, reason)."""
    path = error_file(contact_import)
    if path is None:
        return []
    email_index = contact_import.mapping["columns"].index("email")
    shown = []
    with open(path, encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file)
        next(reader, None)
        for cells in reader:
            if len(shown) == limit:
                break
            *original, line, reason = cells
            shown.append((int(line), original[email_index], reason))
    return shown


# ---- the import job -------------------------------------------------------------------------------


class _RowParser:
    """Turns one record into a row of values in `fields` order, or a reason in words why it is rejected."""

    def __init__(self, headers, columns):
        self.width = len(headers)
        self.email_index = columns.index("email")
        self.text = [(i, field) for i, field in enumerate(columns) if field in TEXT_FIELDS]
        # (index, the key as JSON text with its colon) of each custom field
        self.custom = [(i, _json_string(field[len(CUSTOM_PREFIX):]) + ": ") for i, field in enumerate(columns) if field.startswith(CUSTOM_PREFIX)]
        self.status = columns.index("status") if "status" in columns else None
        self.activity = columns.index("last_activity_at") if "last_activity_at" in columns else None
        self.fields = ["email", "email_domain", *(field for _, field in self.text)]
        self.fields += ["status"] * (self.status is not None) + ["last_activity_at"] * (self.activity is not None)
        self.fields += ["custom_fields"] * bool(self.custom)
        # normalised email -> (line of its first accepted row, hash of its cells), to tell a repeated row from a conflicting one
        self.first_line = {}

    def parse(self, line, cells):
        """(row, None), (None, reason), or (None, DUPLICATE) for an exact repeat of an earlier row."""
        if len(cells) != self.width:
            if any(cells[self.width:]):
                return None, f"This row has {plural(len(cells), 'cell')} but the header has {self.width}."
            # Spreadsheets leave out empty cells at the end of a row: those fields are simply empty.
            cells = (cells + [""] * self.width)[:self.width]
        if max(map(len, cells)) > MAX_CELL_CHARS:
            return None, f"a cell is longer than {MAX_CELL_CHARS:,} characters"
        raw_email = cells[self.email_index].strip()
        if not raw_email:
            return None, "empty email"
        try:
            email = normalize_email(raw_email)
        except InvalidEmail as error:
            return None, f"invalid email: {error}"
        row = [email, email.rpartition("@")[2]]
        for index, field in self.text:
            value = cells[index].strip()
            if len(value) > TEXT_LIMIT:
                return None, f"{FIELDS[field].lower()} is longer than {TEXT_LIMIT} characters"
            row.append(value)
        if self.status is not None:
            status = cells[self.status].strip().lower() or "active"
            if status not in CONTACT_STATUSES:
                return None, f"unknown status “{cells[self.status].strip()}” (use {', '.join(CONTACT_STATUSES)})"
            row.append(status)
        if self.activity is not None:
            value = cells[self.activity].strip()
            try:
                row.append(_parse_time(value) if value else None)
            except ValueError:
                return None, f"last activity “{value}” is not a date (use YYYY-MM-DD or YYYY-MM-DD HH:MM)"
        if self.custom:
            # As JSON text, the form both databases take it in; what json.dumps would write for these
            # string values, at a fraction of its cost per call.
            row.append("{" + ", ".join([key + _json_string(value) for index, key in self.custom if (value := cells[index].strip())]) + "}")
        fingerprint = hash(tuple(cells))
        if email in self.first_line:
            first_line, first_fingerprint = self.first_line[email]
            if fingerprint == first_fingerprint:
                return None, DUPLICATE
            return None, f"duplicate of line {first_line} in this file, with different values"
        self.first_line[email] = (line, fingerprint)
        return row, None


def _parse_time(value):
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)  # stored naive, in UTC
    return moment


def _upsert(insert, source, fields, dialect_name):
    """INSERT .. SELECT into contacts that updates the contact an address already belongs to."""
    statement = insert(Contact.__table__).from_select(fields, source)
    return statement.on_conflict_do_update(index_elements=[Contact.__table__.c.email], set_=_updates(statement.excluded, fields, dialect_name))


def _stage_table(**options):
    """The temporary table a chunk is loaded into: every column an import can fill, so that any
    import on the same connection can reuse it."""
    contacts = Contact.__table__
    return Table("contact_import_stage", MetaData(), *(Column(f, contacts.c[f].type) for f in _IMPORTED_COLUMNS),
                 prefixes=["TEMPORARY"], **options)


class _PostgresChunkWriter:
    """PostgreSQL: COPY the chunk into the staging table, then one statement upserts it and fills the list.

    COPY is psycopg's C-accelerated bulk path, far cheaper than binding each column as an array
    parameter. ON COMMIT DELETE ROWS empties the staging table with each chunk's commit.
    """

    def __init__(self, fields, target_list_id):
        stage = _stage_table(postgresql_on_commit="DELETE ROWS")
        self.create_stage = CreateTable(stage, if_not_exists=True)
        settings = {"synchronous_commit": "off", "client_min_messages": "warning"}
        self.chunk_settings = select(*(func.set_config(name, value, true()) for name, value in settings.items()))
        self.copy = f"COPY {stage.name} ({', '.join(fields)}) FROM STDIN"
        # xmax is 0 for a row this statement inserted, the updating transaction's id for one it updated.
        upserted = _upsert(postgresql.insert, select(*(stage.c[f] for f in fields)), fields, "postgresql") \
            .returning(Contact.id, literal_column("xmax = 0", Boolean).label("created")).cte("upserted")
        self.statement = select(func.count().filter(upserted.c.created), func.count()).select_from(upserted)
        if target_list_id:
            # Existing memberships, and their per-list opt-outs, stay as they are.
            members = postgresql.insert(ListMembership.__table__).from_select(
                ["list_id", "contact_id"], select(literal(target_list_id), upserted.c.id)).on_conflict_do_nothing()
            self.statement = self.statement.add_cte(members.cte("members"))

    def prepare(self, rows):
        return rows

    def write(self, rows):
        # For this chunk's transaction only: no waiting for the disk flush of its commit, because a crash can
        # lose just the last chunks' commits, never corrupt anything, and an import cut short never reaches
        # "done" (a normal commit, which makes every chunk before it durable); importing the file again
        # upserts the same rows. And no "already exists, skipping" notice from the staging table's
        # CREATE .. IF NOT EXISTS, which SQLAlchemy would log for every chunk.
        db.session.execute(self.chunk_settings)
        db.session.execute(self.create_stage)
        with db.session.connection().connection.driver_connection.cursor() as cursor, cursor.copy(self.copy) as copy:
            for row in rows:
                copy.write_row(row)
        created, written = db.session.execute(self.statement).one()
        return created, written - created


class _SqliteChunkWriter:
    """SQLite: multi-row INSERTs load the chunk into the staging table, then one upsert and one insert into the list.

    Each INSERT carries as many rows as SQLite takes parameters, so loading a chunk is a handful of
    statements: executemany() would run one per row, and each gives up the GIL and then waits for
    the parsing thread to hand it back. The upsert has no RETURNING, which costs SQLite more than
    finding the chunk's contacts again by their unique email.
    """

    def __init__(self, fields, target_list_id):
        self.target_list_id = target_list_id
        stage = _stage_table()
        self.create_stage = CreateTable(stage, if_not_exists=True)
        self.empty_stage = stage.delete()
        self.width = len(fields)
        self.fill = f"INSERT INTO {stage.name} ({', '.join(fields)}) VALUES "
        self.row_marks = f"({', '.join('?' * self.width)})"
        limit = db.session.connection().connection.driver_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self.rows_per_insert = max(1, limit // self.width)
        self.activity = fields.index("last_activity_at") if "last_activity_at" in fields else None
        # SQLite needs a WHERE before ON CONFLICT to parse INSERT .. SELECT.
        self.upsert = _upsert(sqlite.insert, select(*(stage.c[f] for f in fields)).where(true()), fields, "sqlite")
        self.created = select(func.count()).where(Contact.id > bindparam("newest_before"))
        # Existing memberships, and their per-list opt-outs, stay as they are.
        self.add_to_list = sqlite.insert(ListMembership.__table__).from_select(
            ["list_id", "contact_id"],
            select(literal(target_list_id), Contact.id).select_from(stage).join(Contact, Contact.email == stage.c.email).where(true())
        ).on_conflict_do_nothing()

    def prepare(self, rows):
        """The chunk as (INSERT, its parameters) pairs."""
        if self.activity is not None:
            # The text SQLAlchemy's SQLite DateTime stores (and the contact table sorts by), made in C.
            for row in rows:
                if row[self.activity] is not None:
                    row[self.activity] = row[self.activity].isoformat(" ", "microseconds")
        inserts = []
        for start in range(0, len(rows), self.rows_per_insert):
            part = rows[start:start + self.rows_per_insert]
            inserts.append((self.fill + ", ".join([self.row_marks] * len(part)), list(chain.from_iterable(part))))
        return len(rows), inserts

    def write(self, prepared):
        count, inserts = prepared
        db.session.execute(self.create_stage)
        connection = db.session.connection().connection.driver_connection
        for statement, parameters in inserts:
            connection.execute(statement, parameters)
        # SQLite gives a new row the next id above the largest, and writes one transaction at a time,
        # so the ids above the largest before the upsert are exactly the created contacts.
        newest_before = db.session.scalar(select(func.max(Contact.id))) or 0
        db.session.execute(self.upsert)
        created = db.session.scalar(self.created, {"newest_before": newest_before})
        if self.target_list_id:
            db.session.execute(self.add_to_list)
        db.session.execute(self.empty_stage)
        return created, count - created


class _BackgroundWriter:
    """Writes parsed chunks on threads of their own while the job's thread parses the next chunk.

    psycopg and sqlite3 release the GIL while the database works, so parsing and writing overlap.
    PostgreSQL gets two writers, each with a connection (a server process) of its own, so two chunks
    are written at once; their rows never meet, as parsing rejects an address's second row. SQLite
    writes one transaction at a time, so it gets one. The queue holds one chunk, so a few are in
    memory (parsing, waiting, writing) whatever the file's size. Each chunk commits together with
    the progress it brings, added to the stored counts, so these count exactly the committed chunks
    in whatever order they commit.
    """

    WRITERS = {"postgresql": 2, "sqlite": 1}

    def __init__(self, import_id, fields, target_list_id):
        dialect_name = db.engine.dialect.name
        chunk_writer = _PostgresChunkWriter if dialect_name == "postgresql" else _SqliteChunkWriter
        self.chunk_writer = chunk_writer(fields, target_list_id)
        self.import_id = import_id
        self.written = {"created_count": 0, "updated_count": 0}
        self.error = None
        self._handed = {}  # the parsed counts handed over so far
        self._lock = threading.Lock()
        self._chunks = queue.Queue(maxsize=1)
        app = current_app._get_current_object()
        self._threads = [threading.Thread(target=self._run, args=(app,), name=f"import-{import_id}-writer-{n}")
                         for n in range(self.WRITERS[dialect_name])]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def write(self, rows, parsed_counts):
        """Hands over a chunk (may be empty, to report progress); raises a writer's error once there is one.

        The chunk is encoded for its database here, on the parsing thread, which has time to spare
        while the writers wait for the database."""
        if self.error is not None:
            raise self.error
        parsed = {key: count - self._handed.get(key, 0) for key, count in parsed_counts.items()}
        self._handed = parsed_counts
        self._chunks.put((self.chunk_writer.prepare(rows) if rows else None, parsed))

    def __exit__(self, exc_type, *_):
        for _ in self._threads:
            self._chunks.put(None)
        for thread in self._threads:
            thread.join()
        if exc_type is None and self.error is not None:
            raise self.error

    def _run(self, app):
        with app.app_context():  # a session of its own, removed (rolled back) when the context ends
            while (item := self._chunks.get()) is not None:
                if self.error is None:  # after a failure, keep draining so the parsing thread never blocks
                    try:
                        self._write(*item)
                    except BaseException as error:  # handed to the job's thread, which fails the import with it
                        self.error = error

    def _write(self, rows, parsed):
        written = dict.fromkeys(self.written, 0)
        if rows:
            written["created_count"], written["updated_count"] = self.chunk_writer.write(rows)
        _add_progress(self.import_id, **parsed, **written)
        with self._lock:
            for key, count in written.items():
                self.written[key] += count


def _updates(new, fields, dialect_name):
    """ON CONFLICT DO UPDATE for the mapped fields: empty cells keep what is stored, custom fields merge."""
    table = Contact.__table__
    changes = {"updated_at": func.now()}
    for field in TEXT_FIELDS:
        if field in fields:
            changes[field] = case((new[field] != literal_column("''"), new[field]), else_=table.c[field])
    if "status" in fields:
        # An import may mark people unsubscribed or bounced, but never re-activates them: consent is not a column to overwrite.
        changes["status"] = case((new.status != literal_column("'active'"), new.status), else_=table.c.status)
    if "last_activity_at" in fields:
        changes["last_activity_at"] = func.coalesce(new.last_activity_at, table.c.last_activity_at)
    if "custom_fields" in fields:
        if dialect_name == "postgresql":
            stored = func.coalesce(cast(table.c.custom_fields, JSONB), literal_column("'{}'::jsonb"))
            changes["custom_fields"] = cast(stored.op("||")(cast(new.custom_fields, JSONB)), JSON)
        else:
            changes["custom_fields"] = func.json_patch(func.coalesce(table.c.custom_fields, literal_column("'{}'")), new.custom_fields)
    return changes


def _errors_path(contact_import):
    return str(Path(contact_import.stored_path).with_suffix("")) + "-errors.csv"


def _set_progress(import_id, **values):
    db.session.execute(update(ContactImport).where(ContactImport.id == import_id).values(**values))
    db.session.commit()


def _add_progress(import_id, **counts):
    """Adds to the stored counts and commits."""
    _set_progress(import_id, **{key: getattr(ContactImport, key) + count for key, count in counts.items()})


def _import_rows(contact_import, chunk_rows):
    import_id, mapping, target_list_id = contact_import.id, contact_import.mapping, contact_import.target_list_id
    headers, columns = mapping["headers"], mapping["columns"]
    parser = _RowParser(headers, columns)
    parsed = {"processed_rows": 0, "error_count": 0, "duplicate_count": 0}
    errors_path = _errors_path(contact_import)
    chunk = []
    with CsvRows(contact_import.stored_path, csv_format_of(contact_import)) as rows, \
            open(errors_path, "w", encoding="utf-8-sig", newline="") as error_file, \
            _BackgroundWriter(import_id, parser.fields, target_list_id) as writer:
        errors = csv.writer(error_file)
        errors.writerow([formula_safe(h) for h in headers] + ["line", "error"])
        _set_progress(import_id, errors_path=errors_path)
        records = _records(rows)
        next(records, None)  # the header
        for line, cells, problem in records:
            parsed["processed_rows"] += 1
            row, problem = (None, problem) if problem else parser.parse(line, cells)
            if problem is DUPLICATE:
                parsed["duplicate_count"] += 1
                continue
            if problem:
                parsed["error_count"] += 1
                original = (cells + [""] * len(headers))[:len(headers)]
                errors.writerow([formula_safe(cell) for cell in original] + [line, problem])
                continue
            chunk.append(row)
            if len(chunk) >= chunk_rows:
                writer.write(chunk, dict(parsed))
                chunk = []
        writer.write(chunk, dict(parsed))
    return {**parsed, **writer.written}


def run_import(import_id, chunk_rows=CHUNK_ROWS):
    """The import job: read, validate and upsert every row; always ends in "done" or "failed" with the reason."""
    contact_import = db.session.get(ContactImport, import_id)
    if contact_import is None or contact_import.state in FINISHED_STATES:
        return  # deleted meanwhile, or a retried job whose import already finished
    _set_progress(import_id, state="running", processed_rows=0, created_count=0, updated_count=0, error_count=0, duplicate_count=0,
                  failure=None)
    state, failure = "failed", "The import stopped unexpectedly; the worker log has the details."
    try:
        counts = _import_rows(contact_import, chunk_rows)
        state, failure = "done", None
        return counts
    except UnreadableFile as error:
        failure = str(error)
    except OSError as error:
        failure = f"The uploaded file could not be read ({error.strerror or error})."
    except Exception:
        log.exception("Import %s failed", import_id)
        raise
    finally:
        db.session.rollback()  # a failed chunk leaves the session unusable; earlier chunks are committed
        _set_progress(import_id, state=state, failure=failure, finished_at=utcnow())
