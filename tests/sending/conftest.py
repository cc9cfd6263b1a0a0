"""Fixtures of the sending tests (the app, users, clients and workers come from tests/conftest.py)."""
import pytest

from tests.smtp_servers import ScriptedSmtpServer


@pytest.fixture
def server():
    """A real SMTP server on loopback that answers as the test scripts it (see tests/smtp_servers.py)."""
    with ScriptedSmtpServer() as smtp:
        yield smtp
