"""The final message bytes for one recipient: the hot path of sending.

Everything that is the same for every recipient of a send (compiled template, From and
List-Id headers, MIME part headers, the boundary, keys) is prepared once in MessageBuilder;
build() renders the recipient's parts and joins bytes by hand. email.message.EmailMessage
would do the same job at a few hundred messages per second.

Body encoding (RFC 2045), chosen per part by encode_body(): 7bit when the part is ASCII with
lines within 998 octets, which compile_template arranges for the HTML (links.shorten_lines),
so it costs nothing; quoted-printable for other small parts; base64 for other large ones
(binascii's quoted-printable costs ~16 ns a byte, more than the whole render of a 30 KB part).
The boundary contains "=_", which neither quoted-printable nor base64 output can contain, and a
7bit body would need the literal random boundary, so no body can end a part early.
"""
import binascii
import os
import time
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate
from urllib.parse import urlsplit

from webapp.compose.tokens import TokenSigner, TrackingUrls
from webapp.compose.verp import Verp
from webapp.common.emails import ascii_domain
from webapp.mail.addresses import needs_smtputf8
from webapp.mail.dkim import DkimSigner

CRLF = "\r\n"
MAX_PLAIN_SUBJECT = 900  # under the 998-octet line limit with room for "Subject: "
MAX_LINE = 998  # RFC 5322 line limit, without the CRLF
MAX_QUOTED_PRINTABLE = 8 * 1024


@dataclass(frozen=True)
class BuildSettings:
    """What the builder needs, captured once per send: it never queries the database."""

    site_url: str  # settings.site_url, normalised
    secret_key: str  # the app's SECRET_KEY: tracking tokens and VERP are signed with it
    from_email: str
    from_name: str = ""
    reply_to: str = ""
    list_id: str = ""  # e.g. "newsletter.mail.example.com"; defaults to mailroom.<site host>
    list_name: str = ""
    unsubscribe_mailto: str = ""  # mailbox for mailto: unsubscribes; none means https only
    bounce_address: str = ""  # envelope sender; with verp=True it carries the recipient id
    verp: bool = False
    dkim: DkimSigner | None = None
    recipient_header: bool = True  # X-Mailroom-Recipient: lets a forwarded complaint be traced
    # Functions recipient_id -> [header lines] (service.MESSAGE_HEADERS); recipient messages only, like the header above.
    extra_headers: tuple = ()


@dataclass(frozen=True)
class BuiltMessage:
    message_id: str  # "<...>", to be stored on the recipient row BEFORE the SMTP DATA
    envelope_from: str  # MAIL FROM (VERP when on); the receiving MTA turns it into Return-Path
    to: str
    data: bytes  # CRLF line endings, ready for SMTP


def _single_line(value):
    """Header values come from settings and contact data: a CR or LF would inject headers."""
    return " ".join(str(value).split())


def encode_subject(subject):
    if subject.isascii() and len(subject) <= MAX_PLAIN_SUBJECT:
        return f"Subject: {subject}"
    return "Subject: " + Header(subject, "utf-8", header_name="Subject").encode(linesep=CRLF)


def encode_body(text):
    """(Content-Transfer-Encoding, body bytes) for a part rendered by CompiledTemplate, whose
    line ends are all CRLF already (rendering.py guarantees it; no pass here re-checks)."""
    # Splitting on LF (every LF ends a CRLF) is twice as fast as on CRLF; lines then keep their CR.
    if text.isascii() and (len(text) <= MAX_LINE or max(map(len, text.split("\n"))) <= MAX_LINE + 1):
        return "7bit", text.encode("ascii")
    data = text.encode("utf-8")
    if len(data) <= MAX_QUOTED_PRINTABLE:
        # b2a_qp writes soft breaks as LF unless the first line ends in CRLF; CR and LF appear
        # in its output only as line breaks, so making them all CRLF is safe.
        encoded = binascii.b2a_qp(data, istext=True)
        return "quoted-printable", encoded.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    encoded = binascii.b2a_base64(data, newline=False)
    return "base64", b"\r\n".join(encoded[start:start + 76] for start in range(0, len(encoded), 76))


class _Clock:
    """The Date header, formatted once per second rather than once per message."""

    second, value = None, None

    def date(self):
        now = int(time.time())
        if now != self.second:
            self.second, self.value = now, formatdate(now, usegmt=True)
        return self.value


class MessageBuilder:
    """Builds every recipient's message of one send from one CompiledTemplate."""

    def __init__(self, compiled, settings):
        self.compiled = compiled
        self.settings = settings
        self.urls = TrackingUrls(TokenSigner(settings.secret_key), settings.site_url)
        self.verp = Verp(settings.secret_key, settings.bounce_address) if settings.verp and settings.bounce_address else None
        self.host = urlsplit(settings.site_url).hostname or "localhost"
        self.clock = _Clock()

        boundary = f"=_mailroom_{os.urandom(12).hex()}"
        list_id = _single_line(settings.list_id or f"mailroom.{self.host}")
        list_name = _single_line(settings.list_name)
        static = [
            "From: " + formataddr((_single_line(settings.from_name), _single_line(settings.from_email)), charset="utf-8"),
        ]
        if settings.reply_to:
            static.append(f"Reply-To: {_single_line(settings.reply_to)}")
        static += [
            "List-Id: " + (formataddr((list_name, list_id), charset="utf-8") if list_name else f"<{list_id}>"),
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
            "MIME-Version: 1.0",
            f'Content-Type: multipart/alternative; boundary="{boundary}"',
        ]
        self._static_headers = (CRLF.join(static) + CRLF).encode("utf-8")
        part = CRLF + f"--{boundary}" + CRLF + "Content-Type: text/{}; charset=utf-8" + CRLF + "Content-Transfer-Encoding: "
        self._text_head = part.format("plain").encode()
        self._html_head = part.format("html").encode()
        self._end = (CRLF + f"--{boundary}--" + CRLF).encode()
        self._mailto = _single_line(settings.unsubscribe_mailto)

    def envelope_from(self, recipient_id):
        if self.verp:
            return self.verp.envelope_sender(recipient_id)
        return self.settings.bounce_address or self.settings.from_email

    def build(self, recipient_id, to, contact):
        """The message for one recipient; `contact` is rendering.contact_context(...)."""
        subject, html, text = self.compiled.render(recipient_id, contact, self.urls)
        to = _single_line(to)
        message_id = f"<{os.urandom(16).hex()}@{self.host}>"
        unsubscribe_url = self.urls.unsubscribe_url(recipient_id)
        if self._mailto:
            token = unsubscribe_url.rsplit("/", 1)[1]
            list_unsubscribe = f"<mailto:{self._mailto}?subject=unsubscribe%20{token}>,{CRLF} <{unsubscribe_url}>"
        else:
            list_unsubscribe = f"<{unsubscribe_url}>"
        headers = [
            f"Date: {self.clock.date()}",
            f"Message-ID: {message_id}",
            f"To: {to if needs_smtputf8(to) else ascii_domain(to)}",  # RFC 6532 UTF-8 only where SMTPUTF8 carries it
            encode_subject(subject),
            f"List-Unsubscribe: {list_unsubscribe}",
        ]
        if self.settings.recipient_header:
            headers.append(f"X-Mailroom-Recipient: {recipient_id}")
            for more in self.settings.extra_headers:
                headers += more(recipient_id)
        text_encoding, text_body = encode_body(text)
        html_encoding, html_body = encode_body(html)
        data = b"".join((
            (CRLF.join(headers) + CRLF).encode("utf-8"),
            self._static_headers,
            b"\r\nThis is a multi-part message in MIME format.",
            self._text_head, text_encoding.encode(), b"\r\n\r\n", text_body,
            self._html_head, html_encoding.encode(), b"\r\n\r\n", html_body,
            self._end,
        ))
        if self.settings.dkim:
            data = self.settings.dkim.sign(data) + data
        return BuiltMessage(message_id, self.envelope_from(recipient_id), to, data)
