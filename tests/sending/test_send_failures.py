"""One recipient's failure fails that recipient; failures that keep coming pause the send with the reason."""
from tests.factories import a_mass_email, a_template
from tests.sending.helpers import mass_email, received, send_until_done, statuses, use_server
from tests.smtp_servers import ScriptedSmtpServer
from webapp.extensions import db
from webapp.settings.service import get_settings

# Renders for the sample contact the editor checks with, raises for every real one.
POISON = "{% if contact.email != 'sample@example.com' %}{{ 'a'|truncate(-1) }}{% endif %}<p>Hi</p>"


def test_a_template_that_fails_for_real_contacts_pauses_the_send_and_says_why(ctx):
    settings = get_settings()
    settings.auto_pause_percent, settings.auto_pause_window = 50, 20
    db.session.commit()
    with ScriptedSmtpServer() as server:
        use_server(server, batch_size=100)
        mail_id = a_mass_email(state="sending", template=a_template(html=POISON), recipients=60).id

        send_until_done(mail_id)

    mail = mass_email(mail_id)
    assert mail.state == "paused" and received(server) == {}
    assert mail.failure_reason.startswith("Paused automatically: 20 of the last 20 messages were refused or failed; most said: Not sent:")
    assert list(statuses(mail_id).values()).count("failed") == 20  # the others wait: resume after fixing the template
    assert list(statuses(mail_id).values()).count("queued") == 40


def test_a_batch_that_dies_says_so_on_the_progress_page_at_once(app, ctx, marketer_client, monkeypatch):
    import pytest

    from webapp.sending import sender

    mail_id = a_mass_email(state="sending", recipients=3).id

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(sender, "send_step", broken)  # any error a batch did not foresee
    with pytest.raises(RuntimeError):
        sender.send_batch(mail_id)

    page = marketer_client.get(f"/mass-emails/{mail_id}").get_data(as_text=True)
    assert "A batch stopped with an error at" in page and "RuntimeError: the database went away" in page
    monkeypatch.undo()
    with ScriptedSmtpServer() as server:
        use_server(server)
        send_until_done(mail_id)
    assert mass_email(mail_id).batch_error is None  # a batch that ends well clears it
