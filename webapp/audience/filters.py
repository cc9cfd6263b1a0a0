"""List-building filters: rows of conditions (plain dicts) turned into one SQL WHERE clause over contacts.

A condition is `{"field": ..., "op": ..., "value": ..., "key": ...}` ("key" names the
custom field when field is "custom"). Conditions combine with AND; no condition
means every contact. The clause is used in INSERT .. SELECT, so a filter that
matches a million contacts never brings one of them into Python.

The contact table's search box and status are conditions too ("search" goes through
search.contact_search_clause), so a ContactFilter is the one filter the contact table, the
list builder and a segment (a list that stores its filter, audience/segments.py) all share.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select

from webapp.audience.custom_fields import spellings
from webapp.audience.models import CONTACT_STATUSES, Contact, ListMembership, TargetList
from webapp.audience.search import contact_search_clause
from webapp.common.clock import utcnow
from webapp.common.params import database_id
from webapp.extensions import db


@dataclass(frozen=True)
class Field:
    label: str
    kind: str  # "text", "status", "date" or "list": decides the operators and the value input


FIELDS = {
    "search": Field("Search words", "search"),
    "email": Field("Email", "text"),
    "email_domain": Field("Email domain", "text"),
    "first_name": Field("First name", "text"),
    "last_name": Field("Last name", "text"),
    "company": Field("Company", "text"),
    "status": Field("Status", "status"),
    "created_at": Field("Created at", "date"),
    "last_activity_at": Field("Last activity at", "date"),
    "custom": Field("Custom field…", "text"),
    "list": Field("Target list", "list"),
}

OPERATORS = {
    "equals": "equals",
    "not_equals": "does not equal",
    "contains": "contains",
    "starts_with": "starts with",
    "is_empty": "is empty",
    "is_not_empty": "is not empty",
    "before": "is before",
    "after": "is after",
    "in_last_days": "is in the last N days",
    "member_of": "is a member of",
    "not_member_of": "is not a member of",
    "matches": "match",
}

OPERATORS_BY_KIND = {
    "text": ("equals", "not_equals", "contains", "starts_with", "is_empty", "is_not_empty"),
    "status": ("equals", "not_equals"),
    # last_activity_at is empty for contacts who never opened or clicked.
    "date": ("before", "after", "in_last_days", "is_empty", "is_not_empty"),
    "list": ("member_of", "not_member_of"),
    # The contact table's search box: every word in the email, name or company (search.py).
    "search": ("matches",),
}

VALUELESS = {"is_empty", "is_not_empty"}
# Custom field keys end up in a JSON path; a conservative alphabet keeps the path literal on every database.
CUSTOM_KEY = re.compile(r"^[\w][\w .-]{0,63}$")
MAX_DAYS = 36500


class FilterError(ValueError):
    """Some conditions are not usable; `problems` maps row index to a message for people."""

    def __init__(self, problems):
        super().__init__("; ".join(f"condition {i + 1}: {m}" for i, m in sorted(problems.items())))
        self.problems = problems


def blank_condition():
    return {"field": "email_domain", "op": "equals", "value": "", "key": ""}


def operators_for(field):
    return OPERATORS_BY_KIND[FIELDS[field].kind] if field in FIELDS else ()


def _problem(condition):
    """What is wrong with one condition, or None."""
    field, op = condition.get("field"), condition.get("op")
    value = (condition.get("value") or "").strip()
    if field not in FIELDS:
        return "Choose a field."
    if op not in operators_for(field):
        return f"“{OPERATORS.get(op, op)}” does not apply to {FIELDS[field].label.rstrip('…').lower()}; choose another operator."
    if field == "custom" and not CUSTOM_KEY.match((condition.get("key") or "").strip()):
        return "Type the custom field's name (letters, digits, spaces, “_”, “-” or “.”)."
    if op in VALUELESS:
        return None
    if not value:
        return "Enter a value."
    kind = FIELDS[field].kind
    if op in ("before", "after"):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return f"“{value}” is not a date; use YYYY-MM-DD, e.g. 2025-03-31."
        if not 1900 <= day.year <= 2999:  # "after 9999-12-31" would run past the calendar
            return "Enter a date between the years 1900 and 2999."
    elif op == "in_last_days" and not 1 <= (database_id(value) or 0) <= MAX_DAYS:
        return f"Enter a whole number of days between 1 and {MAX_DAYS}."
    elif kind == "status" and value not in CONTACT_STATUSES:
        return f"Status must be one of: {', '.join(CONTACT_STATUSES)}."
    elif kind == "list":
        target_list = db.session.get(TargetList, database_id(value)) if database_id(value) else None
        if target_list is None:
            return "Choose an existing target list (the one chosen may have been deleted)."
        if target_list.kind != "static":
            # A segment has no memberships to look up; nesting filters would also let two segments name each other.
            return f"“{target_list.name}” is a segment; a condition can name a list with members only."
    return None


def with_fitting_operators(conditions):
    """The builder's rows after a field change: an operator that no longer applies becomes the field's first."""
    return [
        dict(c, op=c.get("op") if c.get("op") in operators_for(c.get("field")) else next(iter(operators_for(c.get("field"))), ""))
        for c in conditions
    ]


def problems(conditions):
    """{row index: message} for every unusable condition; empty when all are fine."""
    found = {i: _problem(c) for i, c in enumerate(conditions)}
    return {i: message for i, message in found.items() if message}


def _column(condition):
    field = condition["field"]
    if field == "custom":
        # JSON path access that SQLAlchemy renders for both SQLite (json_extract) and PostgreSQL (->>); keys match
        # whatever their case, as people type them ("Plan" for "plan"), the first spelling a contact has winning.
        values = [Contact.custom_fields[key].as_string() for key in spellings(condition["key"].strip())]
        return values[0] if len(values) == 1 else func.coalesce(*values)
    return getattr(Contact, field)


def _text_clause(column, op, value):
    lowered, needle = func.lower(column), value.lower()
    if op == "equals":
        return lowered == needle
    if op == "not_equals":
        # A missing custom field "does not equal" anything, as people read it.
        return or_(column.is_(None), lowered != needle)
    if op == "contains":
        return lowered.contains(needle, autoescape=True)
    return lowered.startswith(needle, autoescape=True)


def _date_clause(column, op, value, now):
    if op == "in_last_days":
        return column >= now - timedelta(days=database_id(value))
    day = datetime.combine(date.fromisoformat(value), datetime.min.time())
    # Whole days: "before 2025-03-31" excludes that day, "after" starts the day after.
    return column < day if op == "before" else column >= day + timedelta(days=1)


def _condition_clause(condition, now):
    op, value = condition["op"], (condition.get("value") or "").strip()
    if op == "matches":
        return contact_search_clause(value)
    if op in ("member_of", "not_member_of"):
        on_list = exists().where(ListMembership.list_id == database_id(value), ListMembership.contact_id == Contact.id)
        return on_list if op == "member_of" else ~on_list
    column = _column(condition)
    if op in VALUELESS:
        empty = or_(column.is_(None), column == "") if FIELDS[condition["field"]].kind == "text" else column.is_(None)
        return empty if op == "is_empty" else ~empty
    if FIELDS[condition["field"]].kind == "date":
        return _date_clause(column, op, value, now)
    if FIELDS[condition["field"]].kind == "status":
        return column == value if op == "equals" else column != value
    return _text_clause(column, op, value)


def filter_clause(conditions, now=None):
    """One WHERE clause over Contact for all conditions (AND). Raises FilterError if any is unusable."""
    found = problems(conditions)
    if found:
        raise FilterError(found)
    now = now or utcnow()
    return and_(True, *(_condition_clause(c, now) for c in conditions))


def preview(conditions, sample_size=5, now=None):
    """How many contacts match, and the first few of them, for the builder's live preview."""
    clause = filter_clause(conditions, now)
    count = db.session.scalar(select(func.count()).select_from(Contact).where(clause))
    sample = db.session.scalars(select(Contact).where(clause).order_by(Contact.id).limit(sample_size)).all()
    return count, sample


def conditions_from_form(form):
    """Rows from a MultiDict with repeated field/op/value/key inputs, in page order."""
    columns = [form.getlist(name) for name in ("field", "op", "value", "key")]
    width = max(map(len, columns), default=0)
    padded = [column + [""] * (width - len(column)) for column in columns]
    return [dict(field=f, op=o, value=v, key=k) for f, o, v, k in zip(*padded)]


@dataclass(frozen=True)
class ContactFilter:
    """A filter over contacts that can be stored (as_json) and read back (from_json): conditions combined with AND."""

    conditions: tuple = ()

    @classmethod
    def from_json(cls, data):
        """The filter a segment stored; anything that is not a list of conditions reads as no condition."""
        rows = (data or {}).get("conditions") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            return cls()
        keys = ("field", "op", "value", "key")
        return cls(tuple({key: str(row.get(key) or "") for key in keys} for row in rows if isinstance(row, dict)))

    @classmethod
    def from_contact_table(cls, query, status):
        """The contact table's search box and status, as conditions."""
        conditions = []
        if (query or "").strip():
            conditions.append(dict(field="search", op="matches", value=query.strip(), key=""))
        if status:
            conditions.append(dict(field="status", op="equals", value=status, key=""))
        return cls(tuple(conditions))

    @classmethod
    def from_form(cls, form):
        return cls(tuple(conditions_from_form(form)))

    def as_json(self):
        return {"conditions": [dict(c) for c in self.conditions]}

    def problems(self):
        return problems(list(self.conditions))

    def clause(self, now=None):
        """The WHERE clause over Contact; raises FilterError when a condition is unusable."""
        return filter_clause(list(self.conditions), now)

    def describe(self):
        """The filter in words, e.g. “Search words match “acme” and Status equals active”."""
        if not self.conditions:
            return "Every contact"
        words = " and ".join(_describe_condition(c) for c in self.conditions)
        return words[:1].upper() + words[1:]


def _describe_condition(condition):
    field = FIELDS.get(condition.get("field"))
    if field is None:
        return "an unknown condition"
    name = f"custom field “{condition.get('key')}”" if condition["field"] == "custom" else field.label
    words = f"{name} {OPERATORS.get(condition.get('op'), condition.get('op'))}"
    if condition.get("op") in VALUELESS:
        return words
    value = condition.get("value") or ""
    if field.kind == "list":
        target_list = db.session.get(TargetList, database_id(value)) if database_id(value) else None
        return f"{words} {'“' + target_list.name + '”' if target_list else 'a deleted list'}"
    if condition.get("op") == "in_last_days":
        return f"{name} is in the last {value} days"
    return f"{words} “{value}”"
