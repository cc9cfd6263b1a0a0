"""A batch's SMTP connection against real SMTP servers on loopback that answer as scripted."""
import dataclasses

import pytest

from tests.smtp_servers import DROP, HANG, ScriptedSmtpServer
from webapp.compose.mime import BuildSettings, MessageBuilder
from webapp.compose.rendering import compile_template, contact_context
from webapp.mail.delivery import ConnectionLost, SmtpDelivery
from webapp.mail.smtp import SmtpFailure

SENDER = "bounces+r1@mailroom.test"


def message(to, body="Hello!"):
    return (
        f"From: news@mailroom.test\r\nTo: {to}\r\nSubject: News\r\nMessage-ID: <m-{to}@mailroom.test>\r\n\r\n{body}\r\n"
    ).encode()


@pytest.fixture(params=[True, False], ids=["pipelining", "one-command-at-a-time"])
def server(request):
    with ScriptedSmtpServer(pipelining=request.param) as running:
        yield running


@pytest.fixture
def dsn_server():
    with ScriptedSmtpServer(dsn=True) as running:
        yield running


def send_one(server, to, data=None, envid=None):
    with SmtpDelivery(server.smtp_config()) as delivery:
        return delivery.send(SENDER, to, data or message(to), envid=envid)


def test_accepted_message_arrives_byte_for_byte(server):
    # Leading dots are stuffed on the wire and unstuffed by the server.
    data = message("ann@example.com", body=".signature\r\n..two dots\r\nend")
    outcome = send_one(server, "ann@example.com", data)
    assert outcome.kind == "sent"
    assert [(d.mail_from, d.rcpt_tos, d.data) for d in server.deliveries] == [(SENDER, ["ann@example.com"], data)]


def test_greylisting_defers_with_the_servers_retry_after(server):
    server.script("grey@example.com", rcpt="451 4.7.1 Greylisted, try again in 90 seconds")
    outcome = send_one(server, "grey@example.com")
    assert (outcome.kind, outcome.status, outcome.retry_after) == ("deferred", "4.7.1", 90)
    assert server.deliveries == []


@pytest.mark.parametrize("reply, bounce_kind", [
    ("550 5.1.1 <x@example.com>: Recipient address rejected: User unknown", "hard"),
    ("552 5.2.2 Mailbox full", "soft"),
    ("550 5.7.26 Unauthenticated email is not accepted due to DMARC policy", "soft"),
    ("550 5.7.1 Message rejected as spam by content policy", "soft"),
])
def test_refused_recipient_bounces_hard_or_soft_by_status_code(server, reply, bounce_kind):
    server.script("x@example.com", rcpt=reply)
    outcome = send_one(server, "x@example.com")
    assert (outcome.kind, outcome.bounce_kind, outcome.status) == ("bounced", bounce_kind, reply.split()[1])


def test_refusal_at_end_of_data_is_a_bounce_too(server):
    server.script("spam@example.com", data="554 5.7.1 Message content rejected as spam")
    outcome = send_one(server, "spam@example.com")
    assert (outcome.kind, outcome.bounce_kind) == ("bounced", "soft")


def test_421_ends_the_batchs_connection_before_data(server):
    server.script("busy@example.com", rcpt="421 4.7.0 Too many connections, closing transmission channel")
    with SmtpDelivery(server.smtp_config()) as delivery:
        with pytest.raises(ConnectionLost) as lost:
            delivery.send(SENDER, "busy@example.com", message("busy@example.com"))
        # Nothing was sent, so the message can simply be retried on a new connection.
        assert lost.value.data_started is False
        assert lost.value.reply.kind == "connection"
        with pytest.raises(ConnectionLost):
            delivery.send(SENDER, "ann@example.com", message("ann@example.com"))


def test_hang_up_after_the_message_leaves_it_unconfirmed(server):
    server.script("lost@example.com", data=DROP)
    with pytest.raises(ConnectionLost) as lost:
        send_one(server, "lost@example.com")
    assert lost.value.data_started is True
    # The server did get it: resending would deliver it twice.
    assert [d.rcpt_tos for d in server.deliveries] == [["lost@example.com"]]


def test_no_answer_to_the_message_within_the_timeout_leaves_it_unconfirmed(server):
    server.script("slow@example.com", data=HANG)
    with SmtpDelivery(server.smtp_config(timeout=0.3)) as delivery:
        with pytest.raises(ConnectionLost) as lost:
            delivery.send(SENDER, "slow@example.com", message("slow@example.com"))
    assert lost.value.data_started is True
    assert "No answer" in lost.value.reason


def test_421_in_reply_to_the_message_means_refused_not_unconfirmed(server):
    server.script("late@example.com", data="421 4.3.2 System shutting down")
    with pytest.raises(ConnectionLost) as lost:
        send_one(server, "late@example.com")
    assert lost.value.data_started is False
    assert lost.value.reply.status == "4.3.2"


def test_dsn_parameters_are_sent_when_the_server_advertises_dsn(dsn_server):
    outcome = send_one(dsn_server, "ann@example.com", envid="mr-7+42")
    assert outcome.kind == "sent"
    assert dsn_server.mail_commands == [f"FROM:<{SENDER}> ENVID=mr-7+2B42 RET=HDRS"]
    assert dsn_server.rcpt_commands == ["TO:<ann@example.com> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;ann@example.com"]


def test_dsn_parameters_are_left_out_when_the_server_does_not_offer_dsn(server):
    outcome = send_one(server, "ann@example.com", envid="mr-7")
    assert outcome.kind == "sent"
    assert server.mail_commands == [f"FROM:<{SENDER}>"]
    assert server.rcpt_commands == ["TO:<ann@example.com>"]


def test_one_connection_carries_a_whole_batch(server):
    addresses = [f"reader{n}@example.com" for n in range(50)]
    with SmtpDelivery(server.smtp_config()) as delivery:
        assert delivery.pipelining == server.pipelining  # MAIL, RCPT, DATA in one write when offered
        outcomes = [delivery.send(SENDER, to, message(to)) for to in addresses]
    assert {outcome.kind for outcome in outcomes} == {"sent"}
    assert [d.rcpt_tos[0] for d in server.deliveries] == addresses
    assert server.connections == 1


def test_a_refused_recipient_does_not_spoil_the_connection_for_the_next(server):
    server.script("gone@example.com", rcpt="550 5.1.1 User unknown")
    with SmtpDelivery(server.smtp_config()) as delivery:
        refused = delivery.send(SENDER, "gone@example.com", message("gone@example.com"))
        accepted = delivery.send(SENDER, "ann@example.com", message("ann@example.com"))
    assert (refused.kind, accepted.kind) == ("bounced", "sent")
    assert [d.rcpt_tos for d in server.deliveries] == [["ann@example.com"]]
    assert server.connections == 1


def test_a_refused_sender_is_an_outcome_and_the_connection_goes_on(server):
    server.script("blocked@mailroom.test", mail="553 5.7.1 Sender address rejected: not owned by user")
    with SmtpDelivery(server.smtp_config()) as delivery:
        refused = delivery.send("blocked@mailroom.test", "ann@example.com", message("ann@example.com"))
        accepted = delivery.send(SENDER, "ann@example.com", message("ann@example.com"))
    assert (refused.kind, refused.bounce_kind, accepted.kind) == ("bounced", "soft", "sent")
    assert refused.text.startswith("5.7.1 Sender address rejected")  # MAIL's reply, not RCPT's or DATA's after it


def test_closing_tolerates_a_connection_the_server_already_dropped(server):
    server.script("lost@example.com", data=DROP)
    delivery = SmtpDelivery(server.smtp_config())
    delivery.open()
    with pytest.raises(ConnectionLost):
        delivery.send(SENDER, "lost@example.com", message("lost@example.com"))
    delivery.close()
    delivery.close()


def test_unreachable_server_is_a_lost_connection_to_retry_later():
    with ScriptedSmtpServer() as stopped:
        config = stopped.smtp_config()
    with pytest.raises(ConnectionLost) as lost:
        SmtpDelivery(config).open()
    assert "connection refused" in lost.value.reason


def test_a_server_that_needs_no_login_but_gets_one_is_a_setting_to_fix(server):
    config = dataclasses.replace(server.smtp_config(), username="user", password="secret")
    with pytest.raises(SmtpFailure):
        SmtpDelivery(config).open()


def test_a_built_message_goes_out_with_its_verp_envelope_sender(server):
    build_settings = BuildSettings(
        site_url="https://mail.example.com", secret_key="secret", from_email="news@example.com",
        bounce_address="bounces@example.com", verp=True,
    )
    builder = MessageBuilder(compile_template("Hi", "<p>Hello {{ contact.first_name }}</p>", None), build_settings)
    built = builder.build(42, "ann@example.org", contact_context("ann@example.org", "Ann", "Lee", "Acme"))
    with SmtpDelivery(server.smtp_config()) as delivery:
        assert delivery.send(built.envelope_from, built.to, built.data, envid=42).kind == "sent"
    [received] = server.deliveries
    assert received.mail_from == built.envelope_from != "bounces@example.com"
    assert received.data == built.data
