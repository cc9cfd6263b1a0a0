"""What the event tests share: a sent mass email to build on, events to feed the ingestion, and what it left."""
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from webapp.audience.models import Contact, ListMembership, TargetList
from webapp.compose.models import Template
from webapp.events.ingest import Incoming
from webapp.extensions import db
from webapp.sending.models import MassEmail, MassEmailList, Recipient

T0 = datetime(2026, 6, 1, 9, 0)
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
COUNTERS = ("sent_count", "delivered_count", "bounced_count", "deferred_count", "unique_open_count", "human_open_count",
            "open_count", "unique_click_count", "human_click_count", "click_count", "complaint_count", "unsubscribe_count")


def a_sent_mass_email(count, opt_out_entirely=True):
    """A mass email whose `count` recipients (p0@example.com ...) our relay took at T0; returns (id, [recipient ids])."""
    target = TargetList(name=f"List {count}")
    template = Template(name=f"T{count}", subject="Hi", html="<p>Hi</p>", text=None, from_name="", from_email="", reply_to="")
    db.session.add_all([target, template])
    db.session.flush()
    mail = MassEmail(name="June news", template_version=template.snapshot(), state="sent",
                     opt_out_entirely=opt_out_entirely, sent_count=count)
    mail.lists = [MassEmailList(list_id=target.id, excluding=False)]
    db.session.add(mail)
    db.session.flush()
    emails = [f"p{n}@example.com" for n in range(count)]
    db.session.execute(insert(Contact), [{"email": e, "email_domain": "example.com"} for e in emails])
    contacts = db.session.execute(select(Contact.id, Contact.email).where(Contact.email.in_(emails)).order_by(Contact.id)).all()
    db.session.execute(insert(ListMembership), [{"list_id": target.id, "contact_id": cid} for cid, _ in contacts])
    db.session.execute(insert(Recipient), [
        {"mass_email_id": mail.id, "contact_id": cid, "email": email, "status": "sent", "sent_at": T0,
         "message_id": f"<m{n}@mail.example.com>"} for n, (cid, email) in enumerate(contacts)
    ])
    db.session.commit()
    return mail.id, db.session.scalars(select(Recipient.id).where(Recipient.mass_email_id == mail.id).order_by(Recipient.id)).all()


def counters(mail_id):
    db.session.expire_all()
    mail = db.session.get(MassEmail, mail_id)
    return {name: getattr(mail, name) for name in COUNTERS if getattr(mail, name)}


def recipient(rid):
    db.session.expire_all()
    return db.session.get(Recipient, rid)


def at(seconds):
    return T0 + timedelta(seconds=seconds)


def event(kind, rid, seconds, key=None, **fields):
    return Incoming(kind=kind, at=at(seconds), source=fields.pop("source", "sendgrid"), recipient_id=rid, dedupe_key=key,
                    **fields)
