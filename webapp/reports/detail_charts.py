"""Opens and clicks over time for the detail view, human and bot stacked: counted per time bucket in the database."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, case, cast, extract, func, select

from webapp.events.models import Event
from webapp.extensions import db

BUCKETS = 24
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
    human = func.sum(case((Event.verdict == "human", 1), else_=0))
    counts = {number: (int(humans or 0), total)
              for number, humans, total in db.session.execute(select(bucket, human, func.count()).where(*where).group_by(bucket))}
    origin = min(counts)
    bars = []
    for number in range(origin, min(max(counts), origin + BUCKETS * 2) + 1):
        humans, total = counts.get(number, (0, 0))
        bars.append(Bar(EPOCH + timedelta(seconds=number * seconds), humans, total - humans))
    return Chart(kind, bars, width, max(bar.human + bar.bot for bar in bars))
