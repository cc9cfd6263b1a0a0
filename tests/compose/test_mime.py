"""The message a recipient receives: headers, both parts, tokens, envelope, signature."""
import base64
import re
import shutil
import subprocess
from email import policy
from email.parser import BytesParser

import dkim
import pytest

from webapp.compose.mime import BuildSettings, MessageBuilder, encode_body
from webapp.compose.rendering import compile_template, contact_context
from webapp.compose.tokens import (
    TokenSigner, read_click_token, read_open_token, read_unsubscribe_token, read_view_token,
)
from webapp.compose.verp import Verp
from webapp.mail.dkim import DkimKey, DkimSigner

SECRET = "test-secret"
SIGNER = TokenSigner(SECRET)
HTML = (
    "<html><head><style>p { color: #333 }</style></head><body>"
    "<p>Hello {{ contact.first_name | default('there') }} from {{ contact.company }},</p>"
    '<p><a href="https://shop.example.com/winter?utm=mail&amp;x=1">Shop the sale</a></p>'
    '<p><a href="https://blog.example.com/post">Read the post</a></p>'
    '<p><a href="{{ view_in_browser_url }}">View online</a></p>'
    "</body></html>"
)


def settings(**overrides):
    values = dict(
        site_url="https://mail.example.com", secret_key=SECRET, from_email="news@example.com",
        from_name="Example News", reply_to="help@example.com", list_id="winter.mail.example.com",
        list_name="Winter news", unsubscribe_mailto="unsubscribe@example.com",
        bounce_address="bounces@example.com", verp=True,
    )
    values.update(overrides)
    return BuildSettings(**values)


def builder(html=HTML, subject="Winter sale for {{ contact.first_name | default('you') }}", text=None,
            build_settings=None, **options):
    compiled = compile_template(subject, html, text, postal_address="1 Main Street, Oslo", **options)
    return MessageBuilder(compiled, build_settings or settings())


def parse(message):
    return BytesParser(policy=policy.default).parsebytes(message.data)


def token_of(url):
    return url.rstrip(">").rsplit("/", 1)[1]


@pytest.fixture(scope="module")
def built():
    message = builder().build(42, "ann@example.org", contact_context("ann@example.org", "Ann", "Lee", "Acme"))
    return message, parse(message)


def test_headers_say_who_what_and_how_to_leave(built):
    message, parsed = built
    assert parsed["From"] == "Example News <news@example.com>"
    assert parsed["To"] == "ann@example.org"
    assert parsed["Reply-To"] == "help@example.com"
    assert parsed["Subject"] == "Winter sale for Ann"
    assert parsed["Date"].datetime is not None
    assert parsed["MIME-Version"] == "1.0"
    assert parsed["Message-ID"] == message.message_id
    assert re.fullmatch(r"<[0-9a-f]{32}@mail\.example\.com>", message.message_id)
    assert parsed["List-Id"] == "Winter news <winter.mail.example.com>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["X-Mailroom-Recipient"] == "42"
    assert "Return-Path" not in parsed  # the receiving MTA writes it from the envelope


def test_list_unsubscribe_offers_mailto_and_one_click_https(built):
    _, parsed = built
    mailto, https = [part.strip() for part in str(parsed["List-Unsubscribe"]).split(",")]
    assert re.fullmatch(r"<mailto:unsubscribe@example\.com\?subject=unsubscribe%20[\w-]+>", mailto)
    assert https.startswith("<https://mail.example.com/t/u/")
    assert read_unsubscribe_token(SIGNER, token_of(https)) == 42
    assert read_unsubscribe_token(SIGNER, mailto.split("%20")[1].rstrip(">")) == 42


def test_both_parts_are_present_decoded_and_personalised(built):
    _, parsed = built
    assert parsed.get_content_type() == "multipart/alternative"
    text_part, html_part = parsed.iter_parts()
    assert text_part.get_content_type() == "text/plain" and html_part.get_content_type() == "text/html"
    assert text_part.get_content_charset() == "utf-8"
    text, html = text_part.get_content(), html_part.get_content()
    assert text.startswith("Hello Ann from Acme,")
    assert "Hello Ann from Acme," in html
    assert '<p style="color: #333;">' in html  # CSS inlined


def test_links_in_both_parts_verify_back_to_link_and_recipient(built):
    _, parsed = built
    text_part, html_part = parsed.iter_parts()
    html_clicks = re.findall(r'href="https://mail\.example\.com/t/c/([\w-]+)"', html_part.get_content())
    text_clicks = re.findall(r"https://mail\.example\.com/t/c/([\w-]+)", text_part.get_content())
    assert [read_click_token(SIGNER, token) for token in html_clicks] == [(42, 0, 0), (42, 0, 1)]
    assert [read_click_token(SIGNER, token) for token in text_clicks] == [(42, 0, 0), (42, 0, 1)]
    assert "shop.example.com" not in html_part.get_content()
    view = re.search(r'href="https://mail\.example\.com/t/v/([\w-]+)"', html_part.get_content()).group(1)
    assert read_view_token(SIGNER, view) == 42


def test_open_pixel_and_footer_are_in_the_html(built):
    _, parsed = built
    text_part, html_part = parsed.iter_parts()
    html = html_part.get_content()
    pixel = re.search(r'<img src="https://mail\.example\.com/t/o/([\w-]+)\.gif" width="1" height="1"', html)
    assert read_open_token(SIGNER, pixel.group(1)) == 42
    assert html.index("Unsubscribe") < html.index(pixel.group(0)) < html.index("</body>")
    assert "1 Main Street, Oslo" in html and "1 Main Street, Oslo" in text_part.get_content()


def test_every_line_is_within_the_smtp_limit_and_ends_in_crlf(built):
    message, _ = built
    assert b"\n" not in message.data.replace(b"\r\n", b"")
    assert max(map(len, message.data.split(b"\r\n"))) <= 998


def test_the_envelope_sender_is_a_verp_address_for_the_recipient(built):
    message, _ = built
    assert re.fullmatch(r"bounces\+42-[a-z2-7]{16}@example\.com", message.envelope_from)
    assert Verp(SECRET, "bounces@example.com").recipient_id(message.envelope_from) == 42


def test_without_verp_the_envelope_sender_is_the_bounce_address():
    message = builder(build_settings=settings(verp=False)).build(1, "a@example.org", contact_context("a@example.org"))
    assert message.envelope_from == "bounces@example.com"


def test_the_list_id_defaults_to_the_site_and_unsubscribe_to_https_only():
    plain = settings(list_id="", list_name="", unsubscribe_mailto="", recipient_header=False)
    parsed = parse(builder(build_settings=plain).build(1, "a@example.org", contact_context("a@example.org")))
    assert parsed["List-Id"] == "<mailroom.mail.example.com>"
    assert str(parsed["List-Unsubscribe"]).startswith("<https://mail.example.com/t/u/")
    assert "mailto" not in str(parsed["List-Unsubscribe"])
    assert "X-Mailroom-Recipient" not in parsed


def test_two_recipients_get_their_own_message_ids_and_tokens():
    message_builder = builder()
    first = message_builder.build(1, "a@example.org", contact_context("a@example.org", "Ann"))
    second = message_builder.build(2, "b@example.org", contact_context("b@example.org", "Bob"))
    assert first.message_id != second.message_id
    assert parse(second)["Subject"] == "Winter sale for Bob"
    assert parse(second)["X-Mailroom-Recipient"] == "2"


def test_non_ascii_subject_sender_and_body_are_encoded():
    message_builder = builder(
        html="<p>Grüße, {{ contact.first_name }}! Ünïcödé " + "längere Zeile " * 200 + "</p>",
        subject="Größte Auswahl für {{ contact.first_name }} 🎉",
        build_settings=settings(from_name="Müller & Söhne, GmbH", reply_to=""),
    )
    message = message_builder.build(9, "jo@example.org", contact_context("jo@example.org", "Jörg"))
    assert message.data.isascii()
    parsed = parse(message)
    assert parsed["Subject"] == "Größte Auswahl für Jörg 🎉"
    assert parsed["From"].addresses[0].display_name == "Müller & Söhne, GmbH"
    assert "Reply-To" not in parsed
    text_part, html_part = parsed.iter_parts()
    assert "Grüße, Jörg! Ünïcödé" in html_part.get_content()
    assert "Grüße, Jörg!" in text_part.get_content()
    assert max(map(len, message.data.split(b"\r\n"))) <= 998


def test_a_very_long_subject_is_folded_into_legal_lines():
    subject = "Winter " * 200
    message = builder(subject=subject).build(1, "a@example.org", contact_context("a@example.org"))
    assert parse(message)["Subject"] == subject.strip()
    assert max(map(len, message.data.split(b"\r\n"))) <= 998


def test_contact_data_cannot_inject_headers():
    message = builder().build(1, "a@example.org\r\nBcc: victim@example.com",
                              contact_context("a@example.org", "Ann\r\nBcc: victim@example.com"))
    parsed = parse(message)
    assert "Bcc" not in parsed
    assert parsed["Subject"] == "Winter sale for Ann Bcc: victim@example.com"


def test_line_breaks_in_contact_data_become_crlf_in_both_parts():
    message = builder(html="<p>{{ contact.address }}</p>", text="Address:\n{{ contact.address }}").build(
        1, "a@example.org", contact_context("a@example.org", custom_fields={"address": "1 Main St\nOslo\rNorway"}))
    assert b"\n" not in message.data.replace(b"\r\n", b"")
    assert b"\r" not in message.data.replace(b"\r\n", b"")
    text_part, html_part = parse(message).iter_parts()
    assert "1 Main St\r\nOslo\r\nNorway" in text_part.get_content()
    assert "<p>1 Main St\r\nOslo\r\nNorway</p>" in html_part.get_content()


def test_a_user_written_text_part_is_used_as_written():
    message = builder(text="Hi {{ contact.first_name }}!\nNo HTML here: {{ unsubscribe_url }}").build(
        3, "a@example.org", contact_context("a@example.org", "Ann"))
    text = next(parse(message).iter_parts()).get_content()
    assert text.startswith("Hi Ann!\r\nNo HTML here: https://mail.example.com/t/u/")
    assert "You receive this email" not in text


@pytest.mark.parametrize("body, encoding", [
    ("plain ascii\r\nlines", "7bit"),
    ("x" * 1200, "quoted-printable"),
    ("naïve", "quoted-printable"),
    ("naïve " * 3000, "base64"),
])
def test_each_body_gets_an_encoding_that_keeps_lines_legal(body, encoding):
    body = body.replace("\r\n", "\n").replace("\n", "\r\n")
    chosen, data = encode_body(body)
    assert chosen == encoding
    assert max(map(len, data.split(b"\r\n"))) <= 998
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_verp_refuses_forged_and_foreign_addresses():
    verp = Verp(SECRET, "bounces@example.com")
    address = verp.envelope_sender(1234)
    assert verp.recipient_id(address.upper()) == 1234  # mail systems may change the case
    assert verp.recipient_id(f"<{address}>") == 1234
    forged = address.replace("1234", "1235")
    assert verp.recipient_id(forged) is None
    assert Verp("other-secret", "bounces@example.com").recipient_id(address) is None
    for garbage in ("", "bounces@example.com", "bounces+1-xyz@example.com", "someone@else.org", None):
        assert verp.recipient_id(garbage) is None
    assert len(verp.envelope_sender(2**63 - 1).split("@")[0]) <= 64


@pytest.fixture(scope="module")
def dkim_key(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test DKIM key")
    path = tmp_path_factory.mktemp("dkim") / "private.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(path), "2048"], check=True, capture_output=True)
    public_der = subprocess.run(["openssl", "rsa", "-in", str(path), "-pubout", "-outform", "DER"],
                                check=True, capture_output=True).stdout
    return path.read_bytes(), base64.b64encode(public_der)


def test_dkim_signature_verifies_and_covers_the_one_click_headers(dkim_key):
    private_pem, public_b64 = dkim_key
    message_builder = builder(build_settings=settings(dkim=DkimSigner([DkimKey("mail2026", "example.com", private_pem)])))
    message = message_builder.build(7, "ann@example.org", contact_context("ann@example.org", "Ann"))

    def dns(name, timeout=5):
        assert name == b"mail2026._domainkey.example.com."
        return b"v=DKIM1; k=rsa; p=" + public_b64

    assert dkim.verify(message.data, dnsfunc=dns)
    signature = parse(message)["DKIM-Signature"].replace(" ", "").replace("\r\n", "")
    signed = re.search(r"h=([^;]+)", signature).group(1).lower().split(":")
    for header in ("from", "to", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post",
                   "mime-version", "content-type"):
        assert header in signed
    tampered = message.data.replace(b"Subject: Winter sale for Ann", b"Subject: Winter sale for Bob")
    assert not dkim.verify(tampered, dnsfunc=dns)
