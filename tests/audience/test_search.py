"""The contact search finds any part of a name, address or company, several words in any order."""
from sqlalchemy import select

from tests.factories import a_contact
from webapp.audience.models import Contact
from webapp.audience.search import contact_search_clause
from webapp.extensions import db


def found(query, status=None):
    return sorted(db.session.scalars(select(Contact.email).where(contact_search_clause(query, status))))


def people():
    a_contact("sven.weber@example.com", "Sven", "Weber", company="Globex")
    a_contact("anna.mueller@firma.de", "Anna", "Müller", company="Initech")
    a_contact("weber.b@example.org", "Bea", "Webster", company="Acme Weberei")
    a_contact("jo@smith.io", "Jo", "Smith", company="Initech")


def test_words_match_anywhere_in_any_order_and_case(app, ctx):
    people()
    assert found("sven weber") == ["sven.weber@example.com"]
    assert found("WEBER sven") == ["sven.weber@example.com"]
    assert found("Mueller") == ["anna.mueller@firma.de"]
    assert found("nitec") == ["anna.mueller@firma.de", "jo@smith.io"]
    assert found("weber") == ["sven.weber@example.com", "weber.b@example.org"]
    assert found("initech jo") == ["jo@smith.io"]  # a short word matches the start of a field
    assert found("nobody here") == []


def test_search_follows_edits_and_deletes_and_treats_like_characters_literally(app, ctx):
    people()
    contact = db.session.scalar(select(Contact).where(Contact.email == "jo@smith.io"))
    contact.company = "Umbrella"
    db.session.commit()
    assert found("initech") == ["anna.mueller@firma.de"] and found("umbrel") == ["jo@smith.io"]
    db.session.delete(contact)
    db.session.commit()
    assert found("umbrel") == []
    a_contact("percent@example.com", "100%", "Off")
    assert found("100%") == ["percent@example.com"] and found("%%%") == [] and found('"quo"') == []


def test_a_domain_search_and_the_status_filter_still_work(app, ctx):
    people()
    assert found("@example") == ["sven.weber@example.com", "weber.b@example.org"]
    assert found("weber", status="unsubscribed") == []


def test_the_contact_page_finds_a_substring_of_an_address(marketer_client, ctx):
    people()
    page = marketer_client.get("/contacts?q=mueller").get_data(as_text=True)
    assert "anna.mueller@firma.de" in page and "sven.weber@example.com" not in page
