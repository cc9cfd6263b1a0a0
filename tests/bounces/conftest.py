"""Fixtures of the bounce tests: a real IMAP server (pymap, in-memory, a subprocess on loopback)."""
import socket
import subprocess
import sys

import pytest
from imapclient import IMAPClient

from tests.machine import free_port
from tests.smtp_servers import ScriptedSmtpServer
from tests.waiting import wait_for

IMAP_USER, IMAP_PASSWORD = "bounces", "imap-secret"
FOLDERS = ("INBOX", "Processed", "Not bounces")


def _listening(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def imap_server():
    """pymap's dict backend with one user; yields its port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pymap.main import main; sys.exit(main())",
         "--host", "127.0.0.1", "--port", str(port), "--no-tls",
         "dict", "--demo-data", "--demo-user", IMAP_USER, "--demo-password", IMAP_PASSWORD],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: _listening(port), seconds=30)
        yield port
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def imap(imap_server):
    """A logged-in client of the test mailbox, every folder of ours empty."""
    client = IMAPClient("127.0.0.1", port=imap_server, ssl=False)
    client.login(IMAP_USER, IMAP_PASSWORD)
    for folder in FOLDERS:
        if not client.folder_exists(folder):
            client.create_folder(folder)
        client.select_folder(folder)
        messages = client.search("ALL")
        if messages:
            client.delete_messages(messages)
            client.expunge()
    client.port = imap_server
    yield client
    client.logout()


@pytest.fixture
def server():
    """A real SMTP server on loopback that offers DSN and answers as the test scripts it (tests/smtp_servers.py)."""
    with ScriptedSmtpServer(dsn=True) as smtp:
        yield smtp
