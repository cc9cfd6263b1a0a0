"""Real SMTP servers on loopback (aiosmtpd) that answer as a test scripts them.

    with ScriptedSmtpServer(dsn=True) as server:
        server.script("gone@example.com", rcpt="550 5.1.1 User unknown")
        server.script("flaky@example.com", data=DROP)   # hang up after the message, before replying
        server.script("cut@example.com", rcpt=DROP)     # hang up at RCPT, before any message data
        server.script("bounces@mailroom.test", mail="553 5.7.1 Sender not allowed")
        ... connect to server.smtp_config() ...
        server.deliveries, server.connections, server.mail_commands, server.rcpt_commands

Any reply starting with 421 is followed by closing the connection, as real servers do.
With dsn=True the server advertises DSN (RFC 3461) and accepts its parameters; without
it, like aiosmtpd itself, it refuses unknown MAIL/RCPT parameters with 555. With smtputf8=True
it offers SMTPUTF8 (RFC 6531) and takes UTF-8 addresses. With
password="..." it offers AUTH (without TLS) and accepts only that password. It offers
PIPELINING, as most relays do, unless pipelining=False.
"""
import asyncio
from dataclasses import dataclass

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

from tests.machine import free_port
from webapp.mail.smtp import SmtpConfig

DROP = "drop"  # a scripted data reply: close the connection instead of answering
HANG = "hang"  # a scripted data reply: never answer (the client's timeout ends it)
_DSN_PARAMETERS = ("ENVID=", "RET=", "NOTIFY=", "ORCPT=")


@dataclass
class Delivery:
    mail_from: str
    rcpt_tos: list
    data: bytes  # as received, after the server undid dot-stuffing


class _ScriptedHandler:
    def __init__(self, owner):
        self.owner = owner

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.owner.dsn:
            responses.insert(-1, "250-DSN")
        if self.owner.pipelining:
            responses.insert(-1, "250-PIPELINING")  # aiosmtpd reads a command at a time from its buffer anyway
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        reply = self.owner.mail_replies.get(address)
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.owner.rcpt_replies.get(address)
        if reply == DROP:
            server.transport.close()  # before DATA: the message cannot have arrived
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.owner.deliveries.append(Delivery(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        replies = self.owner.data_replies
        reply = next((replies[to] for to in envelope.rcpt_tos if to in replies), None)
        if reply == DROP:
            # The message arrived in full; the client never learns whether it was accepted.
            server.transport.close()
        elif reply == HANG:
            await asyncio.Event().wait()  # until the client gives up or the server stops
        return reply or "250 2.0.0 Ok: queued"


class _ScriptedSMTP(SMTP):
    def __init__(self, owner, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner

    def connection_made(self, transport):
        self.owner.connections += 1
        super().connection_made(transport)

    async def push(self, status):
        await super().push(status)
        if str(status).startswith("421"):
            self.transport.close()

    async def smtp_MAIL(self, arg):
        self.owner.mail_commands.append(arg)
        await super().smtp_MAIL(self._without_dsn(arg))

    async def smtp_RCPT(self, arg):
        self.owner.rcpt_commands.append(arg)
        await super().smtp_RCPT(self._without_dsn(arg))

    def _without_dsn(self, arg):
        """aiosmtpd knows no DSN parameters; a DSN server accepts them (the test reads them from *_commands)."""
        if not self.owner.dsn or not arg:
            return arg
        return " ".join(word for word in arg.split(" ") if not word.upper().startswith(_DSN_PARAMETERS))


class _Controller(Controller):
    def __init__(self, owner, port):
        auth = {"authenticator": owner.authenticate, "auth_require_tls": False} if owner.password else {}
        super().__init__(_ScriptedHandler(owner), hostname="127.0.0.1", port=port, enable_SMTPUTF8=owner.smtputf8, **auth)
        self.owner = owner

    def factory(self):
        return _ScriptedSMTP(self.owner, self.handler, **self.SMTP_kwargs)


class ScriptedSmtpServer:
    def __init__(self, dsn=False, password=None, pipelining=True, smtputf8=False):
        self.dsn = dsn
        self.smtputf8 = smtputf8
        self.pipelining = pipelining
        self.password = password
        self.mail_replies = {}  # envelope sender -> reply to its MAIL FROM
        self.rcpt_replies = {}  # address -> reply to its RCPT TO
        self.data_replies = {}  # address -> reply to the end of its DATA, or DROP
        self.deliveries = []
        self.connections = 0
        self.mail_commands = []  # the raw argument of every MAIL command, e.g. "FROM:<a@b> RET=HDRS"
        self.rcpt_commands = []
        self.port = free_port()
        self.controller = _Controller(self, self.port)

    def __enter__(self):
        self.controller.start()
        self.connections = 0  # start() made one to check the server answers
        return self

    def __exit__(self, *exc_info):
        self.controller.stop()

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        # handled=False: aiosmtpd then answers itself (235, or 535 for a wrong password).
        return AuthResult(success=auth_data.password.decode() == self.password, handled=False)

    def script(self, address, mail=None, rcpt=None, data=None):
        """How to answer: MAIL FROM `address`, RCPT TO `address` (or DROP), or the end of DATA for `address` (or DROP, HANG)."""
        if mail:
            self.mail_replies[address] = mail
        if rcpt:
            self.rcpt_replies[address] = rcpt
        if data:
            self.data_replies[address] = data

    def smtp_config(self, timeout=2):
        """Mailroom's SMTP settings pointing at this server."""
        return SmtpConfig(
            host="127.0.0.1", port=self.port, username="", password="", security="none",
            sender="Mailroom <news@mailroom.test>", from_app_config=False, password_from_env=False,
            timeout=timeout,
        )
