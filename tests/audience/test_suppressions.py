"""Suppressions: everyone reads and adds them, admins remove and import them; sending reuses the SQL clause."""
import io

import pytest
from sqlalchemy import select

from tests.factories import some_contacts
from webapp.audience.models import Contact, Suppression
from webapp.audience.suppressions import add_suppression, is_suppressed, suppressed_clause
from webapp.extensions import db


def suppressions(app):
    with app.app_context():
        return {(s.email or "@" + s.domain): s.reason for s in db.session.scalars(select(Suppression))}


def suppress(app, kind, value, reason="manual"):
    with app.app_context():
        return add_suppression(kind, value, reason)[0].id


def test_suppressions_page_and_fragment(marketer_client, app):
    suppress(app, "email", "jane@example.com", "complaint")
    page = marketer_client.get("/suppressions")
    assert page.status_code == 200 and b"<html" in page.data and b"jane@example.com" in page.data
    fragment = marketer_client.get("/suppressions?reason=complaint", htmx=True)
    assert b"<html" not in fragment.data and b"jane@example.com" in fragment.data
    assert b"jane@example.com" not in marketer_client.get("/suppressions?reason=manual", htmx=True).data


def test_search_and_counts_per_reason(admin_client, app):
    suppress(app, "email", "jane@example.com", "complaint")
    suppress(app, "email", "joe@example.com", "hard_bounce")
    suppress(app, "domain", "spam.test", "manual")
    text = admin_client.get("/suppressions?q=@spam", htmx=True).get_data(as_text=True)
    assert "@spam.test" in text and "jane@example.com" not in text
    with app.app_context():
        from webapp.audience.suppressions import counts_by_reason

        assert counts_by_reason() == {"hard_bounce": 1, "complaint": 1, "unsubscribe": 0, "manual": 1, "invalid": 0,
                                      "soft_bounces": 0}


def test_marketer_sees_suppressions_and_may_add_but_not_remove(marketer_client, app):
    suppress(app, "email", "jane@example.com")
    text = marketer_client.get("/suppressions").get_data(as_text=True)
    assert "jane@example.com" in text and "Suppress an address" in text and "hx-delete" not in text
    assert "Only admins can remove or import suppressions." in text


def test_a_marketer_adds_a_manual_suppression_but_cannot_remove_or_import(marketer_client, app):
    suppression_id = suppress(app, "email", "jane@example.com")
    assert marketer_client.post("/suppressions", data={"entry": "x@example.com", "reason": "manual"}).status_code == 303
    assert marketer_client.delete(f"/suppressions/{suppression_id}", htmx=True).status_code == 403
    upload = {"file": (io.BytesIO(b"y@example.com\n"), "s.csv"), "reason": "manual"}
    assert marketer_client.post("/suppressions/import", data=upload, content_type="multipart/form-data").status_code == 403
    assert suppressions(app) == {"jane@example.com": "manual", "x@example.com": "manual"}


@pytest.mark.parametrize("typed, stored", [
    ("  Jane.Doe@Example.COM ", "jane.doe@example.com"),
    ("@Example.com", "@example.com"),
    ("example.com", "@example.com"),
])
def test_admin_suppresses_an_email_or_a_domain(admin_client, app, typed, stored):
    response = admin_client.post("/suppressions", data={"entry": typed, "reason": "manual", "source": "asked by phone"})
    assert response.status_code == 303
    assert suppressions(app) == {stored: "manual"}
    assert "is suppressed" in admin_client.get(response.location).get_data(as_text=True)


def test_suppressing_twice_says_already_suppressed(admin_client, app):
    suppress(app, "email", "jane@example.com", "complaint")
    response = admin_client.post("/suppressions", data={"entry": "JANE@example.com", "reason": "manual"})
    assert "jane@example.com is already suppressed (spam complaint" in admin_client.get(response.location).get_data(as_text=True)
    assert suppressions(app) == {"jane@example.com": "complaint"}


def test_invalid_entry_is_refused(admin_client, app):
    response = admin_client.post("/suppressions", data={"entry": "not an address@", "reason": "manual"})
    assert response.status_code == 422 and b"<html" in response.data and b"invalid characters" in response.data
    assert admin_client.post("/suppressions", data={"entry": "shop", "reason": "manual"}).status_code == 422
    assert suppressions(app) == {}


def test_admin_removes_a_suppression(admin_client, app):
    suppression_id = suppress(app, "email", "jane@example.com")
    response = admin_client.delete(f"/suppressions/{suppression_id}", htmx=True)
    assert response.status_code == 303 and "/suppressions" in response.location
    assert suppressions(app) == {}


def test_import_suppressions_reports_bad_lines_and_skips_existing(admin_client, app):
    suppress(app, "email", "old@example.com", "complaint")
    csv_text = "email,reason\nnew@example.com\nOLD@example.com,manual\n@bad domain\nnew@example.com\ncompetitor.com,manual\nx@y.com,because\n\n"
    upload = {"file": (io.BytesIO(csv_text.encode()), "suppressions.csv"), "reason": "unsubscribe", "source": "old ESP"}
    response = admin_client.post("/suppressions/import", data=upload, content_type="multipart/form-data")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Suppressed 2 new; 1 was already suppressed; 2 lines could not be used." in text
    assert '<td class="num">4</td>' in text and '<td class="num">7</td>' in text and "Unknown reason “because”" in text
    assert suppressions(app) == {"old@example.com": "complaint", "new@example.com": "unsubscribe", "@competitor.com": "manual"}


def test_import_without_a_file_is_refused(admin_client):
    response = admin_client.post("/suppressions/import", data={"reason": "manual"}, content_type="multipart/form-data")
    assert response.status_code == 422 and b"Choose a CSV file" in response.data


def test_suppressed_clause_matches_addresses_and_whole_domains(ctx):
    some_contacts(dict(email="jane@example.com"), dict(email="joe@blocked-corp.com"), dict(email="ok@example.com"))
    add_suppression("email", "jane@example.com", "hard_bounce")
    add_suppression("domain", "blocked-corp.com", "manual")
    sendable = db.session.scalars(select(Contact.email).where(~suppressed_clause())).all()
    assert sendable == ["ok@example.com"]
    assert is_suppressed("JANE@example.com") and is_suppressed("anyone@blocked-corp.com") and not is_suppressed("ok@example.com")
