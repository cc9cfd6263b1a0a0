"""Demo data: realistic contacts and target lists, generated inside the database.

Everything is one INSERT ... SELECT over a number series (generate_series on PostgreSQL,
a recursive CTE on SQLite) joined to small word tables, so a million contacts never pass
through Python and take seconds, not minutes. Values are picked by arithmetic on the row
number: varied, repeatable, and unique where they must be (the email carries the number).
"""
import time
from contextlib import contextmanager
from datetime import UTC

import click
from flask.cli import with_appcontext
from sqlalchemy import func, insert, select, text

from webapp.audience.models import Contact, TargetList
from webapp.common.clock import utcnow
from webapp.extensions import db

WORDS = {
    "first": """Ada Alan Grace Linus Margaret Dennis Barbara Ken Frances Edsger Radia Tim Hedy John Katherine
        Claude Sophie Niklaus Anita Guido Joan Bjarne Mary Donald Lynn Vint Shafi Robert Jean Leslie Susan
        Whitfield Sarah Andrew Emma Lucas Olivia Noah Mia Liam Ava Elias Lea Paul Nora Felix Ines Jonas
        Clara Omar Yara Mateo Aiko Kenji Priya Arjun Chloe Hugo Marta Pedro""".split(),
    "last": """Lovelace Turing Hopper Torvalds Hamilton Ritchie Liskov Thompson Allen Dijkstra Perlman
        BernersLee Lamarr McCarthy Johnson Shannon Wilson Wirth Borg VanRossum Clarke Stroustrup Kenyon
        Knuth Conway Cerf Goldwasser Tarjan Sammet Lamport Kare Diffie Goldberg Tanenbaum Smith Garcia
        Muller Rossi Novak Kowalski Nielsen Jansen Dubois Silva Santos Tanaka Sato Kim Patel Singh Cohen
        Levi Brown Taylor Martin Bernard Schmidt Weber Fischer Moreau Laurent Costa Ferreira Ivanova
        Petrov Horvat Nagy Popescu Andersson Berg Lind Virtanen Murphy Kelly Walsh""".split(),
    "company": """Acme Globex Initech Umbrella Hooli Stark Wayne Wonka Soylent Cyberdyne Tyrell Aperture
        Vandelay Oscorp Pied-Piper Massive-Dynamic Blue-Sun Monarch Gringotts Dunder-Mifflin Prestige
        Nakatomi Weyland Virtucon Sirius Ollivanders Genco Bluth Gekko Sterling""".split(),
    "domain": "gmail.com outlook.com yahoo.com proton.me icloud.com gmx.de example.org mail.example.com".split(),
    "city": """Berlin Paris Lisbon Madrid Rome Vienna Prague Warsaw Amsterdam Brussels Dublin London
        Stockholm Oslo Helsinki Copenhagen Zurich Milan Barcelona Munich Toronto Boston Austin Tokyo""".split(),
    "plan": "free starter pro enterprise".split(),
}
DEMO_LISTS = ["Newsletter (demo)", "Product updates (demo)", "Webinar leads (demo)", "Customers (demo)",
              "Events (demo)", "Beta testers (demo)", "Partners (demo)", "Press (demo)"]
THREE_YEARS = 3 * 365 * 86400
UNIX_EPOCH_JULIAN = 2440587.5

# Per-dialect pieces: the number series, and "now minus N seconds" in the column's stored form.
SERIES = {
    "postgresql": "SELECT n FROM generate_series(1, CAST(:count AS bigint)) AS g(n)",  # bigint: n * prime overflows int
    "sqlite": "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :count) SELECT n FROM s",
}
SECONDS_AGO = {
    "postgresql": "CAST(:now AS timestamp) - ({}) * interval '1 second'",
    # SQLAlchemy's own text form for DateTime on SQLite, so these compare equal to values it writes.
    # (datetime() of a Julian day number is several times faster than date modifiers given as text.)
    "sqlite": "datetime(:now_julian - ({}) / 86400.0) || '.000000'",
}
JSON_OBJECT = {"postgresql": "json_build_object", "sqlite": "json_object"}
# SQLite's planner would loop over the word tables outside the series; CROSS JOIN pins the series outermost.
JOIN = {"postgresql": "JOIN", "sqlite": "CROSS JOIN"}


def _contacts_sql(dialect):
    # Spread over three years and rising with the row number, which is also the id (joins may shuffle
    # the rows, so ids are not left to the order they arrive in): creation order is id order, as the
    # contact table's "Created" sort (the primary key) has it for contacts added one by one.
    age = f"((:count - seq.n) * {THREE_YEARS}) / :count"
    created = SECONDS_AGO[dialect].format(age)
    # Last activity falls between creation and now; one contact in nine has never been active.
    last_activity = SECONDS_AGO[dialect].format(f"(seq.n * 104729) % ({age} + 1)")
    word = JOIN[dialect] + " seed_words {alias} ON {alias}.kind = '{kind}' AND {alias}.i = ({pick}) % {size}"
    picks = {  # alias: (kind, pick) – different multipliers so the columns vary independently
        "f": ("first", "seq.n"),
        "l": ("last", f"seq.n / {len(WORDS['first'])} + seq.n * 7"),
        "c": ("company", "seq.n * 13 + seq.n / 5"),
        "d": ("domain", "seq.n * 3 + seq.n / 11"),
        "ci": ("city", "seq.n * 17 + seq.n / 3"),
        "p": ("plan", "seq.n * 29 + seq.n / 7"),
    }
    joins = "\n".join(word.format(alias=a, kind=k, pick=p, size=len(WORDS[k])) for a, (k, p) in picks.items())
    return f"""
        INSERT INTO contacts (id, email, email_domain, first_name, last_name, company, custom_fields,
                              status, last_activity_at, created_at, updated_at)
        SELECT :offset + seq.n, lower(f.word) || '.' || lower(l.word) || (:offset + seq.n) || '@' || d.word, d.word,
               f.word, l.word, c.word, {JSON_OBJECT[dialect]}('city', ci.word, 'plan', p.word),
               CASE WHEN seq.n % 53 = 0 THEN 'unsubscribed' WHEN seq.n % 71 = 0 THEN 'bounced'
                    WHEN seq.n % 331 = 0 THEN 'complained' ELSE 'active' END,
               CASE WHEN seq.n % 9 = 0 THEN NULL ELSE {last_activity} END,
               {created}, {created}
        FROM ({SERIES[dialect]}) AS seq
        {joins}
    """


# Every 5th new contact joins the first list, every 9th the second, and so on; one member in 41 has opted out.
MEMBERSHIPS_SQL = """
    INSERT INTO list_memberships (list_id, contact_id, added_at, opted_out_at)
    SELECT :list_id, id, created_at, CASE WHEN id % 41 = 0 THEN last_activity_at END
    FROM contacts WHERE id > :after_id AND id % :every = 0
"""


# The plain (non-constraint) indexes of the tables a seed fills, as (name, CREATE statement).
SECONDARY_INDEXES = {
    "sqlite": """SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('contacts', 'list_memberships')
                 AND sql IS NOT NULL""",
    "postgresql": """SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('contacts', 'list_memberships')
                     AND schemaname = current_schema() AND indexname NOT IN (SELECT conname FROM pg_constraint)""",
}
# PostgreSQL: their unique and foreign key constraints, as (table, name, definition). Inserting checks
# these row by row (a foreign key costs a lookup and a row lock per membership); adding one back checks
# the whole table in one query. (SQLite cannot drop a constraint, and its checks are cheap.)
CONSTRAINTS = """
    SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
    WHERE conrelid IN ('contacts'::regclass, 'list_memberships'::regclass) AND contype IN ('u', 'f')
"""
BULK_MEMORY = {  # more memory for this transaction's inserts and index builds
    "sqlite": "PRAGMA cache_size = -262144",  # KiB: 256 MB (reset afterwards: it is per connection)
    "postgresql": "SET LOCAL maintenance_work_mem = '256MB'",
}


@contextmanager
def _fast_bulk_insert(session, dialect, rebuild_indexes):
    """Room to work and, for a batch as big as the table, indexes and constraints rebuilt afterwards.

    Inserting a million rows into seven secondary indexes in random key order thrashes the
    cache (a minute or more); building each index once over the finished table sorts instead
    (seconds). They are re-created from their own stored definitions, in the same transaction,
    so a failure leaves them as they were.
    """
    cache_size = session.scalar(text("PRAGMA cache_size")) if dialect == "sqlite" else None
    session.execute(text(BULK_MEMORY[dialect]))
    indexes = session.execute(text(SECONDARY_INDEXES[dialect])).all() if rebuild_indexes else []
    constraints = session.execute(text(CONSTRAINTS)).all() if rebuild_indexes and dialect == "postgresql" else []
    try:
        for table, name, _ in constraints:
            session.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        for name, _ in indexes:
            session.execute(text(f'DROP INDEX "{name}"'))
        yield
        for _, sql in indexes:
            session.execute(text(sql))
        for table, name, definition in constraints:
            session.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
    finally:
        if cache_size is not None:
            session.execute(text(f"PRAGMA cache_size = {cache_size}"))


def seed_demo(contacts, lists=3, now=None):
    """Add `contacts` demo contacts and put them on `lists` demo lists. Returns (contacts added, list ids).

    Safe to run again: new emails are numbered past the current highest contact id.
    """
    dialect = db.engine.dialect.name
    now = now or utcnow()
    times = {"now": now.strftime("%Y-%m-%d %H:%M:%S"), "now_julian": now.replace(tzinfo=UTC).timestamp() / 86400 + UNIX_EPOCH_JULIAN}
    session = db.session
    after_id = session.scalar(select(func.coalesce(func.max(Contact.id), 0)))
    if dialect == "postgresql":  # nor the ids of contacts deleted since: ids are never handed out twice there
        after_id = max(after_id, session.scalar(text(
            "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('contacts', 'id')::regclass), 0)")))
    with _fast_bulk_insert(session, dialect, rebuild_indexes=contacts >= after_id):
        session.execute(text("CREATE TEMPORARY TABLE seed_words (kind VARCHAR(20), i INTEGER, word VARCHAR(100), PRIMARY KEY (kind, i))"))
        session.execute(text("INSERT INTO seed_words (kind, i, word) VALUES (:kind, :i, :word)"),
                        [{"kind": kind, "i": i, "word": word.replace("-", " ")} for kind, words in WORDS.items() for i, word in enumerate(words)])
        if dialect == "postgresql":
            # It misjudges how many rows "n % 60 = i" joins, and would loop over the series once per word.
            session.execute(text("SET LOCAL enable_nestloop = off"))
        added = session.execute(text(_contacts_sql(dialect)), {"count": contacts, "offset": after_id, **times}).rowcount
        if dialect == "postgresql":  # the ids were given, so the sequence has not moved past them
            session.execute(text("SELECT setval(pg_get_serial_sequence('contacts', 'id'), :last)"), {"last": after_id + contacts})
        session.execute(text("DROP TABLE seed_words"))
        list_ids = []
        for number, name in enumerate(DEMO_LISTS[:lists], start=1):
            list_id = session.scalar(select(TargetList.id).where(TargetList.name == name))
            if list_id is None:
                list_id = session.scalar(insert(TargetList).values(name=name, description="Demo data").returning(TargetList.id))
            session.execute(text(MEMBERSHIPS_SQL), {"list_id": list_id, "after_id": after_id, "every": 4 * number + 1})
            list_ids.append(list_id)
    session.commit()
    if dialect == "postgresql":
        # Fresh statistics, or the planner keeps judging a million-row table by its empty self.
        session.execute(text("ANALYZE contacts, list_memberships"))
        session.commit()
    return added, list_ids


@click.group("demo")
def demo_cli():
    """Demo data for trying Mailroom out."""


@demo_cli.command("seed")
@click.option("--contacts", default=1000, show_default=True, type=click.IntRange(1, 10_000_000), help="How many contacts to add.")
@click.option("--lists", default=3, show_default=True, type=click.IntRange(0, len(DEMO_LISTS)), help="How many demo lists to fill.")
@with_appcontext
def seed_command(contacts, lists):
    """Add realistic demo contacts and target lists."""
    started = time.monotonic()
    added, list_ids = seed_demo(contacts, lists)
    click.echo(f"Added {added:,} contacts and filled {len(list_ids)} lists in {time.monotonic() - started:.1f} s.")
