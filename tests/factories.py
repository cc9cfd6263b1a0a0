"""Factories: the data a test stands on, one line each, with sensible defaults and keyword overrides.

    marketer = a_user()                                   # marketer@example.com, password PASSWORD
    ann = a_contact("ann@example.org", "Ann", city="Oslo")
    newsletter = a_list("Newsletter", ["a@example.com", "b@example.com"])   # new contacts, all members
    template = a_template(subject="June news")            # saved, with its version 1
    draft = a_draft([newsletter.id], template=template)   # as the New mass email page makes one
    sending = a_mass_email(state="sending", recipients=3) # p0@example.com ... p2@example.com, queued

Every factory writes through the session of webapp.extensions.db and commits. In a test that
has an app context (the `ctx` fixture) it works in that context; in a test without one (one
that holds `app` and a client, whose requests each get a context of their own) it opens a
context for the call. It returns what it made with its columns loaded, so `.id` and the other
columns can be read either way; relationships only inside an app context.
"""
from contextlib import contextmanager
from functools import wraps
from io import BytesIO

from flask import current_app, has_app_context
from sqlalchemy import insert, select

from webapp.extensions import db

PASSWORD = "correct horse battery"  # every factory-made user's, unless a test says otherwise

_app = None


def use_app(app):
    """The app whose context a factory opens when the test has none (conftest's `app` fixture calls this)."""
    global _app
    _app = app


@contextmanager
def _app_context():
    if has_app_context():
        yield
        return
    if _app is None:
        raise RuntimeError("No app yet: use the `app` or `ctx` fixture in a test that uses factories.")
    with _app.app_context():
        yield


def factory(make):
    """Runs `make` in an app context and loads the columns of what it returns before that context may end."""

    @wraps(make)
    def wrapper(*args, **kwargs):
        with _app_context():
            made = make(*args, **kwargs)
            if isinstance(made, db.Model):
                db.session.refresh(made)
            return made

    return wrapper


def _id(thing):
    """The id of a model object, or the id itself: factories take either."""
    return thing if thing is None or isinstance(thing, int) else thing.id


def _given(**values):
    """The values a caller actually gave: the others are left to the model's defaults."""
    return {name: value for name, value in values.items() if value is not None}


def _numbered(model, name):
    """`name`, or "name 2", "name 3"... when that name is taken: a test may make several of a kind."""
    taken = set(db.session.scalars(select(model.name).where(model.name.like(f"{name}%"))))
    if name not in taken:
        return name
    return next(f"{name} {n}" for n in range(2, len(taken) + 3) if f"{name} {n}" not in taken)


# --- People ---------------------------------------------------------------------------------------


@factory
def a_user(role="marketer", email=None, *, password=PASSWORD, name=None):
    """A user who can log in: `role`@example.com named after the role, unless told otherwise."""
    from webapp.auth.service import create_user

    return create_user(email or f"{role}@example.com", password, role=role, name=role.title() if name is None else name)


@factory
def a_contact(email="ann@example.org", first_name="", last_name="", company="", *, status=None, created_at=None,
              last_activity_at=None, **custom_fields):
    """A contact; keywords other than the named columns become its custom fields (city="Oslo")."""
    from webapp.audience.models import Contact

    contact = Contact(email=email, email_domain=email.rpartition("@")[2], first_name=first_name, last_name=last_name,
                      company=company, custom_fields=custom_fields,
                      **_given(status=status, created_at=created_at, last_activity_at=last_activity_at))
    db.session.add(contact)
    db.session.commit()
    return contact


@factory
def some_contacts(*rows):
    """Contacts inserted in one statement, as an import writes them; each row a dict with at least an email.

    Returns {email: id} of every contact in the database.
    """
    from webapp.audience.models import Contact
    from webapp.common.emails import email_domain

    db.session.execute(insert(Contact), [
        dict(dict(first_name="", last_name="", company="", custom_fields={}, status="active"),
             email_domain=email_domain(row["email"]), **row)
        for row in rows
    ])
    db.session.commit()
    return dict(db.session.execute(select(Contact.email, Contact.id)).all())


@factory
def a_list(name="Newsletter", emails=(), *, contacts=(), **fields):
    """A target list. Its members: new contacts with these `emails`, and the existing `contacts` (objects or ids)."""
    from webapp.audience.models import Contact, ListMembership, TargetList

    target_list = TargetList(name=name, **fields)
    db.session.add(target_list)
    db.session.flush()
    if emails:
        db.session.execute(insert(Contact), [{"email": email, "email_domain": email.rpartition("@")[2]} for email in emails])
    member_ids = [_id(contact) for contact in contacts]
    member_ids += db.session.scalars(select(Contact.id).where(Contact.email.in_(emails))).all() if emails else []
    if member_ids:
        db.session.execute(insert(ListMembership), [{"list_id": target_list.id, "contact_id": i} for i in member_ids])
    db.session.commit()
    return target_list


@factory
def a_segment(name="Segment", *conditions, **fields):
    """A segment (a list that stores a filter): `conditions` are (field, op, value) or (field, op, value, key) tuples."""
    from webapp.audience.models import TargetList

    rows = [dict(zip(("field", "op", "value", "key"), (*condition, "")[:4])) for condition in conditions]
    segment = TargetList(name=name, kind="segment", filter={"conditions": rows}, **fields)
    db.session.add(segment)
    db.session.commit()
    return segment


@factory
def a_membership(target_list, contact, **fields):
    """`contact` on `target_list` (objects or ids); added_at, opted_out_at as given."""
    from webapp.audience.models import ListMembership

    membership = ListMembership(list_id=_id(target_list), contact_id=_id(contact), **fields)
    db.session.add(membership)
    db.session.commit()
    return membership


@factory
def a_suppression(email=None, *, domain=None, reason="manual", **fields):
    """An address (or, with domain=, a whole domain) that must never be emailed."""
    from webapp.audience.models import Suppression

    suppression = Suppression(email=email, domain=domain, reason=reason, **fields)
    db.session.add(suppression)
    db.session.commit()
    return suppression


# --- Templates ----------------------------------------------------------------------------------


@factory
def a_template(name="Spring news", **fields):
    """A saved template with its version 1, as the editor leaves it; no sender of its own (the settings' is used).

    A name already taken gets a number ("Spring news 2").
    """
    from webapp.compose.models import Template

    values = dict(subject="Hello {{ contact.first_name }}", html="<p>Hello</p>", text=None, from_name="",
                  from_email="", reply_to="")
    template = Template(name=_numbered(Template, name), **(values | fields))
    db.session.add(template)
    template.snapshot()
    db.session.commit()
    return template


@factory
def a_template_version(template=None, **changes):
    """The version a template (object or id; a new one when None) has after these changes are saved."""
    from webapp.compose.models import Template

    template = db.session.get(Template, _id(template) if template is not None else a_template().id)
    for field, value in changes.items():
        setattr(template, field, value)
    version = template.snapshot()
    db.session.commit()
    return version


@factory
def a_tracking_url(name="Pricing", url="https://example.com/pricing"):
    from webapp.compose.models import TrackingUrl

    tracking_url = TrackingUrl(name=name, url=url)
    db.session.add(tracking_url)
    db.session.commit()
    return tracking_url


# --- Mass emails ---------------------------------------------------------------------------------


def _latest_version_id(template_id):
    from webapp.compose.models import TemplateVersion

    return db.session.scalar(select(TemplateVersion.id).where(TemplateVersion.template_id == template_id)
                             .order_by(TemplateVersion.version.desc()).limit(1))


@factory
def a_mass_email(name="June news", *, template=None, lists=(), excluding=(), recipients=0, domain="example.com",
                 **fields):
    """A mass email written straight to the database, in whatever state and kind `fields` say
    (by default the model's: a standard draft).

    template: its latest version is the one sent (a new template when None).
    lists, excluding: target lists (objects or ids) it is sent to / skips.
    recipients: that many new contacts p0@`domain`, p1@`domain`... ("Person 0", custom field
    plan=gold), each a queued recipient, as if resolved already.
    """
    from webapp.audience.models import Contact
    from webapp.sending.models import MassEmail, MassEmailList, Recipient

    template_id = _id(template) if template is not None else a_template().id
    mass_email = MassEmail(name=name, template_version_id=_latest_version_id(template_id), **fields)
    mass_email.lists = [MassEmailList(list_id=_id(target), excluding=False) for target in lists] + \
                       [MassEmailList(list_id=_id(target), excluding=True) for target in excluding]
    db.session.add(mass_email)
    db.session.flush()
    if recipients:
        emails = [f"p{n}@{domain}" for n in range(recipients)]
        db.session.execute(insert(Contact), [
            {"email": email, "email_domain": domain, "first_name": f"Person {n}", "custom_fields": {"plan": "gold"}}
            for n, email in enumerate(emails)
        ])
        contacts = db.session.execute(select(Contact.id, Contact.email).where(Contact.email.in_(emails))).all()
        db.session.execute(insert(Recipient), [
            {"mass_email_id": mass_email.id, "contact_id": contact_id, "email": email} for contact_id, email in contacts
        ])
    db.session.commit()
    return mass_email


@factory
def a_recipient(mass_email, email="a@example.com", *, contact=None, **fields):
    """One recipient row of `mass_email` (object or id), for `contact` (object, id or None); status etc. as given."""
    from webapp.sending.models import Recipient

    recipient = Recipient(mass_email_id=_id(mass_email), contact_id=_id(contact), email=email, **fields)
    db.session.add(recipient)
    db.session.commit()
    return recipient


@factory
def an_event(recipient, kind, occurred_at, *, source="pixel", **fields):
    """One stored event of `recipient` (object), as the ingestion keeps it, without the counters it would change."""
    from webapp.events.models import Event

    event = Event(recipient_id=recipient.id, mass_email_id=recipient.mass_email_id, contact_id=recipient.contact_id,
                  kind=kind, occurred_at=occurred_at, source=source,
                  dedupe_key=f"test-{recipient.id}-{kind}-{occurred_at.isoformat()}-{fields.get('verdict')}", **{"detail": {}, **fields})
    db.session.add(event)
    db.session.commit()
    return event


@factory
def a_draft(lists, excluding=(), *, template=None, name="June news", **fields):
    """A draft made as the New mass email page makes it (lifecycle.create_draft), to `lists`, skipping `excluding`.

    fields: from_email, campaign, scheduled_at, drip_schedule (a DripSchedule makes it a drip)...
    """
    from webapp.sending import lifecycle

    template_id = _id(template) if template is not None else a_template().id
    return lifecycle.create_draft(None, name, template_id, [_id(target) for target in lists],
                                  [_id(target) for target in excluding], **fields)


@factory
def started(mass_email, now=None):
    """Start a draft as "Send now" does, then run the preparation job it queued as a worker would
    (the job leaves the sending queue: the batches it queues are what a test looks at)."""
    from webapp.common.clock import utcnow
    from webapp.common.queues import queue
    from webapp.sending import lifecycle
    from webapp.sending.models import MassEmail
    from webapp.sending.starting import prepare_send

    now = now or utcnow()
    lifecycle.start_mass_email(_id(mass_email), now)
    queue("sending").remove(lifecycle.preparation_job_id(_id(mass_email)))
    prepare_send(_id(mass_email), now)
    return db.session.get(MassEmail, _id(mass_email), populate_existing=True)


# --- Imports -------------------------------------------------------------------------------------


@factory
def an_upload(content, filename="contacts.csv", encoding="utf-8"):
    """A CSV file uploaded for import (text or bytes), with its guessed mapping, not started yet."""
    from webapp.audience import importer

    data = content.encode(encoding) if isinstance(content, str) else content
    return importer.save_upload(BytesIO(data), filename, current_app.config["UPLOAD_DIR"], None)


@factory
def an_import(content, fields=None, chunk_rows=None, **start):
    """A CSV import run to its end: uploaded, mapped (the guessed mapping unless `fields`), started, and
    its job body run here, as a worker would; `start` as for importer.start_import (new_list_name=...)."""
    from webapp.audience import importer
    from webapp.audience.models import ContactImport

    contact_import = an_upload(content)
    importer.start_import(contact_import, fields or contact_import.mapping["columns"], **start)
    importer.run_import(contact_import.id, **_given(chunk_rows=chunk_rows))
    db.session.expire_all()
    return db.session.get(ContactImport, contact_import.id)
