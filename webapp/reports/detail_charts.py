"""The detail view's charts, counted in the database: opens and clicks over time (per time bucket) and clicks per
link, each bar human and bot stacked."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, case, cast, extract, func, select

from webapp.events.models import Event
from webapp.extensions import db

BUCKETS = 24
MOST_LINKS = 10
EPOCH = datetime(1970, 1, 1)
# Bucket widths a chart picks from: the smallest that fits the span into BUCKETS bars.
WIDTHS = [timedelta(minutes=m) for m in (5, 15, 30, 60, 180, 360, 720, 1440, 10080)]


@dataclass
class Bar:
    start: object
    human: int
    bot: int


@dataclass
class Chart:
    kind: str
    bars: list
    width: timedelta
    peak: int

    @property
    def total(self):
        return sum(bar.human + bar.bot for bar in self.bars)


@dataclass
class LinkBar:
    url: str
    human: int
    bot: int
    people: int  # recipients who clicked it


@dataclass
class LinkChart:
    bars: list  # the most clicked links first, up to MOST_LINKS
    more: int  # links left out
    peak: int


def _human(verdict):
    return func.sum(case((verdict == "human", 1), else_=0))


def _epoch(column):
    """Seconds since 1970 of a naive UTC datetime column, as an integer, on either database."""
    if db.engine.dialect.name == "postgresql":
        return cast(extract("epoch", column), Integer)
    return cast(func.strftime("%s", column), Integer)


def engagement_chart(mass_email_id, kind):
    """The opens ("open") or clicks ("click") of a mass email as up to BUCKETS bars from its first one; None if none."""
    where = (Event.mass_email_id == mass_email_id, Event.kind == kind)
    first, last = db.session.execute(select(func.min(Event.occurred_at), func.max(Event.occurred_at)).where(*where)).one()
    if first is None:
        return None
    width = next((w for w in WIDTHS if last - first < w * (BUCKETS - 1)), WIDTHS[-1])
    seconds = int(width.total_seconds())
    bucket = (_epoch(Event.occurred_at) // seconds).label("bucket")
    counts = {number: (int(humans or 0), total) for number, humans, total
              in db.session.execute(select(bucket, _human(Event.verdict), func.count()).where(*where).group_by(bucket))}
    origin = min(counts)
    bars = []
    for number in range(origin, min(max(counts), origin + BUCKETS * 2) + 1):
        humans, total = counts.get(number, (0, 0))
        bars.append(Bar(EPOCH + timedelta(seconds=number * seconds), humans, total - humans))
    return Chart(kind, bars, width, max(bar.human + bar.bot for bar in bars))


def link_chart(mass_email_id):
    """Clicks per link of a mass email, the most clicked first; None before the first click.

    The hidden bot trap has no destination (url NULL), so it is no link here."""
    total = func.count()
    rows = db.session.execute(
        select(Event.url, _human(Event.verdict), total, func.count(Event.recipient_id.distinct()))
        .where(Event.mass_email_id == mass_email_id, Event.kind == "click", Event.url.is_not(None))
        .group_by(Event.url).order_by(total.desc(), Event.url)
    ).all()
    if not rows:
        return None
    bars = [LinkBar(url, int(humans or 0), clicks - int(humans or 0), people) for url, humans, clicks, people in rows[:MOST_LINKS]]
    return LinkChart(bars, len(rows) - len(bars), bars[0].human + bars[0].bot)
