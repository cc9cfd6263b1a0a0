"""Fixtures of the sending tests (the app, users, clients and workers come from tests/conftest.py)."""
import pytest

from tests.smtp_servers import ScriptedSmtpServer
from webapp.extensions import db
from webapp.settings.service import get_settings


@pytest.fixture
def server():
    """A real SMTP server on loopback that answers as the test scripts it (see tests/smtp_servers.py)."""
    with ScriptedSmtpServer() as smtp:
        yield smtp


@pytest.fixture
def settings(ctx):
    """The app's settings with the rules that drop recipients by age or by the per-send cap off, for resolution tests."""
    settings = get_settings()
    settings.inactivity_days = None
    settings.max_recipients_per_send = None
    db.session.commit()
    return settings
