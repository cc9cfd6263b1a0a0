"""The bounce mailbox poller against a real IMAP server: reports applied and filed, the rest moved aside."""
from sqlalchemy import select

from tests.bounces.conftest import IMAP_PASSWORD, IMAP_USER
from tests.machine import free_port
from tests.bounces.helpers import a_sent_recipient, sample, use_bounce_address
from webapp.audience.models import Suppression
from webapp.bounces import mailbox
from webapp.extensions import db
from webapp.mail.imap import ImapFailure, check_connection, imap_config
from webapp.sending.models import Recipient
from webapp.settings.service import get_settings


def use_mailbox(port, password=IMAP_PASSWORD):
    settings = get_settings()
    settings.imap_host, settings.imap_port, settings.imap_security = "127.0.0.1", port, "none"
    settings.imap_username, settings.imap_password = IMAP_USER, password
    db.session.commit()


def folder(imap, name):
    imap.select_folder(name)
    return [data[b"BODY[]"] for data in imap.fetch(imap.search("ALL"), ["BODY.PEEK[]"]).values()]


def test_the_poller_applies_reports_and_files_every_message(ctx, imap):
    use_bounce_address()
    use_mailbox(imap.port)
    hard, complained = a_sent_recipient("gone@example.org"), a_sent_recipient("ann@yahoo.com")
    imap.append("INBOX", sample("postfix.eml", hard))
    imap.append("INBOX", sample("arf.eml", complained))
    imap.append("INBOX", sample("autoreply.eml", hard))
    imap.append("INBOX", b"this is not an email at all \xff\xfe")

    polled = mailbox.poll()

    assert (polled.processed, polled.other, polled.failed) == (2, 2, 0)
    db.session.expire_all()
    assert db.session.get(Recipient, hard.id).status == "bounced"
    assert dict(db.session.execute(select(Suppression.email, Suppression.reason)).all()) == {
        "gone@example.org": "hard_bounce", "ann@yahoo.com": "complaint"}
    assert folder(imap, "INBOX") == []
    assert len(folder(imap, "Processed")) == 2
    assert any(b"Automatic reply" in raw for raw in folder(imap, "Not bounces"))


def test_a_message_that_breaks_the_reader_is_moved_aside_and_the_others_go_on(ctx, imap, monkeypatch):
    use_bounce_address()
    use_mailbox(imap.port)
    broken, fine = a_sent_recipient("broken@example.org"), a_sent_recipient("gone@example.org")
    imap.append("INBOX", sample("postfix.eml", broken).replace(b"Final-Recipient: rfc822; broken", b"Final-Recipient: rfc822; \xff"))
    imap.append("INBOX", sample("postfix.eml", fine))
    real_apply = mailbox.reconcile.apply

    def apply_failing_on_the_first(raw, settings=None):
        if b"\xff" in raw:
            raise ValueError("an unreadable report")
        return real_apply(raw, settings)

    monkeypatch.setattr(mailbox.reconcile, "apply", apply_failing_on_the_first)
    polled = mailbox.poll()
    assert (polled.processed, polled.failed) == (1, 1)
    db.session.expire_all()
    assert db.session.get(Recipient, fine.id).status == "bounced"
    assert len(folder(imap, "Not bounces")) == 1 and folder(imap, "INBOX") == []


def test_a_report_about_a_recipient_still_being_sent_waits_in_the_folder(ctx, imap):
    use_bounce_address()
    use_mailbox(imap.port)
    sending = a_sent_recipient("gone@example.org", status="sending", sent_at=None)
    imap.append("INBOX", sample("postfix.eml", sending))
    assert mailbox.poll().waiting == 1
    assert len(folder(imap, "INBOX")) == 1


def test_the_connection_test_says_what_the_mailbox_holds_or_why_it_failed(ctx, imap):
    use_mailbox(imap.port)
    imap.append("INBOX", b"Subject: hello\r\n\r\nhi\r\n")
    assert check_connection(imap_config(get_settings())) == f"Connected to 127.0.0.1:{imap.port} as bounces: INBOX holds 1 message."
    use_mailbox(imap.port, password="wrong")
    try:
        check_connection(imap_config(get_settings()))
    except ImapFailure as failure:
        assert str(failure) == f"127.0.0.1:{imap.port} refused the user name or password."
    else:
        raise AssertionError("a wrong password connected")


def test_no_mailbox_set_means_no_poll(ctx):
    assert mailbox.poll() is None


def test_an_unreachable_mailbox_is_reported_not_raised(ctx):
    use_mailbox(free_port())
    polled = mailbox.poll()
    assert polled.error.startswith("Could not reach 127.0.0.1:") and polled.processed == 0
