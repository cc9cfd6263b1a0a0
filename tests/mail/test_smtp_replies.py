"""What an SMTP reply means for a recipient, and when a deferred one is tried again."""
from datetime import datetime, timedelta, timezone

import pytest

from webapp.mail.replies import classify, parse_retry_after
from webapp.sending.retries import DEFAULT_SCHEDULE, next_retry_delay, retry_window_exhausted


@pytest.mark.parametrize("code, text, kind, bounce_kind", [
    (250, "2.0.0 Ok: queued as 4F2A", "sent", None),
    (251, "User not local; will forward", "sent", None),
    (450, "4.2.1 Mailbox busy", "deferred", None),
    (451, "4.7.1 Greylisted, try again in 90 seconds", "deferred", None),
    (452, "4.3.1 Insufficient system storage", "deferred", None),
    (421, "4.7.0 Too many connections, closing", "connection", None),
    # The address is wrong: suppress it.
    (550, "5.1.1 <gone@example.com>: Recipient address rejected: User unknown", "bounced", "hard"),
    (550, "5.1.2 Host unknown", "bounced", "hard"),
    (553, "5.1.3 Bad destination mailbox address syntax", "bounced", "hard"),
    (551, "5.1.6 Mailbox has moved", "bounced", "hard"),
    (550, "5.1.10 Recipient address rejected: null MX", "bounced", "hard"),
    (550, "5.2.1 The email account that you tried to reach is disabled", "bounced", "hard"),
    # Not the address's fault: keep it.
    (552, "5.2.2 The email account that you tried to reach is over quota", "bounced", "soft"),
    (550, "5.7.26 Unauthenticated email from example.org is not accepted due to DMARC policy", "bounced", "soft"),
    (550, "5.7.25 The IP address sending this message does not have a PTR record", "bounced", "soft"),
    (550, "5.7.27 Sender address has null MX", "bounced", "soft"),
    (550, "5.7.1 Message rejected as spam by policy", "bounced", "soft"),
    (554, "5.4.4 Unable to route: no MX for example.invalid", "bounced", "soft"),
    (554, "5.3.4 Message too big for system", "bounced", "soft"),
    # 5.7.1 is also how some servers say "no such user": the text decides.
    (550, "5.7.1 Recipient rejected: user unknown in virtual mailbox table", "bounced", "hard"),
    (550, "5.7.1 recipient rejected: mailbox does not exist", "bounced", "hard"),
    # No enhanced code: only the text can tell.
    (550, "No such user here", "bounced", "hard"),
    (550, "Requested action not taken: mailbox unavailable", "bounced", "hard"),
    (550, "Message refused by local policy", "bounced", "soft"),
    (554, "Transaction failed", "bounced", "soft"),
    # A full mailbox whose text mentions "unavailable" is still full.
    (552, "5.2.2 Mailbox unavailable: quota exceeded", "bounced", "soft"),
])
def test_reply_table(code, text, kind, bounce_kind):
    outcome = classify(code, text)
    assert (outcome.kind, outcome.bounce_kind) == (kind, bounce_kind)


def test_outcome_keeps_the_enhanced_status_code_and_the_text():
    outcome = classify(550, b"5.1.1 <gone@example.com>: User unknown")
    assert outcome.status == "5.1.1"
    assert outcome.code == 550
    assert outcome.text == "5.1.1 <gone@example.com>: User unknown"


def test_enhanced_status_code_on_a_later_line_of_a_multiline_reply_is_found():
    assert classify(550, "Sorry.\n5.1.1 The mailbox does not exist").status == "5.1.1"


def test_ip_addresses_in_the_text_are_not_mistaken_for_a_status_code():
    outcome = classify(554, "Your IP 10.2.0.1 is on a blocklist")
    assert outcome.status is None
    assert outcome.bounce_kind == "soft"


@pytest.mark.parametrize("text, seconds", [
    ("4.7.1 Greylisted, try again in 120 seconds", 120),
    ("4.7.0 retry in 5 minutes", 300),
    ("4.3.0 please try later (30s)", 30),
    ("Too many messages, try again in 1 hour", 3600),
    ("4.2.0 Try again later", None),
    ("4.4.1 Connection timed out after 30 seconds", None),
])
def test_retry_after_is_read_from_the_text(text, seconds):
    assert parse_retry_after(text) == seconds


def test_a_deferral_carries_the_servers_retry_after():
    assert classify(451, "4.7.1 try again in 90 seconds").retry_after == 90


def test_backoff_doubles_from_five_minutes_and_each_step_is_capped():
    delays = [next_retry_delay(attempt) for attempt in range(1, 10)]
    assert delays[:5] == [300, 600, 1200, 2400, 4800]
    assert max(delays) == delays[-1] == DEFAULT_SCHEDULE[-1] == 4 * 3600


def test_backoff_honours_a_longer_wait_asked_by_the_server_but_not_a_shorter_one():
    assert next_retry_delay(1, retry_after=900) == 900
    assert next_retry_delay(3, retry_after=60) == 1200


def test_backoff_takes_a_custom_schedule():
    assert [next_retry_delay(n, schedule=(10, 20)) for n in (1, 2, 3)] == [10, 20, 20]


def test_retry_window_is_72_hours_by_default():
    first = datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc)
    assert not retry_window_exhausted(first, first + timedelta(hours=71, minutes=59))
    assert retry_window_exhausted(first, first + timedelta(hours=72))
    assert retry_window_exhausted(first, first + timedelta(hours=2), window=timedelta(hours=1))
