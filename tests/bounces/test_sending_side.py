"""What the receiving side asks of sending, checked over real SMTP (tests/smtp_servers.py): the VERP
envelope sender as MAIL FROM, the mailto List-Unsubscribe, DSN requests, and a last-hop relay's 250."""
from flask import current_app

from tests.bounces.helpers import BOUNCES, sample, use_bounce_address
from tests.factories import a_mass_email
from tests.sending.helpers import mass_email, send_until_done, use_server
from webapp.bounces import reconcile
from webapp.compose.verp import Verp
from webapp.extensions import db
from webapp.sending.models import Recipient
from webapp.settings.service import get_settings


def test_verp_is_the_mail_from_and_a_bounce_to_it_finds_the_recipient(ctx, server):
    use_bounce_address()
    settings = get_settings()
    settings.unsubscribe_mailto = "unsubscribe@mail.example.com"
    db.session.commit()
    use_server(server)
    mail_id = a_mass_email(state="sending", recipients=2).id
    send_until_done(mail_id)
    recipients = db.session.query(Recipient).filter_by(mass_email_id=mail_id).order_by(Recipient.id).all()
    verp = Verp(current_app.config["SECRET_KEY"], BOUNCES)
    assert sorted((d.mail_from, d.rcpt_tos[0]) for d in server.deliveries) == sorted(
        (verp.envelope_sender(r.id), r.email) for r in recipients)
    assert all(command.startswith(f"FROM:<{verp.local}+") and " RET=HDRS" in command for command in server.mail_commands)
    assert all("NOTIFY=SUCCESS,FAILURE,DELAY" in command for command in server.rcpt_commands)
    data = server.deliveries[0].data.decode()
    assert "List-Unsubscribe: <mailto:unsubscribe@mail.example.com?subject=unsubscribe%20" in data

    first = recipients[0]
    reconcile.apply(sample("postfix.eml", first, message_id=False))  # the bounce names only the VERP address
    db.session.expire_all()
    assert db.session.get(Recipient, first.id).status == "bounced"


def test_without_verp_the_bounce_address_is_the_mail_from(ctx, server):
    use_bounce_address(verp=False)
    use_server(server)
    send_until_done(a_mass_email(state="sending", recipients=1).id)
    assert server.deliveries[0].mail_from == BOUNCES


def test_a_last_hop_relay_s_acceptance_means_delivered(ctx, server):
    settings = get_settings()
    settings.delivered_on_acceptance = True
    db.session.commit()
    use_server(server)
    mail_id = a_mass_email(state="sending", recipients=3).id
    send_until_done(mail_id)
    sent = mass_email(mail_id)
    assert (sent.sent_count, sent.delivered_count) == (3, 3)
    assert {r.status for r in db.session.query(Recipient).filter_by(mass_email_id=mail_id)} == {"delivered"}
