"""When a drip may send: an interval between messages, within weekly sending windows in a timezone.

Pure time arithmetic, no database: the drip ticks (drip.py) ask next_slot() for the moment
of their next message. Times in and out are naive UTC, like every datetime in the database;
the window is read in the drip's own timezone, so "9 to 17, Monday to Friday, Europe/Berlin"
follows Berlin's daylight saving changes.
"""
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ALL_DAYS = "0123456"
# The system's zone names, less those that name no place a person would pick.
TIMEZONES = tuple(sorted(available_timezones() - {"Factory", "localtime", "posixrules"}))


@dataclass(frozen=True)
class DripSchedule:
    interval_seconds: int
    days: str = ALL_DAYS  # weekday digits, 0 = Monday, as datetime.weekday() counts
    start_hour: int = 0  # the window opens at start_hour:00 local time ...
    end_hour: int = 24  # ... and closes at end_hour:00 (24 = midnight at the end of the day)
    timezone: str = "UTC"

    def __post_init__(self):
        if self.interval_seconds < 1:
            raise ValueError("The interval must be at least one second.")
        if not self.days or set(self.days) - set(ALL_DAYS):
            raise ValueError("Choose at least one day of the week.")
        if not 0 <= self.start_hour < self.end_hour <= 24:
            raise ValueError("The sending window must end after it starts, within one day.")
        if self.timezone not in TIMEZONES:
            raise ValueError(f"Unknown timezone: {self.timezone}.")

    def next_slot(self, not_before):
        """The earliest moment at or after `not_before` (naive UTC) inside a sending window."""
        zone = ZoneInfo(self.timezone)
        local = not_before.replace(tzinfo=UTC).astimezone(zone)
        # Eight days cover a whole week from any weekday, plus the rest of today.
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            if str(day.weekday()) not in self.days:
                continue
            opens = _at(day, self.start_hour, zone)
            closes = _at(day, self.end_hour, zone)
            candidate = max(opens, local)
            if candidate < closes:
                return candidate.astimezone(UTC).replace(tzinfo=None)
        raise AssertionError("a week always holds a sending window")  # __post_init__ guarantees a day

    def describe(self):
        """'Every 3 minutes, Mon–Fri 09:00–17:00 Europe/Berlin', for the pages."""
        days = "every day" if self.days == ALL_DAYS else ", ".join(WEEKDAYS[int(d)] for d in self.days)
        hours = "all day" if (self.start_hour, self.end_hour) == (0, 24) else f"{self.start_hour:02d}:00–{self.end_hour:02d}:00"
        return f"Every {describe_interval(self.interval_seconds)}, {days}, {hours} {self.timezone}"


def _at(day, hour, zone):
    """Local midnight-based wall time `hour`:00 of `day`; hour 24 is the next day's 00:00."""
    return datetime.combine(day + timedelta(days=hour // 24), time(hour % 24), tzinfo=zone)


def describe_interval(seconds):
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return unit if count == 1 else f"{count} {unit}s"
    return "second" if seconds == 1 else f"{seconds} seconds"
