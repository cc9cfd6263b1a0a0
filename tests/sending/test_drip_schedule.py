"""A drip's sending windows: the next slot is the earliest in-window moment, in the drip's own timezone."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.sending.drip_schedule import DripSchedule, describe_interval

BERLIN_OFFICE = DripSchedule(180, days="01234", start_hour=9, end_hour=17, timezone="Europe/Berlin")


def utc(*args):
    return datetime(*args)


def test_a_moment_inside_the_window_is_its_own_slot():
    wednesday_noon_in_berlin = utc(2026, 6, 3, 10, 0)  # 12:00 CEST
    assert BERLIN_OFFICE.next_slot(wednesday_noon_in_berlin) == wednesday_noon_in_berlin


def test_before_the_window_opens_the_slot_is_the_opening_in_local_time():
    assert BERLIN_OFFICE.next_slot(utc(2026, 6, 3, 4, 0)) == utc(2026, 6, 3, 7, 0)  # 09:00 CEST


def test_friday_evening_waits_for_monday_morning():
    friday_evening = utc(2026, 6, 5, 16, 0)  # 18:00 CEST
    assert BERLIN_OFFICE.next_slot(friday_evening) == utc(2026, 6, 8, 7, 0)


def test_the_window_follows_daylight_saving_time():
    every_day = DripSchedule(60, start_hour=9, end_hour=17, timezone="Europe/Berlin")
    # Berlin moves from UTC+1 to UTC+2 in the night to Sunday 29 March 2026.
    assert every_day.next_slot(utc(2026, 3, 28, 17, 0)) == utc(2026, 3, 29, 7, 0)
    assert every_day.next_slot(utc(2026, 3, 27, 17, 0)) == utc(2026, 3, 28, 8, 0)


def test_a_window_to_midnight_closes_at_the_end_of_the_day():
    evenings = DripSchedule(60, start_hour=20, end_hour=24)
    assert evenings.next_slot(utc(2026, 6, 3, 23, 59)) == utc(2026, 6, 3, 23, 59)
    assert evenings.next_slot(utc(2026, 6, 4, 0, 0)) == utc(2026, 6, 4, 20, 0)


@pytest.mark.parametrize("fields, message", [
    ({"interval_seconds": 0}, "interval"),
    ({"days": ""}, "at least one day"),
    ({"days": "8"}, "at least one day"),
    ({"start_hour": 17, "end_hour": 9}, "end after it starts"),
    ({"start_hour": 9, "end_hour": 9}, "end after it starts"),
    ({"end_hour": 25}, "end after it starts"),
    ({"timezone": "Mars/Olympus"}, "Unknown timezone"),
])
def test_impossible_schedules_are_refused_with_a_reason(fields, message):
    with pytest.raises(ValueError, match=message):
        DripSchedule(**{"interval_seconds": 60, **fields})


def test_descriptions_read_like_the_form():
    assert BERLIN_OFFICE.describe() == "Every 3 minutes, Mon, Tue, Wed, Thu, Fri, 09:00–17:00 Europe/Berlin"
    assert DripSchedule(3600).describe() == "Every hour, every day, all day UTC"
    assert describe_interval(90) == "90 seconds"


def _in_window(schedule, moment):
    local = moment.replace(tzinfo=UTC).astimezone(ZoneInfo(schedule.timezone))
    return str(local.weekday()) in schedule.days and schedule.start_hour <= local.hour < schedule.end_hour


ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe"]


@st.composite
def schedules(draw):
    start = draw(st.integers(0, 23))
    return DripSchedule(
        60, days="".join(sorted(draw(st.sets(st.sampled_from("0123456"), min_size=1)))),
        start_hour=start, end_hour=draw(st.integers(start + 1, 24)), timezone=draw(st.sampled_from(ZONES)),
    )


@settings(max_examples=150, deadline=None)
@given(schedules(), st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)))
def test_the_slot_is_the_earliest_in_window_moment(schedule, moment):
    """Windows open on whole local hours, which fall on quarter hours of UTC in every zone:
    so the earliest in-window moment is `moment` itself or one of the quarter hours after it."""
    slot = schedule.next_slot(moment)
    quarter = moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)
    candidates = [moment] + [quarter + timedelta(minutes=15 * n) for n in range(1, 8 * 24 * 4 + 1)]
    assert slot == next(c for c in candidates if _in_window(schedule, c))
