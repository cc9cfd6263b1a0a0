"""The Mass Emails list: a user's scope (theirs, what they hid, the whole account), sorted by any
column, filtered, in keyset pages; and hiding a mass email from one user's lists.

Like the detail view's cards, every number is a counter the event ingestion keeps on the mass
email (sending/models.py): the list counts nothing live, so it and the detail view agree.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Float, and_, cast, delete, func, select
from sqlalchemy.exc import IntegrityError

from webapp.auth.models import User
from webapp.common.vocabulary import MASS_EMAIL_STATES
from webapp.compose.models import TemplateVersion
from webapp.extensions import db
from webapp.reports import keyset
from webapp.reports.detail import CARDS
from webapp.reports.keyset import BadParameter
from webapp.reports.models import MassEmailHide
from webapp.sending.models import MassEmail
from webapp.sending.ownership import may_change

PAGE_SIZE = 50

SCOPES = {
    "mine": ("My Mass Emails", "The mass emails you created, except those you hid."),
    "hidden": ("My Hidden Mass Emails", "The mass emails you hid, whoever created them. Hiding changes your lists only."),
    "account": ("Account Mass Emails", "Everyone's mass emails, except those you hid. Only its creator or an admin "
                                       "can pause, resume or edit one."),
}
DEFAULT_SCOPE = "mine"

_OWNER = func.lower(func.coalesce(func.nullif(User.name, ""), User.email))
_HIDDEN = MassEmailHide.user_id.is_not(None)
OPEN_RATE = cast(MassEmail.unique_open_count, Float) / func.nullif(MassEmail.delivered_count, 0)

# Sort key -> (expression, nullable, cursor value type). A counter column sorts by the key of the
# detail card it links to; every expression is on the row, so a page is one statement.
SORTS = {
    "name": (func.lower(MassEmail.name), False, str),
    "subject": (func.lower(TemplateVersion.subject), False, str),
    "owner": (_OWNER, True, str),
    "from": (func.lower(MassEmail.from_email), False, str),
    "state": (MassEmail.state, False, str),
    "created": (MassEmail.created_at, False, datetime),
    "started": (MassEmail.started_at, True, datetime),
    "emailing": (MassEmail.list_size_emailing, True, int),
    "open_rate": (OPEN_RATE, True, float),
    **{key: (getattr(MassEmail, card.counter), False, int) for key, card in CARDS.items() if key != "emailing"},
}
DEFAULT_SORT, DEFAULT_DIRECTION = "created", "desc"


def _date(value):
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadParameter("dates are YYYY-MM-DD") from None


@dataclass(frozen=True)
class ListQuery:
    """What the list shows: a scope, filters and an order. Parsed from query args."""

    scope: str = DEFAULT_SCOPE
    state: str = ""
    campaign: str = ""
    created_from: date | None = None
    created_to: date | None = None
    sort: str = DEFAULT_SORT
    dir: str = DEFAULT_DIRECTION

    @classmethod
    def parse(cls, args):
        query = cls(scope=args.get("scope") or DEFAULT_SCOPE, state=args.get("state") or "",
                    campaign=(args.get("campaign") or "").strip(), created_from=_date(args.get("from")),
                    created_to=_date(args.get("to")), sort=args.get("sort") or DEFAULT_SORT,
                    dir=args.get("dir") or DEFAULT_DIRECTION)
        if (query.scope not in SCOPES or query.sort not in SORTS or query.dir not in ("asc", "desc")
                or (query.state and query.state not in MASS_EMAIL_STATES) or len(query.campaign) > 200):
            raise BadParameter("unknown scope, sort, state or campaign")
        return query

    @property
    def filtered(self):
        return bool(self.state or self.campaign or self.created_from or self.created_to)

    def args(self, **changes):
        """The query args of this query (defaults left out), with changes."""
        values = {"scope": self.scope, "state": self.state, "campaign": self.campaign,
                  "from": self.created_from and self.created_from.isoformat(),
                  "to": self.created_to and self.created_to.isoformat(), "sort": self.sort, "dir": self.dir}
        values.update(changes)
        defaults = {"scope": DEFAULT_SCOPE, "sort": DEFAULT_SORT, "dir": DEFAULT_DIRECTION}
        return {key: value for key, value in values.items() if value and value != defaults.get(key)}


@dataclass
class ListRow:
    mass_email: MassEmail
    subject: str
    owner: str | None
    hidden: bool
    may_change: bool

    @property
    def started(self):
        """Resolution has frozen its list sizes: it has a report to link to."""
        return self.mass_email.list_size_all is not None

    @property
    def drip_running(self):
        """A drip between its first and last message: it shows its progress, play/pause and edit."""
        return self.mass_email.kind == "drip" and self.mass_email.state in ("preparing", "sending", "paused")


def _statement(user_id):
    return (select(MassEmail.id, MassEmail, TemplateVersion.subject, User.name.label("owner_name"),
                   User.email.label("owner_email"), _HIDDEN.label("hidden"))
            .join(TemplateVersion, TemplateVersion.id == MassEmail.template_version_id)
            .outerjoin(User, User.id == MassEmail.owner_id)
            .outerjoin(MassEmailHide, and_(MassEmailHide.mass_email_id == MassEmail.id, MassEmailHide.user_id == user_id)))


def _where(user_id, query):
    clauses = {"mine": [MassEmail.owner_id == user_id, ~_HIDDEN], "hidden": [_HIDDEN], "account": [~_HIDDEN]}[query.scope]
    if query.state:
        clauses.append(MassEmail.state == query.state)
    if query.campaign:
        clauses.append(MassEmail.campaign == query.campaign)
    if query.created_from:
        clauses.append(MassEmail.created_at >= datetime.combine(query.created_from, datetime.min.time()))
    if query.created_to:  # the whole last day
        clauses.append(MassEmail.created_at < datetime.combine(query.created_to + timedelta(days=1), datetime.min.time()))
    return and_(*clauses)


def _row(row, user_id, is_admin):
    mass_email = row.MassEmail
    return ListRow(mass_email, row.subject, row.owner_name or row.owner_email, bool(row.hidden),
                   may_change(mass_email, user_id, is_admin))


def list_page(user_id, is_admin, query, after=None, before=None, size=PAGE_SIZE):
    """One keyset page of the list, as `user_id` sees it; `after`/`before` are cursors from a page's links."""
    key, nullable, value_type = SORTS[query.sort]
    found = keyset.page(_statement(user_id).where(_where(user_id, query)), keyset.Order(key, MassEmail.id, nullable, value_type),
                        query.dir == "desc", after=after, before=before, size=size)
    return keyset.Page([_row(row, user_id, is_admin) for row in found.rows], found.next_cursor, found.previous_cursor)


def list_row(user_id, is_admin, mass_email_id):
    """One mass email's row as `user_id` sees it (after pausing it, say), or None."""
    row = db.session.execute(_statement(user_id).where(MassEmail.id == mass_email_id)).one_or_none()
    return None if row is None else _row(row, user_id, is_admin)


def campaigns():
    """The campaigns mass emails are filed under, for the filter."""
    return db.session.scalars(select(MassEmail.campaign).where(MassEmail.campaign.is_not(None), MassEmail.campaign != "")
                              .distinct().order_by(MassEmail.campaign)).all()


def hid_all(user_id, scope):
    """Whether an empty My or Account list is empty because the user hid what it had (its empty state says so)."""
    statement = select(MassEmailHide.mass_email_id).where(MassEmailHide.user_id == user_id)
    if scope == "mine":
        statement = statement.join(MassEmail, MassEmail.id == MassEmailHide.mass_email_id).where(MassEmail.owner_id == user_id)
    return db.session.scalar(statement.limit(1)) is not None


def hide(user_id, mass_email_id):
    """Take the mass email off this user's lists; hiding twice changes nothing."""
    if db.session.get(MassEmailHide, (user_id, mass_email_id)) is None:
        db.session.add(MassEmailHide(user_id=user_id, mass_email_id=mass_email_id))
        try:
            db.session.commit()
        except IntegrityError:  # the same user hid it at the same moment (a double click)
            db.session.rollback()


def unhide(user_id, mass_email_id):
    db.session.execute(delete(MassEmailHide).where(MassEmailHide.user_id == user_id, MassEmailHide.mass_email_id == mass_email_id))
    db.session.commit()
