"""A recipient's opens and clicks, judged and summed from its stored events.

Engagement is always recomputed from all of a recipient's open and click events, never
patched by the one that just came in: so duplicates, events arriving out of order, a click
that turns an earlier one into a "simultaneous" burst, and a change of the bot rules all end
in the same numbers.
"""
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update

from webapp.common.sql import in_ids
from webapp.events import bots
from webapp.events.models import Event
from webapp.extensions import db

CHUNK = 1000


@dataclass(frozen=True)
class Engagement:
    first_opened_at: object = None
    first_clicked_at: object = None
    human_at: object = None  # the first human open or click
    last_human_at: object = None
    open_count: int = 0
    click_count: int = 0


_events = Event.__table__
_SET_VERDICT = (
    update(_events).where(_events.c.id == bindparam("b_id")).values(verdict=bindparam("b_verdict"), verdict_rule=bindparam("b_rule"))
)


def _engagement_events(recipient_ids):
    rows = []
    ids = sorted(recipient_ids)
    for start in range(0, len(ids), CHUNK):
        rows += db.session.execute(
            select(Event.id, Event.recipient_id, Event.kind, Event.occurred_at, Event.user_agent, Event.link_index,
                   Event.detail, Event.verdict, Event.verdict_rule)
            .where(in_ids(Event.recipient_id, ids[start:start + CHUNK]), Event.kind.in_(("open", "click")))
        ).all()
    return rows


def judge_and_sum(received_at, rules):
    """{recipient id: Engagement} for the recipients in `received_at` ({id: delivered or sent time}),
    after storing any verdict the rules now give differently."""
    by_recipient = {rid: [] for rid in received_at}
    for row in _engagement_events(received_at):
        by_recipient[row.recipient_id].append(row)
    changed, result = [], {}
    for rid, events in by_recipient.items():
        clicks = [e for e in events if e.kind == "click"]
        verdicts = dict(zip((c.id for c in clicks), bots.judge_clicks(clicks, rules)))
        for event in events:
            if event.kind == "open":
                verdicts[event.id] = bots.judge_open(event, received_at[rid], rules)
            judged = verdicts[event.id]
            if (judged.verdict, judged.rule) != (event.verdict, event.verdict_rule):
                changed.append({"b_id": event.id, "b_verdict": judged.verdict, "b_rule": judged.rule})
        opens = [e.occurred_at for e in events if e.kind == "open"]
        human = [e.occurred_at for e in events if verdicts[e.id].verdict == "human"]
        result[rid] = Engagement(min(opens, default=None), min((c.occurred_at for c in clicks), default=None),
                                 min(human, default=None), max(human, default=None), len(opens), len(clicks))
    if changed:
        db.session.execute(_SET_VERDICT, changed)
    return result
