"""webhook_10k_s: one signed SendGrid batch of 10,000 events POSTed to the app and ingested.

5,000 sent recipients get a "delivered" and an "open" each, half found by the signed recipient id
SendGrid echoes from unique_args, half by Message-ID (smtp-id), as a real batch mixes them. The
time is the POST through the test client, from the request to the committed answer: signature
check, parsing, matching, storing, transitions and counters.
"""
import base64
import json
import time

from sqlalchemy import func, insert, literal, select

from bench._audience import app_with_schema, measure

RECIPIENTS = 5_000


def run():
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from webapp.audience.models import Contact
    from webapp.common.clock import utcnow
    from webapp.compose.models import Template
    from webapp.compose.tokens import TokenSigner
    from webapp.events.models import Event
    from webapp.extensions import db
    from webapp.sending.models import MassEmail, Recipient
    from webapp.settings.service import get_settings

    app = app_with_schema()
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    with app.app_context():
        get_settings().sendgrid_public_key = base64.b64encode(public).decode()
        template = Template(name="Bench", subject="Hi", html="<p>Hi</p>", text=None, from_name="", from_email="", reply_to="")
        db.session.add(template)
        db.session.flush()
        mail = MassEmail(name="Bench", template_version=template.snapshot(), state="sent", sent_count=RECIPIENTS)
        db.session.add(mail)
        db.session.flush()
        sent_at = utcnow()
        db.session.execute(insert(Contact), [{"email": f"p{n}@example.com", "email_domain": "example.com"} for n in range(RECIPIENTS)])
        db.session.execute(insert(Recipient).from_select(
            ["mass_email_id", "contact_id", "email", "status", "sent_at", "message_id"],
            select(literal(mail.id), Contact.id, Contact.email, literal("sent"), literal(sent_at),
                   literal("<") + Contact.email + literal(">"))))
        db.session.commit()
        ids = db.session.execute(select(Recipient.id, Recipient.message_id)).all()
        signer = TokenSigner(app.config["SECRET_KEY"])
        start = int(sent_at.timestamp())
        events = []
        for n, (rid, message_id) in enumerate(ids):
            found_by = {"mailroom_recipient": signer.sign("webhook", rid)} if n % 2 else {"smtp-id": message_id}
            events.append({"event": "delivered", "timestamp": start + 5, "sg_event_id": f"d{rid}", "response": "250 OK",
                           "email": f"p{n}@example.com", **found_by})
            events.append({"event": "open", "timestamp": start + 600 + n % 3600, "sg_event_id": f"o{rid}", "ip": "192.0.2.1",
                           "useragent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0", "email": f"p{n}@example.com",
                           "mailroom_recipient": signer.sign("webhook", rid)})
        body = json.dumps(events).encode()
        stamp = str(int(time.time()))
        signature = base64.b64encode(key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()
        headers = {"X-Twilio-Email-Event-Webhook-Signature": signature, "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
                   "Content-Type": "application/json"}
        client = app.test_client()
        started = time.perf_counter()
        answer = client.post("/webhooks/sendgrid", data=body, headers=headers)
        elapsed = time.perf_counter() - started
        assert answer.status_code == 200, answer.get_data(as_text=True)
        stored = db.session.scalar(select(func.count()).select_from(Event))
        delivered = db.session.scalar(select(func.count()).select_from(Recipient).where(Recipient.status == "delivered"))
        assert stored == len(events) and delivered == RECIPIENTS, (stored, delivered)
        print(f"# {len(events):,} events, {len(body) / 1e6:.1f} MB, {stored:,} stored, answer {answer.json}")
        print(f"webhook_10k_s: {elapsed:.2f}")


def main():
    measure("bench.webhook:run", "webhook_10k_s")


if __name__ == "__main__":
    main()
