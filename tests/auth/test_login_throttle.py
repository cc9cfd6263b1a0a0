"""The login throttle, by account and by client address, behind a proxy; timing that names no account."""
import pytest

import config
from tests.clients import MailroomClient
from tests.factories import PASSWORD, a_user
from webapp import create_app
from webapp.auth import service

LIMIT = config.TestConfig.LOGIN_ATTEMPTS_PER_WINDOW


def attempt(client, email, password, client_ip=None):
    client.get("/login")
    headers = {"X-Forwarded-For": client_ip} if client_ip else {}
    return client.post("/login", data={"email": email, "password": password}, headers=headers).status_code


@pytest.fixture
def behind_a_proxy():
    """The app as Heroku runs it: one router in front (TRUSTED_PROXIES=1)."""
    class BehindAProxy(config.TestConfig):
        TRUSTED_PROXIES = 1

    app = create_app(BehindAProxy)
    app.test_client_class = MailroomClient
    return app


def test_behind_a_proxy_one_clients_failures_do_not_lock_out_the_others(behind_a_proxy):
    with behind_a_proxy.app_context():
        a_user("marketer", "ann@example.com")
        a_user("marketer", "bob@example.com")
    attacker, bob = behind_a_proxy.test_client(), behind_a_proxy.test_client()

    for n in range(LIMIT * 4 + 2):
        attempt(attacker, f"guess{n}@example.com", "wrong", client_ip="198.51.100.66")

    assert attempt(attacker, "x@example.com", "wrong", client_ip="198.51.100.66") == 429
    assert attempt(bob, "bob@example.com", PASSWORD, client_ip="203.0.113.10") == 302


def test_a_correct_password_passes_an_address_throttle_that_other_accounts_tripped(client):
    a_user("marketer", "ann@example.com")
    for n in range(LIMIT * 4):
        attempt(client, f"guess{n}@example.com", "wrong")  # all from the test client's one address

    assert attempt(client, "someone@example.com", "wrong") == 429
    assert attempt(client, "ann@example.com", PASSWORD) == 302


def test_an_account_guessed_at_from_this_address_is_refused_even_with_the_right_password(client):
    a_user("marketer", "ann@example.com")
    for _ in range(LIMIT):
        attempt(client, "ann@example.com", "wrong")

    assert attempt(client, "ann@example.com", PASSWORD) == 429


def test_an_account_guessed_at_from_many_addresses_is_refused(behind_a_proxy):
    with behind_a_proxy.app_context():
        a_user("marketer", "ann@example.com")
    client = behind_a_proxy.test_client()
    for n in range(LIMIT * 3):
        attempt(client, "ann@example.com", "wrong", client_ip=f"198.51.100.{n + 1}")

    assert attempt(client, "ann@example.com", PASSWORD, client_ip="203.0.113.10") == 429


def test_an_unknown_address_costs_a_password_hash_check_like_a_known_one(ctx, monkeypatch):
    a_user("marketer", "ann@example.com")
    checked = []
    real = service.check_password_hash
    monkeypatch.setattr(service, "check_password_hash", lambda stored, given: checked.append(given) or real(stored, given))

    assert service.authenticate("nobody@example.com", "guess") is None

    assert checked == ["guess"]
