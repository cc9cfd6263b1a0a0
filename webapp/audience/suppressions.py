"""Suppressions: addresses and whole domains Mailroom must never email.

`suppressed_clause()` is the one definition of "suppressed" in SQL; recipient
resolution uses `~suppressed_clause()` inside its INSERT .. SELECT over contacts.
"""
import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import and_, delete, exists, func, or_, select

from webapp.audience.models import SUPPRESSION_REASONS, Contact, Suppression
from webapp.auth.models import User
from webapp.common.sql import insert_ignoring_conflicts
from webapp.common.emails import InvalidEmail, email_domain, normalize_email
from webapp.extensions import db

PAGE_SIZE = 50
HEADER_NAMES = {"email", "emails", "domain", "address", "email address", "value"}
INSERT_CHUNK = 1000


def suppressed_clause(email=Contact.email, domain=Contact.email_domain):
    """True for a contact whose address or domain is suppressed: a correlated EXISTS pair, each on a unique index."""
    return or_(
        exists().where(Suppression.email == email),
        exists().where(Suppression.domain == domain),
    )


def is_suppressed(email):
    """For one address already stored normalised (a contact's, a recipient's); case and spaces are forgiven."""
    address = (email or "").strip().lower()
    return bool(db.session.scalar(select(suppressed_clause(address, email_domain(address)))))


def parse_entry(raw):
    """("email", address) or ("domain", domain) from what a person typed; raises InvalidEmail saying why.

    "@example.com" and "example.com" both mean the whole domain; a domain is
    checked by validating a made-up address in it, so both follow one set of rules.
    """
    text = (raw or "").strip()
    local, at, rest = text.rpartition("@")
    if at and local:
        return "email", normalize_email(text)
    domain = rest if at else text
    if not domain:
        raise InvalidEmail("Enter an email address or a domain such as example.com.")
    try:
        return "domain", email_domain(normalize_email(f"postmaster@{domain}"))
    except InvalidEmail as error:
        raise InvalidEmail(f"“{domain}” is not a valid domain: {error}") from error


def find(kind, value):
    return db.session.scalar(select(Suppression).where(getattr(Suppression, kind) == value))


def add_suppression(kind, value, reason, source="", created_by_id=None):
    """Suppress one address or domain; returns (suppression, created). An existing one is left as it was."""
    existing = find(kind, value)
    if existing:
        return existing, False
    suppression = Suppression(reason=reason, source=source.strip(), created_by_id=created_by_id, **{kind: value})
    db.session.add(suppression)
    db.session.commit()
    return suppression, True


def remove_suppression(suppression_id):
    result = db.session.execute(delete(Suppression).where(Suppression.id == suppression_id))
    db.session.commit()
    return result.rowcount


def _search_clause(query):
    q = (query or "").strip().lower().lstrip("@")
    if not q:
        return and_(True)
    return or_(Suppression.email.startswith(q, autoescape=True), Suppression.domain.startswith(q, autoescape=True))


def suppressions_page(query="", reason=None, page=1):
    where = [_search_clause(query)]
    if reason:
        where.append(Suppression.reason == reason)
    total = db.session.scalar(select(func.count()).select_from(Suppression).where(*where))
    rows = db.session.execute(
        select(Suppression, func.coalesce(func.nullif(User.name, ""), User.email))
        .outerjoin(User, User.id == Suppression.created_by_id)
        .where(*where)
        .order_by(Suppression.created_at.desc(), Suppression.id.desc())
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    return rows, total


def counts_by_reason():
    found = dict(db.session.execute(select(Suppression.reason, func.count()).group_by(Suppression.reason)).all())
    return {reason: found.get(reason, 0) for reason in SUPPRESSION_REASONS}


@dataclass
class ImportResult:
    added: int = 0
    already: int = 0
    invalid: list = field(default_factory=list)  # (line number, text, why)


def _parse_lines(text, default_reason):
    """{(kind, value): reason} for the usable lines, and (line, text, why) for the others."""
    entries, invalid = {}, []
    reader = csv.reader(io.StringIO(text))
    for row in reader:
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if reader.line_num == 1 and cells[0].lower() in HEADER_NAMES:
            continue
        reason = (cells[1] if len(cells) > 1 else "").lower() or default_reason
        if reason not in SUPPRESSION_REASONS:
            invalid.append((reader.line_num, ",".join(row), f"Unknown reason “{reason}”; use one of {', '.join(SUPPRESSION_REASONS)}."))
            continue
        try:
            entries.setdefault(parse_entry(cells[0]), reason)
        except InvalidEmail as error:
            invalid.append((reader.line_num, ",".join(row), str(error)))
    return entries, invalid


def import_suppressions(text, default_reason, source="", created_by_id=None):
    """Suppress every address/domain in a CSV text (one per line, optional reason column).

    Rows go in as multi-row INSERT .. ON CONFLICT DO NOTHING batches, so entries
    already suppressed keep their original reason and nothing is read back per row.
    """
    entries, invalid = _parse_lines(text, default_reason)
    count = lambda: db.session.scalar(select(func.count()).select_from(Suppression))  # noqa: E731
    before = count()
    rows = [
        dict(email=value if kind == "email" else None, domain=value if kind == "domain" else None,
             reason=reason, source=source.strip(), created_by_id=created_by_id)
        for (kind, value), reason in entries.items()
    ]
    for start in range(0, len(rows), INSERT_CHUNK):
        db.session.execute(insert_ignoring_conflicts(Suppression).values(rows[start:start + INSERT_CHUNK]))
    db.session.commit()
    added = count() - before
    return ImportResult(added=added, already=len(entries) - added, invalid=invalid)
