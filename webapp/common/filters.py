"""Jinja filters and globals: how every page writes numbers, dates, plurals, rates and states.

    {{ m.sent_count|number }}                      12,345  (None: –)
    {{ m.created_at|datetime }}                    2026-12-05 14:03  (UTC, as stored)
    {{ m.created_at|date }}                        2026-12-05
    {{ n|plural("recipient") }}                    1 recipient / 12,345 recipients
    {{ opens|rate(sent) }}                         41.7%  (nothing sent: –)
    {{ m.state|label("mass_email_state") }}        sending
    {{ term("mass_email_state", m.state).badge }}  badge-running
"""
from webapp.common.vocabulary import term

DASH = "–"


def number(value):
    return DASH if value is None else f"{value:,}"


def datetime_(value, seconds=False):
    if value is None:
        return DASH
    return value.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def date(value):
    return DASH if value is None else value.strftime("%Y-%m-%d")


def plural(amount, singular, plural_form=None):
    """The amount with its noun: "1 recipient", "2 recipients" (plural("match", "matches") for others)."""
    noun = singular if amount == 1 else (plural_form or singular + "s")
    return f"{number(amount)} {noun}"


def rate(part, whole, digits=1):
    """part/whole as a percentage; a dash when there is nothing to divide by."""
    if not whole or part is None:
        return DASH
    return f"{100 * part / whole:.{digits}f}%"


def label(key, vocabulary):
    return term(vocabulary, key).label


def init_app(app):
    app.jinja_env.filters.update(number=number, datetime=datetime_, date=date, plural=plural, rate=rate, label=label)
    app.jinja_env.globals.update(term=term)
