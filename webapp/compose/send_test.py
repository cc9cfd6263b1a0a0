"""Send test: the real message, built as a send builds it, to a few addresses, marked as a test.

The marketer sees what recipients will get (tracking links, pixel, footer, headers), so the
builder is the real MessageBuilder; only the subject prefix and the X-Mailroom-Test header
differ, so nobody mistakes a test for the campaign and reports can ignore it.
"""
import dataclasses
import re
from dataclasses import dataclass

from webapp.common.emails import InvalidEmail, normalize_email
from webapp.compose.mime import MessageBuilder
from webapp.compose.rendering import compile_template
from webapp.mail.addresses import NeedsSmtpUtf8
from webapp.mail.delivery import ConnectionLost, SmtpDelivery
from webapp.mail.replies import SENT
from webapp.mail.smtp import SmtpFailure

MAX_TEST_ADDRESSES = 10
SUBJECT_PREFIX = "[Test] "
TEST_HEADER = b"X-Mailroom-Test: 1\r\n"
# Test messages have no recipient row: id 0 never matches one, so their clicks count nowhere.
TEST_RECIPIENT_ID = 0
_SEPARATORS = re.compile(r"[,;\s]+")


@dataclass(frozen=True)
class TestResult:
    address: str
    accepted: bool
    message: str


def parse_addresses(raw):
    """(normalised addresses, errors): each error names the address and says what is wrong."""
    addresses, errors = [], []
    for candidate in filter(None, _SEPARATORS.split(raw or "")):
        try:
            address = normalize_email(candidate)
        except InvalidEmail as error:
            errors.append(f"{candidate}: {error}")
            continue
        if address not in addresses:
            addresses.append(address)
    if not addresses and not errors:
        errors.append("Enter at least one address.")
    if len(addresses) > MAX_TEST_ADDRESSES:
        errors.append(f"At most {MAX_TEST_ADDRESSES} addresses per test.")
    return addresses, errors


def build_test_messages(values, contact, addresses, build_settings, app_settings, tracking_urls):
    """The test messages, built by the real builder; raises TemplateProblems or RenderError."""
    compiled = compile_template(
        SUBJECT_PREFIX + values["subject"], values["html"], values["text"], tracking_urls,
        click_tracking=app_settings.click_tracking, open_tracking=app_settings.open_tracking,
        optout_footer=app_settings.optout_link_mandatory, postal_address=app_settings.postal_address,
    )
    builder = MessageBuilder(compiled, dataclasses.replace(build_settings, recipient_header=False))
    built = [builder.build(TEST_RECIPIENT_ID, address, contact) for address in addresses]
    return [dataclasses.replace(message, data=TEST_HEADER + message.data) for message in built]


def send_messages(messages, smtp):
    """Send over ONE connection, as a send does (mail/delivery.py); a TestResult per message.
    Never raises for SMTP trouble: each address says what happened to it."""
    results = []
    try:
        with SmtpDelivery(smtp) as delivery:
            for message in messages:
                try:
                    recipient = delivery.recipient(message.to)
                except NeedsSmtpUtf8 as error:
                    results.append(TestResult(message.to, False, str(error)))
                    continue
                outcome = delivery.send(message.envelope_from, recipient, message.data)
                accepted = outcome.kind == SENT
                results.append(TestResult(message.to, accepted, f"Accepted by {smtp.address}" if accepted
                                          else f"{smtp.address} refused it: {outcome.code} {outcome.text}"))
    except (ConnectionLost, SmtpFailure) as error:
        # Connecting failed or the connection broke: every message not yet answered failed with it.
        answered = {result.address for result in results}
        results += [TestResult(message.to, False, str(error)) for message in messages if message.to not in answered]
    return results


def send_test(values, contact, addresses, build_settings, app_settings, tracking_urls, smtp):
    """Build and send; returns TestResults. Raises TemplateProblems or RenderError (the editor shows them)."""
    messages = build_test_messages(values, contact, addresses, build_settings, app_settings, tracking_urls)
    return send_messages(messages, smtp)
