"""List-building filters: each operator on each kind of field, on SQLite and PostgreSQL alike."""
from datetime import datetime

import pytest
from sqlalchemy import select

from tests.factories import a_list, some_contacts
from webapp.audience.filters import FilterError, filter_clause, preview, problems
from webapp.audience.models import Contact
from webapp.extensions import db

NOW = datetime(2025, 6, 30, 12, 0)


@pytest.fixture
def people(ctx):
    return some_contacts(
        dict(email="ada@acme.com", first_name="Ada", last_name="Lovelace", company="Acme Corp",
             custom_fields={"plan": "Gold", "seats": 12}, created_at=datetime(2024, 1, 10), last_activity_at=datetime(2025, 6, 25)),
        dict(email="bob@competitor.com", first_name="Bob", last_name="Stone", company="Competitor Ltd",
             custom_fields={"plan": "silver"}, created_at=datetime(2025, 3, 1), status="unsubscribed"),
        dict(email="cy@example.org", first_name="Cy", company="", custom_fields={},
             created_at=datetime(2025, 6, 1), last_activity_at=datetime(2024, 12, 31)),
    )


def matching(*conditions):
    return sorted(db.session.scalars(select(Contact.email).where(filter_clause(list(conditions), now=NOW))))


def cond(field, op, value="", key=""):
    return dict(field=field, op=op, value=value, key=key)


@pytest.mark.parametrize("condition, expected", [
    (cond("email", "equals", "ADA@acme.com"), ["ada@acme.com"]),
    (cond("email", "not_equals", "ada@acme.com"), ["bob@competitor.com", "cy@example.org"]),
    (cond("email", "contains", "@comp"), ["bob@competitor.com"]),
    (cond("email", "starts_with", "c"), ["cy@example.org"]),
    (cond("email_domain", "equals", "competitor.com"), ["bob@competitor.com"]),
    (cond("email_domain", "not_equals", "competitor.com"), ["ada@acme.com", "cy@example.org"]),
    (cond("first_name", "starts_with", "a"), ["ada@acme.com"]),
    (cond("last_name", "is_empty"), ["cy@example.org"]),
    (cond("last_name", "is_not_empty"), ["ada@acme.com", "bob@competitor.com"]),
    (cond("company", "contains", "corp"), ["ada@acme.com"]),
    (cond("company", "contains", "%"), []),  # LIKE wildcards are literal
    (cond("status", "equals", "unsubscribed"), ["bob@competitor.com"]),
    (cond("status", "not_equals", "active"), ["bob@competitor.com"]),
])
def test_text_and_status_operators(people, condition, expected):
    assert matching(condition) == expected


@pytest.mark.parametrize("condition, expected", [
    (cond("created_at", "before", "2025-03-01"), ["ada@acme.com"]),
    (cond("created_at", "after", "2025-03-01"), ["cy@example.org"]),
    (cond("created_at", "in_last_days", "30"), ["cy@example.org"]),
    (cond("last_activity_at", "in_last_days", "7"), ["ada@acme.com"]),
    (cond("last_activity_at", "before", "2025-01-01"), ["cy@example.org"]),
    (cond("last_activity_at", "is_empty"), ["bob@competitor.com"]),
    (cond("last_activity_at", "is_not_empty"), ["ada@acme.com", "cy@example.org"]),
])
def test_date_operators(people, condition, expected):
    assert matching(condition) == expected


@pytest.mark.parametrize("condition, expected", [
    (cond("custom", "equals", "gold", key="plan"), ["ada@acme.com"]),
    (cond("custom", "not_equals", "gold", key="plan"), ["bob@competitor.com", "cy@example.org"]),
    (cond("custom", "contains", "ILV", key="plan"), ["bob@competitor.com"]),
    (cond("custom", "starts_with", "g", key="plan"), ["ada@acme.com"]),
    (cond("custom", "is_empty", key="plan"), ["cy@example.org"]),
    (cond("custom", "is_not_empty", key="plan"), ["ada@acme.com", "bob@competitor.com"]),
    (cond("custom", "equals", "12", key="seats"), ["ada@acme.com"]),  # numbers compare as their text
    (cond("custom", "equals", "GOLD", key="Plan"), ["ada@acme.com"]),  # keys match whatever their case
    (cond("custom", "is_not_empty", key=" PLAN "), ["ada@acme.com", "bob@competitor.com"]),
])
def test_custom_field_operators(people, condition, expected):
    assert matching(condition) == expected


def test_member_of_and_not_member_of_a_list(people):
    customers = a_list("Customers", contacts=[people["ada@acme.com"], people["cy@example.org"]]).id
    assert matching(cond("list", "member_of", str(customers))) == ["ada@acme.com", "cy@example.org"]
    assert matching(cond("list", "not_member_of", str(customers))) == ["bob@competitor.com"]


def test_conditions_combine_with_and(people):
    assert matching(cond("status", "equals", "active"), cond("company", "is_not_empty")) == ["ada@acme.com"]


def test_no_conditions_match_everyone(people):
    assert len(matching()) == 3


def test_preview_counts_and_samples(people):
    count, sample = preview([cond("status", "equals", "active")])
    assert count == 2
    assert [c.email for c in sample] == ["ada@acme.com", "cy@example.org"]


@pytest.mark.parametrize("condition, message", [
    (cond("created_at", "before", "31/03/2025"), "is not a date; use YYYY-MM-DD"),
    (cond("created_at", "contains", "2025"), "does not apply to created at"),
    (cond("status", "starts_with", "act"), "does not apply to status"),
    (cond("status", "equals", "asleep"), "Status must be one of"),
    (cond("last_activity_at", "in_last_days", "soon"), "whole number of days"),
    (cond("email", "equals", ""), "Enter a value"),
    (cond("custom", "equals", "x", key=""), "custom field's name"),
    (cond("custom", "equals", "x", key='pl"an'), "custom field's name"),
    (cond("list", "member_of", "999"), "existing target list"),
    (cond("shoe_size", "equals", "9"), "Choose a field"),
])
def test_unusable_conditions_are_explained(ctx, condition, message):
    found = problems([cond("email", "is_not_empty"), condition])
    assert list(found) == [1]
    assert message in found[1]
    with pytest.raises(FilterError):
        filter_clause([condition])
