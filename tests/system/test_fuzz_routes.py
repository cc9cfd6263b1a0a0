"""Every route in app.url_map, with a fixed table of bad ids, parameters and form values, as anonymous,
marketer and admin: never a 5xx."""
import re

import pytest

from tests.factories import a_contact, a_list, a_mass_email, a_template, a_user

BAD_IDS = ["0", "9223372036854775807", "9223372036854775808", "99999999999999999999999", "٣", "-1", "1.5", "%00", "1e3"]
BAD_STRINGS = ["x", "\x00", "a\x00b", "٣", "9" * 5000, "9999-99-99", "<script>alert(1)</script>", "{{ 7*7 }}", "%", ""]
BAD_ARGS = {
    "page": "99999999999999999999", "sort": "\x00", "dir": "sideways", "q": "a\x00b", "status": "٣",
    "after": "not-a-cursor", "before": "%%%", "reason": "9" * 5000, "contact": "99999999999999999999", "owner": "٣",
    "view": "x" * 300, "draft": "1", "list": "٣", "find": "\x00", "find_status": "x", "state": "٣",
}
BAD_FORM = {
    "name": "a\x00b", "email": "٣@\x00", "password": "x", "confirm": "y", "subject": "\x00", "html": "{{", "text": None,
    "list_ids": ["٣", "99999999999999999999"], "excluding_list_ids": "٣", "template_id": "99999999999999999999",
    "contact_ids": ["٣", "99999999999999999999", "-3"], "field": "custom:\x00", "op": "in_last_days",
    "value": "9" * 5000, "remove": "٣", "scheduled_at": "9999-12-31T23:59", "when": "later", "kind": "drip",
    "interval": "9" * 40, "interval_unit": "aeons", "days": "٣", "start_hour": "99", "end_hour": "-1",
    "timezone": "Mars/Olympus", "role": "god", "active": "maybe", "batch_size": "9" * 40, "max_per_hour": "٣",
    "smtp_port": "99999999999999", "inactivity_days": "9" * 5000, "site_url": "javascript:alert(1)",
    "addresses": "a\x00@b", "url": "\x00", "confirmed": "y", "columns": "٣", "dkim_key": "\x00", "reason_": "x",
    "list": ["٣"], "action": "resubscribe", "List-Unsubscribe": "One-Click", "bot_open_seconds": "9" * 40,
    "auto_pause_percent": "٣", "auto_pause_window": "9" * 40, "postal_address": "\x00",
}


def _urls(app, rule, values):
    """The rule's URL with every converter given `values` (one URL per bad value)."""
    if not rule.arguments:
        return [rule.rule]
    urls = []
    for value in values:
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: value, rule.rule)
        urls.append(path)
    return urls


def _form():
    return {name: value for name, value in BAD_FORM.items() if value is not None}


@pytest.fixture
def data(app):
    """Something to find for the ids 1 and 2, so routes reach their handlers' deeper paths too."""
    a_user("marketer", "other@example.com")
    target = a_list("Newsletter", ["ann@example.com"])
    a_contact("bob@example.com")
    template = a_template()
    a_mass_email(template=template, lists=[target], recipients=2)
    return target


@pytest.mark.parametrize("who", ["anonymous", "marketer", "admin"])
def test_no_route_answers_5xx_to_garbage(app, data, who, marketer, admin):
    client = app.test_client()
    if who != "anonymous":
        client.log_in(marketer if who == "marketer" else admin)
    failures = []
    for rule in app.url_map.iter_rules():
        # /healthz answers 503 by design (no worker runs here); logging out would end the session under test.
        if rule.endpoint in ("static", "system.healthz", "auth.logout", "auth.logout_everywhere"):
            continue
        for url in _urls(app, rule, BAD_IDS + ["1", "2"] if rule.arguments else []):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                # A GET with bad parameters; anything else with bad fields, and with no fields at all.
                for kwargs in ([{"query_string": BAD_ARGS}] if method == "GET" else [{"data": _form()}, {"data": {}}]):
                    response = client.open(url, method=method, **kwargs)
                    if response.status_code >= 500:
                        failures.append(f"{method} {url} {sorted(kwargs.get('data', {}))[:1]} -> {response.status_code}")
    assert not failures, "\n".join(failures)
