"""Security headers on every answer; no inline script anywhere, so the policy can forbid it."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import log_in
from tests.factories import a_template

TEMPLATES = Path(__file__).resolve().parents[2] / "webapp" / "templates"


def test_pages_carry_the_policy_and_the_other_headers(admin_client):
    response = admin_client.get("/")

    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-eval'" not in csp and "frame-ancestors 'self'" in csp
    assert "object-src 'none'" in csp and "base-uri 'self'" in csp
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # not outside production


def test_pages_with_marketer_written_html_get_a_sandbox(admin_client, ctx):
    template = a_template()

    preview = admin_client.get(f"/templates/{template.id}/preview")

    csp = preview.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "script-src" not in csp


def test_production_asks_browsers_to_keep_to_https():
    import config
    from webapp import create_app

    class Production(config.TestConfig):  # the test database and Redis, production's headers
        ENV_NAME = "prod"
        SECRET_KEY = "a production secret of more than thirty-two characters"

    response = create_app(Production).test_client().get("/healthz", base_url="https://mail.example.com")

    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_template_has_inline_script_or_event_handlers():
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=", re.I)
    offenders = [f"{path.relative_to(TEMPLATES)}: {match.group()}" for path in TEMPLATES.rglob("*.html")
                 for match in inline.finditer(path.read_text())]
    assert offenders == []


@pytest.mark.browser
def test_the_main_pages_raise_no_policy_violation(page, admin):
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    log_in(page, "admin@example.com")
    for path in ("/", "/contacts", "/lists", "/imports", "/mass-emails", "/mass-emails/new", "/templates", "/settings/",
                 "/users", "/account", "/outbox/"):
        page.goto(path)
        expect(page.locator("main")).to_be_visible()
    assert violations == []
