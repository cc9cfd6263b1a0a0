"""CSV import of contacts: upload, column mapping, and the set-based upsert the import job runs.

Rows are parsed and validated in Python, CHUNK_ROWS at a time; each chunk then
becomes one multi-row upsert into contacts and one INSERT .. SELECT into the
target list, committed on its own, so progress shows while memory stays flat.
A re-import updates contacts matched by normalised email: non-empty cells
overwrite, empty cells leave existing data alone, custom fields are merged.
"""
import csv
import json
import logging
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import JSON, Boolean, Integer, Text, bindparam, case, cast, func, literal, literal_column, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB

from webapp.audience.csvfiles import CsvFormat, CsvRows, UnreadableFile, detect_format, formula_safe
from webapp.audience.emails import InvalidEmail, normalize_email
from webapp.auth.models import User
from webapp.audience.models import CONTACT_STATUSES, Contact, ContactImport, ListMembership, TargetList
from webapp.extensions import db
from webapp.queues import enqueue

log = logging.getLogger(__name__)

CHUNK_ROWS = 5000
PREVIEW_ROWS = 10
SHOWN_ERRORS = 100
FINISHED_STATES = ("done", "failed")
TEXT_LIMIT = 200  # the contacts table's name and company columns

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
    """Non-blank records: spreadsheets add empty lines, which are neither contacts nor errors."""
    return ((line, cells) for line, cells in rows if any(cells))


def read_upload(path):
    """Format, header, first rows and row count of a stored file; raises UnreadableFile with a reason."""
    csv_format = detect_format(path)
    with CsvRows(path, csv_format) as rows:
        records = _records(rows)
        first = next(records, None)
        if first is None:
            raise UnreadableFile("The file is empty.")
        headers = [_clean_header(cell, i) for i, cell in enumerate(first[1])]
        preview, total = [], 0
        for line, cells in records:
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
    return db.session.execute(select(TargetList.id, TargetList.name).order_by(TargetList.name)).all()


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
        self.custom = [(i, field[len(CUSTOM_PREFIX):]) for i, field in enumerate(columns) if field.startswith(CUSTOM_PREFIX)]
        self.status = columns.index("status") if "status" in columns else None
        self.activity = columns.index("last_activity_at") if "last_activity_at" in columns else None
        self.fields = ["email", "email_domain", *(field for _, field in self.text)]
        self.fields += ["status"] * (self.status is not None) + ["last_activity_at"] * (self.activity is not None)
        self.fields += ["custom_fields"] * bool(self.custom)
        self.first_line = {}  # normalised email -> line of its first accepted row

    def parse(self, line, cells):
        if len(cells) != self.width:
            if len(cells) < self.width or any(cells[self.width:]):
                return None, f"This row has {len(cells)} cells but the header has {self.width}."
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
            custom = {key: cells[index].strip() for index, key in self.custom}
            row.append({key: value for key, value in custom.items() if value})
        if email in self.first_line:
            return None, f"duplicate of line {self.first_line[email]} in this file"
        self.first_line[email] = line
        return row, None


def _parse_time(value):
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)  # stored naive, in UTC
    return moment


class _ChunkWriter:
    """Writes one chunk of parsed rows with two statements, whatever its size, and counts created and updated.

    The whole chunk travels as a single parameter set: on PostgreSQL one array per column, expanded by
    unnest(); on SQLite one JSON array of rows, expanded by json_each(). Both feed
    INSERT .. SELECT .. ON CONFLICT (email) DO UPDATE, so per-row work stays in the database's C code.
    """

    def __init__(self, fields, target_list_id):
        self.fields, self.target_list_id = fields, target_list_id
        self.dialect = db.engine.dialect
        table = Contact.__table__
        if self.dialect.name == "postgresql":
            arrays = [bindparam(f, type_=postgresql.ARRAY(table.c[f].type if f != "custom_fields" else Text())) for f in fields]
            rows = func.unnest(*arrays).table_valued(*fields).render_derived()
            values = [cast(rows.c[f], JSON) if f == "custom_fields" else rows.c[f] for f in fields]
            chunk_contacts = select(func.unnest(bindparam("contact_ids", type_=postgresql.ARRAY(Integer()))))
            insert = postgresql.insert
        else:
            rows = func.json_each(bindparam("rows", type_=Text())).table_valued("value")
            values = [func.json_extract(rows.c.value, f"$[{i}]") for i in range(len(fields))]
            self.chunk_emails = select(func.json_extract(rows.c.value, "$[0]"))
            chunk_contacts = select(Contact.id).where(Contact.email.in_(self.chunk_emails))
            self.sqlite_datetime = table.c.last_activity_at.type.dialect_impl(self.dialect).bind_processor(self.dialect)
            insert = sqlite.insert
        source = select(*values).where(true())  # SQLite needs a WHERE before ON CONFLICT to parse INSERT .. SELECT
        statement = insert(table).from_select(fields, source)
        self.upsert = statement.on_conflict_do_update(index_elements=[table.c.email], set_=_updates(statement.excluded, fields, self.dialect.name))
        if self.dialect.name == "postgresql":
            # xmax is 0 for a row this statement inserted, the updating transaction's id for one it updated;
            # the ids feed the list step, sparing it a second lookup by email.
            self.upsert = self.upsert.returning(Contact.id, literal_column("xmax = 0", Boolean))
        chosen = select(literal(target_list_id), chunk_contacts.subquery()).where(true())
        # Existing memberships, and their per-list opt-outs, stay as they are.
        self.add_to_list = insert(ListMembership.__table__).from_select(["list_id", "contact_id"], chosen).on_conflict_do_nothing()

    def _parameters(self, rows):
        if self.dialect.name == "postgresql":
            columns = {f: [row[i] for row in rows] for i, f in enumerate(self.fields)}
            if "custom_fields" in columns:
                columns["custom_fields"] = [json.dumps(value) for value in columns["custom_fields"]]
            return columns
        return {"rows": json.dumps(rows, default=self.sqlite_datetime)}

    def write(self, rows):
        parameters = self._parameters(rows)
        if self.dialect.name == "postgresql":
            written = db.session.execute(self.upsert, parameters).all()
            parameters["contact_ids"] = [contact_id for contact_id, _ in written]
            created = sum(inserted for _, inserted in written)
        else:
            # SQLite writes one transaction at a time, so the addresses present before the upsert are exactly the updated ones.
            existing = db.session.scalar(select(func.count()).where(Contact.email.in_(self.chunk_emails)), parameters)
            db.session.execute(self.upsert, parameters)
            created = len(rows) - existing
        if self.target_list_id:
            db.session.execute(self.add_to_list, parameters)
        return created, len(rows) - created


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


def _import_rows(contact_import, chunk_rows):
    import_id, mapping = contact_import.id, contact_import.mapping
    headers, columns = mapping["headers"], mapping["columns"]
    parser = _RowParser(headers, columns)
    writer = _ChunkWriter(parser.fields, contact_import.target_list_id)
    counts = {"processed_rows": 0, "created_count": 0, "updated_count": 0, "error_count": 0}
    errors_path = _errors_path(contact_import)
    chunk = []

    def flush():
        if chunk:
            created, updated = writer.write(chunk)
            counts["created_count"] += created
            counts["updated_count"] += updated
            chunk.clear()
        _set_progress(import_id, **counts)

    with CsvRows(contact_import.stored_path, csv_format_of(contact_import)) as rows, \
            open(errors_path, "w", encoding="utf-8-sig", newline="") as error_file:
        errors = csv.writer(error_file)
        errors.writerow([formula_safe(h) for h in headers] + ["line", "error"])
        _set_progress(import_id, errors_path=errors_path)
        records = _records(rows)
        next(records, None)  # the header
        for line, cells in records:
            counts["processed_rows"] += 1
            row, problem = parser.parse(line, cells)
            if problem:
                counts["error_count"] += 1
                original = (cells + [""] * len(headers))[:len(headers)]
                errors.writerow([formula_safe(cell) for cell in original] + [line, problem])
                continue
            chunk.append(row)
            if len(chunk) >= chunk_rows:
                flush()
        flush()
    return counts


def run_import(import_id, chunk_rows=CHUNK_ROWS):
    """The import job: read, validate and upsert every row; always ends in "done" or "failed" with the reason."""
    contact_import = db.session.get(ContactImport, import_id)
    if contact_import is None or contact_import.state in FINISHED_STATES:
        return  # deleted meanwhile, or a retried job whose import already finished
    _set_progress(import_id, state="running", processed_rows=0, created_count=0, updated_count=0, error_count=0, failure=None)
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
        _set_progress(import_id, state=state, failure=failure, finished_at=datetime.now(UTC).replace(tzinfo=None))
