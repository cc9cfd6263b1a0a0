"""The detail view of a mass email: stat cards from its stored counters, and the contact table a card selects.

Cards count nothing live: their numbers are the counters the event ingestion keeps on the mass
email (sending/models.py). A card's table lists the recipients whose row flags say they belong
to it, so the table and the card agree by construction.
"""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from webapp.audience.export import safe_cell_sql, seconds_sql
from webapp.audience.models import Contact, TargetList
from webapp.events.models import Event
from webapp.common.vocabulary import RECIPIENT_STATUSES
from webapp.extensions import db
from webapp.reports import keyset
from webapp.reports.keyset import BadParameter, encode_cursor  # noqa: F401  (the detail routes and bench use them here)
from webapp.sending.models import MassEmailList, Recipient

PAGE_SIZE = 50


@dataclass(frozen=True)
class Card:
    key: str
    label: str
    where: object  # which recipients the card's table lists
    counter: str  # the MassEmail counter shown
    of: str  # the card whose count the rate is a share of


_SENT = Recipient.sent_at.is_not(None)
CARDS = {card.key: card for card in (
    Card("emailing", "Emailing", Recipient.status != "dropped", "list_size_emailing", "all"),
    Card("sent", "Sent", _SENT, "sent_count", "emailing"),
    Card("delivered", "Delivered", Recipient.status == "delivered", "delivered_count", "sent"),
    Card("opens", "Unique Opens", Recipient.first_opened_at.is_not(None), "unique_open_count", "delivered"),
    Card("clicks", "Unique Clicks", Recipient.first_clicked_at.is_not(None), "unique_click_count", "delivered"),
    Card("all_clicks", "Clicks", Recipient.click_count > 0, "click_count", "opens"),
    Card("bounced", "Bounced", Recipient.status == "bounced", "bounced_count", "sent"),
    Card("dropped", "Dropped", Recipient.status == "dropped", "dropped_count", "all"),
    Card("deferred", "Deferred", Recipient.deferred_at.is_not(None), "deferred_count", "sent"),
    Card("spam", "Spam", Recipient.complained_at.is_not(None), "complaint_count", "delivered"),
    Card("unsubscribed", "Unsubscribed", Recipient.unsubscribed_at.is_not(None), "unsubscribe_count", "delivered"),
)}
DEFAULT_CARD = "emailing"

# Sub-cards of Unique Opens / Unique Clicks: Likely Human has an event judged human (human_at), an open or
# a click: a person who clicked read the message, even when only a proxy or a blocked pixel saw the open.
SUB_CARDS = ("all", "human", "bot", "none")
_ENGAGED = {"opens": (Recipient.first_opened_at, "unique_open_count", "human_open_count", "Did Not Open"),
            "clicks": (Recipient.first_clicked_at, "unique_click_count", "human_click_count", "Did Not Click")}

_NAME = func.lower(func.coalesce(Contact.first_name, "") + " " + func.coalesce(Contact.last_name, ""))
# Sort key -> (expression, nullable, cursor value type). Each but name has a (mass_email_id, key, id)
# index (migration c2...), so a page reads its rows in order; name lives on contacts and is sorted.
SORTS = {
    "date": (Recipient.status_changed_at, True, datetime),
    "email": (Recipient.email, False, str),
    "status": (Recipient.status, False, str),
    "name": (_NAME, False, str),
}
DEFAULT_SORT, DEFAULT_DIRECTION = "date", "desc"


def _order(sort):
    key, nullable, value_type = SORTS[sort]
    return keyset.Order(key, Recipient.id, nullable, value_type)


@dataclass(frozen=True)
class Selection:
    """What the table shows: a card, a sub-card, a search, a status filter, an order. Parsed from query args."""

    card: str = DEFAULT_CARD
    sub: str = "all"
    q: str = ""
    status: str = ""
    sort: str = DEFAULT_SORT
    dir: str = DEFAULT_DIRECTION

    @classmethod
    def parse(cls, args):
        selection = cls(card=args.get("card") or DEFAULT_CARD, sub=args.get("sub") or "all",
                        q=(args.get("q") or "").strip()[:320], status=args.get("status") or "",
                        sort=args.get("sort") or DEFAULT_SORT, dir=args.get("dir") or DEFAULT_DIRECTION)
        if (selection.card not in CARDS or selection.sub not in SUB_CARDS or selection.sort not in SORTS
                or selection.dir not in ("asc", "desc") or (selection.status and selection.status not in RECIPIENT_STATUSES)):
            raise BadParameter("unknown card, sub-card, sort or status")
        if selection.sub != "all" and selection.card not in _ENGAGED:
            raise BadParameter("sub-cards belong to Unique Opens and Unique Clicks")
        return selection

    def args(self, **changes):
        """The query args of this selection (defaults left out), with changes."""
        values = {"card": self.card, "sub": self.sub, "q": self.q, "status": self.status, "sort": self.sort, "dir": self.dir}
        values.update(changes)
        defaults = Selection()
        return {key: value for key, value in values.items() if value and value != getattr(defaults, key, None)}


@dataclass
class Stat:
    key: str
    label: str
    count: int
    rate_of: int
    selected: bool
    reasons: list = field(default_factory=list)


def _count(mass_email, key):
    if key == "all":
        return mass_email.list_size_all or 0
    return getattr(mass_email, CARDS[key].counter) or 0


def stat_cards(mass_email, selection):
    """Every card with its count, the count it is a rate of, and whether it is selected."""
    return [Stat(card.key, card.label, _count(mass_email, card.key), _count(mass_email, card.of), card.key == selection.card)
            for card in CARDS.values()]


def sub_cards(mass_email, selection):
    """The All / Likely Human / Likely Bot / Did Not ... row, for Unique Opens and Unique Clicks only."""
    if selection.card not in _ENGAGED:
        return []
    _column, unique, human, none_label = _ENGAGED[selection.card]
    unique, human = getattr(mass_email, unique), getattr(mass_email, human)
    counts = {"all": unique, "human": human, "bot": unique - human, "none": max(mass_email.sent_count - unique, 0)}
    labels = {"all": "All", "human": "Likely Human", "bot": "Likely Bot", "none": none_label}
    return [Stat(key, labels[key], counts[key], mass_email.sent_count, key == selection.sub) for key in SUB_CARDS]


def drop_reasons(mass_email_id):
    """[(reason, count)] of the dropped recipients, most first (a few hundred rows at most per send)."""
    return db.session.execute(
        select(Recipient.drop_reason, func.count()).where(Recipient.mass_email_id == mass_email_id, Recipient.status == "dropped")
        .group_by(Recipient.drop_reason).order_by(func.count().desc())
    ).all()


def inactive_count(mass_email_id):
    """How many the send left out as inactive (the 2-year rule, audience/activity.py)."""
    return db.session.scalar(select(func.count()).where(
        Recipient.mass_email_id == mass_email_id, Recipient.status == "dropped", Recipient.drop_reason == "inactive"))


def target_lists(mass_email_id):
    """(sent-to list names, excluded list names)."""
    rows = db.session.execute(select(TargetList.name, MassEmailList.excluding).join(MassEmailList, MassEmailList.list_id == TargetList.id)
                              .where(MassEmailList.mass_email_id == mass_email_id).order_by(TargetList.name)).all()
    return [name for name, excluding in rows if not excluding], [name for name, excluding in rows if excluding]


def first_sent_recipient_id(mass_email_id):
    """A recipient that was sent the message, for the header's link to it; None before any was."""
    return db.session.scalar(select(Recipient.id).where(Recipient.mass_email_id == mass_email_id, _SENT)
                             .order_by(Recipient.id).limit(1))


def _where(mass_email_id, selection):
    clauses = [Recipient.mass_email_id == mass_email_id, CARDS[selection.card].where]
    if selection.card in _ENGAGED and selection.sub != "all":
        column = _ENGAGED[selection.card][0]
        clauses = [Recipient.mass_email_id == mass_email_id] + {
            "human": [column.is_not(None), Recipient.human_at.is_not(None)],
            "bot": [column.is_not(None), Recipient.human_at.is_(None)],
            "none": [_SENT, column.is_(None)],
        }[selection.sub]
    if selection.status:
        clauses.append(Recipient.status == selection.status)
    if selection.q:
        pattern = "%" + selection.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append(or_(Recipient.email.like(pattern, escape="\\"), _NAME.like(pattern, escape="\\")))
    return and_(*clauses)


def _columns():
    return (Recipient.id, Recipient.email, Recipient.status, Recipient.status_changed_at, Recipient.open_count,
            Recipient.click_count, Recipient.drop_reason, Recipient.bounce_kind, Recipient.smtp_reply, Recipient.sent_at,
            Contact.first_name, Contact.last_name)


def _statement(mass_email_id, selection):
    return select(*_columns()).outerjoin(Contact, Contact.id == Recipient.contact_id).where(_where(mass_email_id, selection))


def contact_page(mass_email_id, selection, after=None, before=None, size=PAGE_SIZE):
    """One keyset page of the card's contacts; `after`/`before` are cursors from a page's links."""
    return keyset.page(_statement(mass_email_id, selection), _order(selection.sort), selection.dir == "desc",
                       after=after, before=before, size=size)


def export_statement(mass_email_id, selection):
    """Every row of the table a selection shows, in its order: what the CSV export streams (export.COLUMNS)."""
    # Cells come out of the database as the CSV writes them (formulas neutralised, times in seconds), so the
    # export's Python only hands rows to the C csv writer.
    statement = select(safe_cell_sql(Recipient.email), safe_cell_sql(Contact.first_name), safe_cell_sql(Contact.last_name),
                       Recipient.status, seconds_sql(Recipient.status_changed_at), Recipient.open_count,
                       Recipient.click_count, Recipient.drop_reason, Recipient.bounce_kind,
                       safe_cell_sql(Recipient.smtp_reply)).outerjoin(Contact, Contact.id == Recipient.contact_id)
    return keyset.ordered(statement.where(_where(mass_email_id, selection)), _order(selection.sort), selection.dir == "desc")


# A recipient in one of these has nothing more coming that changes its status: the side panel stops polling.
FINAL_STATUSES = ("bounced", "dropped", "failed")


def recipient_history(mass_email_id, recipient_id):
    """(recipient, its events oldest first) or None if the recipient is not on this mass email."""
    recipient = db.session.get(Recipient, recipient_id, populate_existing=True)
    if recipient is None or recipient.mass_email_id != mass_email_id:
        return None
    events = db.session.scalars(select(Event).where(Event.recipient_id == recipient_id)
                                .order_by(Event.occurred_at, Event.id)).all()
    return recipient, events
