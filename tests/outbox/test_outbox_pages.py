"""The Outbox (dev mode): every caught message reachable by paging and search, and emptied only on purpose."""
import mailbox
from email.message import EmailMessage

from webapp.outbox.reader import PAGE_SIZE


def catch(app, count, subject="Hello {n}", to="person{n}@example.com"):
    """`count` messages in the catcher's Maildir, as the SMTP catcher stores them."""
    box = mailbox.Maildir(str(app.config["OUTBOX_DIR"]), create=True)
    for n in range(count):
        message = EmailMessage()
        message["Subject"], message["From"], message["To"] = subject.format(n=n), "news@example.com", to.format(n=n)
        message.set_content("Hi")
        box.add(message)


def test_paging_reaches_every_message_past_the_first_page(app, admin_client):
    catch(app, PAGE_SIZE * 4 + 10)

    first = admin_client.get("/outbox/").get_data(as_text=True)
    last = admin_client.get("/outbox/?page=5", htmx=True).get_data(as_text=True)

    assert first.count("<td class=\"small\">") == PAGE_SIZE and f"1–{PAGE_SIZE} of {PAGE_SIZE * 4 + 10}" in first
    assert "<html" not in last and last.count("<td class=\"small\">") == 10 and "Next →" not in last and "← Previous" in last


def test_search_finds_older_messages_by_recipient_and_subject(app, admin_client):
    catch(app, 300)
    catch(app, 1, subject="Your invitation", to="zoe.weber@example.org")

    by_address = admin_client.get("/outbox/?q=weber").get_data(as_text=True)
    by_words = admin_client.get("/outbox/?q=hello+person7@", htmx=True).get_data(as_text=True)
    nothing = admin_client.get("/outbox/?q=nobody", htmx=True).get_data(as_text=True)

    assert by_address.count("<td class=\"small\">") == 1 and "Your invitation" in by_address
    assert by_words.count("<td class=\"small\">") == 1 and "Hello 7<" in by_words
    assert "No message matches" in nothing


def test_empty_outbox_is_a_destructive_button_that_asks_first(app, admin_client):
    catch(app, 1)

    page = admin_client.get("/outbox/").get_data(as_text=True)

    assert 'data-confirm="Delete every caught message? This cannot be undone."' in page
    assert '<button class="danger filled" type="submit">Empty outbox</button>' in page
    assert admin_client.post("/outbox/clear").status_code == 303
    assert "No messages yet" in admin_client.get("/outbox/").get_data(as_text=True)
