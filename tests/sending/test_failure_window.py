"""A burst of refusals pauses the mass email by itself, saying what the server said; resume starts afresh."""
from collections import Counter

from sqlalchemy import select

from tests.factories import a_mass_email
from tests.sending.helpers import mass_email, received, send_until_done, statuses, use_server
from tests.smtp_servers import ScriptedSmtpServer
from webapp.common.clock import utcnow
from webapp.extensions import db
from webapp.sending.lifecycle import resume_mass_email
from webapp.sending.models import Recipient
from webapp.sending.sender import send_batch
from webapp.settings.service import get_settings

BLOCKED = "554 5.7.1 Service unavailable; client host [192.0.2.7] blocked using zen.spamhaus.org"


def judge(percent=50, window=20):
    settings = get_settings()
    settings.auto_pause_percent, settings.auto_pause_window = percent, window
    db.session.commit()


def refuse(server, addresses, reply):
    for email in addresses:
        server.script(email, rcpt=reply)


def in_sending_order(mass_email_id):
    """The recipients' addresses in the order batches claim them (by id)."""
    return db.session.scalars(select(Recipient.email).where(Recipient.mass_email_id == mass_email_id).order_by(Recipient.id)).all()


def test_a_burst_of_refusals_across_batches_pauses_the_mass_email_quoting_the_most_common_reply(ctx, server):
    use_server(server, batch_size=15)  # the window fills over two batches
    judge(percent=50, window=20)
    mail_id = a_mass_email(state="sending", recipients=60).id
    in_order = in_sending_order(mail_id)
    for email in in_order[:14]:
        server.script(email, rcpt=f"550 5.7.1 <{email}>: Relay access denied")
    for email in in_order[14:]:
        server.script(email, rcpt=BLOCKED)

    send_until_done(mail_id)

    mail = mass_email(mail_id)
    assert mail.state == "paused"
    # 14 relay refusals (one per address, alike once the address is set aside; the latest is quoted), 6 blocks.
    assert mail.failure_reason == ("Paused automatically: 20 of the last 20 messages were refused or failed; "
                                   f"most said: 550 5.7.1 <{in_order[13]}>: Relay access denied")
    assert Counter(statuses(mail_id).values()) == {"bounced": 20, "queued": 40}  # the rest waits for a person


def test_refusals_below_the_threshold_never_pause(ctx, server):
    use_server(server, batch_size=15)
    judge(percent=50, window=20)
    refuse(server, [f"p{n}@example.com" for n in range(0, 40, 3)], BLOCKED)  # one in three, spread out
    mail_id = a_mass_email(state="sending", recipients=40).id

    send_until_done(mail_id)

    mail = mass_email(mail_id)
    assert (mail.state, mail.failure_reason, mail.bounced_count, mail.sent_count) == ("sent", None, 14, 26)


def test_the_safeguard_turned_off_sends_through_any_refusals(ctx, server):
    use_server(server, batch_size=50)
    judge(percent=None)
    refuse(server, [f"p{n}@example.com" for n in range(30)], BLOCKED)
    mail_id = a_mass_email(state="sending", recipients=30).id

    send_until_done(mail_id)

    assert (mass_email(mail_id).state, mass_email(mail_id).bounced_count) == ("sent", 30)


def test_resume_clears_the_reason_and_judges_only_new_attempts(ctx, server):
    use_server(server, batch_size=50)
    judge(percent=50, window=20)
    mail_id = a_mass_email(state="sending", recipients=45).id
    in_order = in_sending_order(mail_id)
    refuse(server, in_order[:20], BLOCKED)
    send_batch(mail_id)
    assert mass_email(mail_id).state == "paused"

    server.rcpt_replies.clear()  # the sender's IP was delisted
    refuse(server, in_order[20:25], BLOCKED)  # late refusals: with the old window they would pause it again
    resume_mass_email(mail_id, utcnow())
    assert mass_email(mail_id).failure_reason is None
    send_until_done(mail_id)

    mail = mass_email(mail_id)
    assert (mail.state, mail.sent_count, mail.bounced_count) == ("sent", 20, 25)
    assert received(server) == {email: 1 for email in in_order[25:]}


def test_a_server_that_stays_unreachable_pauses_the_mass_email_with_the_reason(ctx):
    with ScriptedSmtpServer() as gone:
        use_server(gone)
    judge(percent=50, window=20)
    mail_id = a_mass_email(state="sending", recipients=3).id

    for _ in range(20):  # each batch tries once, then waits RECONNECT_SECONDS
        send_batch(mail_id)

    mail = mass_email(mail_id)
    assert mail.state == "paused"
    assert mail.failure_reason.startswith("Paused automatically: 20 of the last 20 messages were refused or failed; "
                                          "most said: Could not connect to 127.0.0.1:")
    assert set(statuses(mail_id).values()) == {"queued"}
