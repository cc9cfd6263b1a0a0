"""Internationalised addresses: IDNA for non-ASCII domains always, SMTPUTF8 for non-ASCII local parts
where the relay offers it; otherwise that one recipient fails with the reason, and the send goes on."""
from email import message_from_bytes, policy

import pytest

from tests.factories import a_contact, a_mass_email, a_recipient
from tests.sending.helpers import received, row, send_until_done, use_server
from tests.smtp_servers import ScriptedSmtpServer
from webapp.common.emails import normalize_email

# ASCII; an ASCII local part at an IDN domain; a UTF-8 local part (as the import stores them); ASCII again.
ADDRESSES = ["ann@example.com", normalize_email("bjorn@münchen.de"), normalize_email("Anna.García@example.com"),
             "zed@example.com"]
IDN_ON_THE_WIRE = "bjorn@xn--mnchen-3ya.de"


def a_send_to_everyone():
    mail = a_mass_email(state="sending")
    for address in ADDRESSES:
        a_recipient(mail, address, contact=a_contact(address))
    return mail.id


def test_without_smtputf8_idn_domains_go_as_punycode_and_utf8_local_parts_fail_alone(ctx):
    with ScriptedSmtpServer(smtputf8=False) as server:
        use_server(server)
        mail_id = a_send_to_everyone()

        send_until_done(mail_id)

    assert received(server) == {"ann@example.com": 1, IDN_ON_THE_WIRE: 1, "zed@example.com": 1}
    failed = row(ADDRESSES[2])
    assert (failed.status, failed.smtp_reply) == ("failed", "Not sent: needs SMTPUTF8, which the relay does not offer")
    assert failed.message_id is None  # nothing was handed over: never "unconfirmed"
    assert {row(address).status for address in ADDRESSES if address != ADDRESSES[2]} == {"sent"}
    assert all(" SMTPUTF8" not in command for command in server.mail_commands)


def test_with_smtputf8_every_address_goes_and_utf8_local_parts_travel_as_utf8(ctx):
    with ScriptedSmtpServer(smtputf8=True) as server:
        use_server(server)
        mail_id = a_send_to_everyone()

        send_until_done(mail_id)

    assert received(server) == {"ann@example.com": 1, IDN_ON_THE_WIRE: 1, "anna.garcía@example.com": 1, "zed@example.com": 1}
    assert {row(address).status for address in ADDRESSES} == {"sent"}
    utf8_mails = [mail for mail, rcpt in zip(server.mail_commands, server.rcpt_commands) if "garcía" in rcpt]
    assert len(utf8_mails) == 1 and "SMTPUTF8" in utf8_mails[0].split()
    assert [mail for mail in server.mail_commands if "SMTPUTF8" in mail.split()] == utf8_mails  # only where needed
    headers = {delivery.rcpt_tos[0]: str(message_from_bytes(delivery.data, policy=policy.SMTPUTF8)["To"]) for delivery in server.deliveries}
    assert headers[IDN_ON_THE_WIRE] == IDN_ON_THE_WIRE and headers["anna.garcía@example.com"] == "anna.garcía@example.com"


@pytest.mark.parametrize("smtputf8", [False, True])
def test_a_send_test_to_a_utf8_address_answers_with_a_result_never_500(app, marketer_client, smtputf8):
    from tests.compose.helpers import editor_form
    from tests.factories import a_template

    template = a_template()
    with ScriptedSmtpServer(smtputf8=smtputf8) as server:
        with app.app_context():
            use_server(server)
        response = marketer_client.post(f"/templates/{template.id}/send-test", htmx=True,
                                        data=dict(editor_form(), addresses="josé@example.com, ann@münchen.de"))

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    if smtputf8:
        assert page.count("Accepted by") == 2
    else:
        assert "needs SMTPUTF8, which the relay does not offer" in page and page.count("Accepted by") == 1
