"""One SMTP connection that a batch sends its messages through, one recipient at a time.

Each message goes out as MAIL, RCPT, DATA by hand rather than with sendmail(), so when
the connection breaks we know which phase it broke in, and that decides what the
caller may do with the message:

- broken before the message body was sent: the server cannot have it; the recipient
  goes back to the queue and the batch retries it on a new connection;
- broken after the body was sent and before its final reply was read
  (`ConnectionLost.data_started`): the server may have queued it, and resending could
  deliver it twice. The caller marks that one recipient `unconfirmed` and never resends
  it on its own: only a person may choose to. At most one message per connection is in
  this state, the one in flight.

Refusals of one message (4xx, 5xx to MAIL, RCPT or DATA) come back as an Outcome
(see replies.classify) and the session is reset, so the connection stays usable.

When the server offers PIPELINING (RFC 2920; Postfix, the big relays) MAIL, RCPT and DATA
go out in one write and their replies are read together: two round trips per message
instead of four. The message body still waits for DATA's 354, so the phases above hold.
"""
import smtplib
import ssl

from webapp.mail.addresses import needs_smtputf8, wire_address
from webapp.mail.replies import CONNECTION, classify
from webapp.mail.hosts import BlockedHost
from webapp.mail.smtp import SmtpFailure, connect, describe_smtp_error

# RFC 3461: ask for a DSN on success, failure and delay (a success report is the only proof of
# delivery a relay that is not the last hop can give; the bounce mailbox poller files them), with
# the headers only (the body would return a whole newsletter).
DSN_MAIL_OPTIONS = ("RET=HDRS",)
DSN_NOTIFY = "NOTIFY=SUCCESS,FAILURE,DELAY"
# The replies to MAIL, RCPT and DATA that let the message go on.
_ACCEPTED = ((250,), (250, 251), (354,))


class ConnectionLost(Exception):
    """The SMTP session ended under us; the batch has to reconnect.

    `data_started` is True when the message in flight was sent in full (or partly) and its
    final reply never came: it may or may not have been delivered ("unconfirmed"). The
    caller must record it as such and must not resend it automatically.
    `reply` is the Outcome of the reply that ended the session (a 421), when there was one.
    """

    def __init__(self, reason, data_started=False, reply=None):
        super().__init__(reason)
        self.reason = reason
        self.data_started = data_started
        self.reply = reply


def xtext(value):
    """RFC 3461 xtext: "+", "=" and characters outside printable ASCII as +HH."""
    return "".join(f"+{ord(char):02X}" if char in "+=" or not 33 <= ord(char) <= 126 else char for char in value)


class SmtpDelivery:
    """`with SmtpDelivery(smtp_config) as delivery: outcome = delivery.send(...)`.

    Opening raises ConnectionLost when the server cannot be reached or is busy (try the
    batch later) and SmtpFailure when it refuses us for a reason a person must fix
    (credentials, TLS): retrying would not help.
    """

    def __init__(self, config):
        self.config = config
        self.smtp = None
        self.dsn = False
        self.pipelining = False
        self.smtputf8 = False

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc_info):
        self.close()

    def open(self):
        try:
            # settings.smtp's connection brings the timeout, TLS with certificate checks and login.
            self.smtp = connect(self.config).configure_host()
            self.smtp.ehlo_or_helo_if_needed()
        except OSError as error:  # smtplib's SMTPException is an OSError
            self.close()
            raise self._open_error(error) from error
        self.dsn = self.smtp.has_extn("dsn")
        self.pipelining = self.smtp.has_extn("pipelining")
        self.smtputf8 = self.smtp.has_extn("smtputf8")

    def recipient(self, address):
        """The address as this server may be given it (addresses.wire_address), or NeedsSmtpUtf8:
        ask before the message is handed over, so such a recipient fails alone and never in flight."""
        return wire_address(address, self.smtputf8)

    def _open_error(self, error):
        reason = describe_smtp_error(error, self.config)
        if isinstance(error, smtplib.SMTPServerDisconnected):
            return ConnectionLost(reason)
        if isinstance(error, smtplib.SMTPResponseException):  # e.g. 421 busy at the greeting, 454 auth unavailable
            return ConnectionLost(reason) if 400 <= error.smtp_code < 500 else SmtpFailure(reason)
        # SMTPException is an OSError too: what is left of it (AUTH or STARTTLS not offered) is a setting,
        # and so is a host that resolves to an address Mailroom may not use.
        if isinstance(error, (smtplib.SMTPException, ssl.SSLCertVerificationError, BlockedHost)):
            return SmtpFailure(reason)
        return ConnectionLost(reason)  # refused, timed out, reset: the network, try later

    def close(self):
        """QUIT politely; a connection that already died is just closed."""
        if self.smtp is None:
            return
        try:
            self.smtp.quit()
        except OSError:  # SMTPServerDisconnected included
            self.smtp.close()
        self.smtp = None

    def send(self, envelope_from, recipient, message_bytes, envid=None):
        """Send one message to one recipient; an Outcome, or ConnectionLost (see the module docstring).

        `recipient` is the address as recipient() gave it. `envid` (e.g. the recipient row's id) comes back in the server's DSNs when it
        supports them, so a bounce can be matched to its recipient.
        """
        if self.smtp is None:
            raise ConnectionLost(f"Not connected to {self.config.address}.")
        data_started = False
        try:
            code, text = self._open_transaction(envelope_from, recipient, envid)
            if code == 354:
                data_started = True
                self.smtp.send(_dot_stuffed(message_bytes))
                code, text = self.smtp.getreply()
        except OSError as error:
            # smtplib reports timeouts and resets as SMTPServerDisconnected (an OSError) and has closed the socket.
            self.close()
            raise ConnectionLost(describe_smtp_error(error, self.config), data_started) from error
        outcome = classify(code, text)
        if outcome.kind == CONNECTION:
            # A reply came, so even after DATA the message was refused, not lost: not unconfirmed.
            self.close()
            raise ConnectionLost(f"{self.config.address} closed the session: {code} {outcome.text}", reply=outcome)
        if not data_started:
            self._reset()
        return outcome

    def _open_transaction(self, envelope_from, recipient, envid):
        """MAIL, RCPT, DATA: DATA's 354 reply, or the first reply that refused the message.

        The commands are written by hand: smtplib's mail() and rcpt() parse each address as a
        header would, a tenth of a millisecond per call, for addresses that are plain already.
        """
        utf8 = needs_smtputf8(recipient) or needs_smtputf8(envelope_from)
        sender = wire_address(envelope_from, self.smtputf8)
        commands = tuple(command.encode("utf-8") for command in (
            f"MAIL FROM:<{sender}>{' SMTPUTF8' if utf8 else ''}{self._mail_options(envid)}\r\n",
            f"RCPT TO:<{recipient}>{self._rcpt_options(recipient)}\r\n", "DATA\r\n"))
        if not self.pipelining:
            for command, accepted in zip(commands, _ACCEPTED):
                self.smtp.send(command)
                code, text = self.smtp.getreply()
                if code not in accepted:
                    return code, text
            return code, text
        self.smtp.send(b"".join(commands))
        replies = []
        for _ in commands:  # every command in the group gets its reply, unless the server hangs up
            replies.append(self.smtp.getreply())
            if replies[-1][0] == 421:
                return replies[-1]
        refusal = next(((code, text) for (code, text), accepted in zip(replies, _ACCEPTED) if code not in accepted), None)
        if refusal and replies[-1][0] == 354:
            # DATA went ahead without a valid sender or recipient (a lax server): end it empty.
            self.smtp.send(b".\r\n")
            self.smtp.getreply()
        return refusal or replies[-1]

    def _mail_options(self, envid):
        if not self.dsn:
            return ""
        options = (f"ENVID={xtext(str(envid))}", *DSN_MAIL_OPTIONS) if envid is not None else DSN_MAIL_OPTIONS
        return " " + " ".join(options)

    def _rcpt_options(self, recipient):
        # ORCPT names the address as we sent it, so the DSN says which recipient failed even after forwarding.
        if not self.dsn:
            return ""
        # rfc822 ORCPT is ASCII only; a UTF-8 address would need RFC 6533's utf-8 type: it goes without.
        return f" {DSN_NOTIFY} ORCPT=rfc822;{xtext(recipient)}" if recipient.isascii() else f" {DSN_NOTIFY}"

    def _reset(self):
        """End a refused transaction so the next message can start one."""
        try:
            self.smtp.rset()
        except OSError:  # SMTPServerDisconnected included
            # This message's outcome is known; the next send() reports the dead connection.
            self.close()


def _dot_stuffed(message_bytes):
    """The DATA payload: leading dots doubled (RFC 5321 §4.5.2), then the end-of-data line."""
    # bytes.replace is ~7x faster than the multi-line regex smtplib uses, on a 30 KB message.
    data = message_bytes.replace(b"\n.", b"\n..")
    if data.startswith(b"."):
        data = b"." + data
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"
