"""The legal clock against hand-computed dates (Art. 12(3), Reg. 1182/71, décret 2019-536).

Every expected date in the tables below was worked out by hand from a printed
calendar and the rules (one month, month end, next working day, French public
holidays), not produced by the code under test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rgpd.deadlines import (
    ClockEvent,
    ClockEventKind,
    DeadlineStatus,
    PauseReason,
    add_months,
    breach_deadline,
    compute_deadline,
    easter_sunday,
    french_public_holidays,
    is_working_day,
    next_working_day,
    refusal_deadline,
    retention_end,
)
from rgpd.errors import InvalidInput

D = date
P, R, X, C = (
    ClockEventKind.PAUSE,
    ClockEventKind.RESUME,
    ClockEventKind.EXTEND,
    ClockEventKind.CLOSE,
)


def pause(on: date, reason: PauseReason = PauseReason.IDENTITY) -> ClockEvent:
    return ClockEvent(P, on, reason)


def resume(on: date) -> ClockEvent:
    return ClockEvent(R, on)


def extend(on: date) -> ClockEvent:
    return ClockEvent(X, on)


# --------------------------------------------------------------------------- Easter and holidays

EASTER = [
    (2000, D(2000, 4, 23)),
    (2008, D(2008, 3, 23)),
    (2011, D(2011, 4, 24)),
    (2019, D(2019, 4, 21)),
    (2024, D(2024, 3, 31)),
    (2025, D(2025, 4, 20)),
    (2026, D(2026, 4, 5)),
    (2027, D(2027, 3, 28)),
    (2028, D(2028, 4, 16)),
    (2038, D(2038, 4, 25)),  # latest possible
    (2285, D(2285, 3, 22)),  # earliest possible
]


@pytest.mark.parametrize(("year", "expected"), EASTER)
def test_easter_known_years(year: int, expected: date) -> None:
    assert easter_sunday(year) == expected


def test_easter_agrees_with_dateutil() -> None:
    easter = pytest.importorskip("dateutil.easter")
    for year in range(1583, 2500):
        assert easter_sunday(year) == easter.easter(year), year


def test_easter_before_gregorian_calendar_refused() -> None:
    with pytest.raises(InvalidInput):
        easter_sunday(1500)


MOVABLE = [  # year, Easter Monday, Ascension, Whit Monday, Good Friday
    (2024, D(2024, 4, 1), D(2024, 5, 9), D(2024, 5, 20), D(2024, 3, 29)),
    (2025, D(2025, 4, 21), D(2025, 5, 29), D(2025, 6, 9), D(2025, 4, 18)),
    (2026, D(2026, 4, 6), D(2026, 5, 14), D(2026, 5, 25), D(2026, 4, 3)),
    (2027, D(2027, 3, 29), D(2027, 5, 6), D(2027, 5, 17), D(2027, 3, 26)),
    (2028, D(2028, 4, 17), D(2028, 5, 25), D(2028, 6, 5), D(2028, 4, 14)),
]


@pytest.mark.parametrize(("year", "monday", "ascension", "whit", "friday"), MOVABLE)
def test_movable_holidays(
    year: int, monday: date, ascension: date, whit: date, friday: date
) -> None:
    general = french_public_holidays(year)
    local = french_public_holidays(year, alsace_moselle=True)
    assert len(general) == 11
    assert len(local) == 13
    assert {monday, ascension, whit} <= set(general)
    assert ascension.weekday() == 3 and whit.weekday() == 0 and monday.weekday() == 0
    assert friday not in general and D(year, 12, 26) not in general
    assert friday in local and D(year, 12, 26) in local
    assert set(general) < set(local)


def test_fixed_holidays_2025() -> None:
    fixed = {
        D(2025, m, d)
        for m, d in [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    }
    assert fixed <= set(french_public_holidays(2025))
    # 26 December is not a public holiday outside Alsace-Moselle
    assert is_working_day(D(2025, 12, 26))
    assert not is_working_day(D(2025, 12, 26), alsace_moselle=True)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2025, 3, 5), 1, D(2025, 4, 5)),
        (D(2025, 8, 31), 1, D(2025, 9, 30)),
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),
        (D(2025, 12, 15), 1, D(2026, 1, 15)),
        (D(2025, 11, 30), 3, D(2026, 2, 28)),
        (D(2027, 2, 28), 2, D(2027, 4, 28)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


# --------------------------------------------------------------------------- Art. 12(3) table

NO_EVENTS: list[ClockEvent] = []

# (id, received, alsace_moselle, events, expected due)
CASES: list[tuple[str, date, bool, list[ClockEvent], date]] = [
    ("edpb-5-march-saturday", D(2025, 3, 5), False, NO_EVENTS, D(2025, 4, 7)),
    ("31-august-30-september", D(2025, 8, 31), False, NO_EVENTS, D(2025, 9, 30)),
    ("31-january-28-february", D(2025, 1, 31), False, NO_EVENTS, D(2025, 2, 28)),
    ("leap-31-january", D(2028, 1, 31), False, NO_EVENTS, D(2028, 2, 29)),
    ("leap-29-january", D(2028, 1, 29), False, NO_EVENTS, D(2028, 2, 29)),
    ("received-29-february", D(2028, 2, 29), False, NO_EVENTS, D(2028, 3, 29)),
    ("feb-end-on-sunday", D(2027, 1, 31), False, NO_EVENTS, D(2027, 3, 1)),
    ("29-january-non-leap-sunday", D(2027, 1, 29), False, NO_EVENTS, D(2027, 3, 1)),
    ("year-end-saturday", D(2025, 12, 31), False, NO_EVENTS, D(2026, 2, 2)),
    ("31-march-30-april", D(2025, 3, 31), False, NO_EVENTS, D(2025, 4, 30)),
    ("31-may-30-june", D(2025, 5, 31), False, NO_EVENTS, D(2025, 6, 30)),
    ("ascension-2024", D(2024, 4, 9), False, NO_EVENTS, D(2024, 5, 10)),
    ("ascension-2025", D(2025, 4, 29), False, NO_EVENTS, D(2025, 5, 30)),
    ("ascension-2026", D(2026, 4, 14), False, NO_EVENTS, D(2026, 5, 15)),
    ("ascension-2027", D(2027, 4, 6), False, NO_EVENTS, D(2027, 5, 7)),
    ("ascension-2028", D(2028, 4, 25), False, NO_EVENTS, D(2028, 5, 26)),
    ("whit-monday-2024", D(2024, 4, 20), False, NO_EVENTS, D(2024, 5, 21)),
    ("whit-monday-2025", D(2025, 5, 9), False, NO_EVENTS, D(2025, 6, 10)),
    ("whit-monday-2026", D(2026, 4, 25), False, NO_EVENTS, D(2026, 5, 26)),
    ("whit-monday-2027", D(2027, 4, 17), False, NO_EVENTS, D(2027, 5, 18)),
    ("whit-monday-2028", D(2028, 5, 5), False, NO_EVENTS, D(2028, 6, 6)),
    ("easter-monday-2025", D(2025, 3, 21), False, NO_EVENTS, D(2025, 4, 22)),
    ("easter-weekend-2026", D(2026, 3, 4), False, NO_EVENTS, D(2026, 4, 7)),
    ("easter-monday-2028", D(2028, 3, 17), False, NO_EVENTS, D(2028, 4, 18)),
    ("1-may-thursday", D(2025, 4, 1), False, NO_EVENTS, D(2025, 5, 2)),
    ("8-may-friday", D(2026, 4, 8), False, NO_EVENTS, D(2026, 5, 11)),
    ("14-july-monday", D(2025, 6, 14), False, NO_EVENTS, D(2025, 7, 15)),
    ("15-august-friday", D(2025, 7, 15), False, NO_EVENTS, D(2025, 8, 18)),
    ("1-november-saturday", D(2025, 10, 1), False, NO_EVENTS, D(2025, 11, 3)),
    ("11-november-tuesday", D(2025, 10, 11), False, NO_EVENTS, D(2025, 11, 12)),
    ("christmas", D(2025, 11, 25), False, NO_EVENTS, D(2025, 12, 26)),
    ("christmas-alsace-26-dec", D(2025, 11, 25), True, NO_EVENTS, D(2025, 12, 29)),
    ("26-dec-general", D(2024, 11, 26), False, NO_EVENTS, D(2024, 12, 26)),
    ("26-dec-alsace", D(2024, 11, 26), True, NO_EVENTS, D(2024, 12, 27)),
    ("new-year", D(2025, 12, 1), False, NO_EVENTS, D(2026, 1, 2)),
    ("good-friday-2025-general", D(2025, 3, 18), False, NO_EVENTS, D(2025, 4, 18)),
    ("good-friday-2025-alsace", D(2025, 3, 18), True, NO_EVENTS, D(2025, 4, 22)),
    ("good-friday-2026-general", D(2026, 3, 3), False, NO_EVENTS, D(2026, 4, 3)),
    ("good-friday-2026-alsace", D(2026, 3, 3), True, NO_EVENTS, D(2026, 4, 7)),
    ("good-friday-2027-alsace", D(2027, 2, 26), True, NO_EVENTS, D(2027, 3, 30)),
    ("leap-day-good-friday-2024-general", D(2024, 2, 29), False, NO_EVENTS, D(2024, 3, 29)),
    ("leap-day-good-friday-2024-alsace", D(2024, 2, 29), True, NO_EVENTS, D(2024, 4, 2)),
    ("received-on-christmas", D(2025, 12, 25), False, NO_EVENTS, D(2026, 1, 26)),
    ("received-on-14-july", D(2025, 7, 14), False, NO_EVENTS, D(2025, 8, 14)),
    ("received-on-saturday", D(2025, 3, 8), False, NO_EVENTS, D(2025, 4, 8)),
    # extension: two further months from the original (unshifted) due date
    ("extension", D(2025, 3, 5), False, [extend(D(2025, 3, 20))], D(2025, 6, 5)),
    (
        "extension-month-end-saturday",
        D(2025, 5, 31),
        False,
        [extend(D(2025, 6, 10))],
        D(2025, 9, 1),
    ),
    ("extension-30-nov-sunday", D(2025, 8, 31), False, [extend(D(2025, 9, 15))], D(2025, 12, 1)),
    (
        "extension-from-original-due",
        D(2027, 1, 31),
        False,
        [extend(D(2027, 2, 10))],
        D(2027, 4, 28),
    ),
    ("extension-on-shifted-last-day", D(2025, 3, 5), False, [extend(D(2025, 4, 7))], D(2025, 6, 5)),
    ("extension-too-late-ignored", D(2025, 3, 5), False, [extend(D(2025, 4, 8))], D(2025, 4, 7)),
    ("extension-leap-year", D(2027, 12, 29), False, [extend(D(2028, 1, 10))], D(2028, 3, 29)),
    # suspensions: days from the request for information to its receipt are added
    (
        "identity-pause",
        D(2025, 3, 5),
        False,
        [pause(D(2025, 3, 10)), resume(D(2025, 3, 20))],
        D(2025, 4, 15),
    ),
    (
        "pause-spanning-month-end",
        D(2025, 1, 20),
        False,
        [pause(D(2025, 1, 28)), resume(D(2025, 2, 4))],
        D(2025, 2, 27),
    ),
    (
        "pause-over-leap-day",
        D(2028, 2, 10),
        False,
        [pause(D(2028, 2, 25)), resume(D(2028, 3, 3))],
        D(2028, 3, 17),
    ),
    (
        "pause-lands-on-8-may",
        D(2025, 4, 1),
        False,
        [pause(D(2025, 4, 10)), resume(D(2025, 4, 17))],
        D(2025, 5, 9),
    ),
    (
        "two-pauses",
        D(2026, 3, 2),
        False,
        [
            pause(D(2026, 3, 5)),
            resume(D(2026, 3, 9)),
            pause(D(2026, 3, 20), PauseReason.CLARIFICATION),
            resume(D(2026, 3, 23)),
        ],
        D(2026, 4, 9),
    ),
    (
        "pause-then-extension-saved-by-pause",
        D(2025, 1, 10),
        False,
        [pause(D(2025, 1, 15)), resume(D(2025, 1, 25)), extend(D(2025, 2, 18))],
        D(2025, 4, 22),
    ),
    (
        "closed-while-paused",
        D(2025, 3, 5),
        False,
        [pause(D(2025, 3, 10)), ClockEvent(C, D(2025, 3, 15))],
        D(2025, 4, 10),
    ),
]


@pytest.mark.parametrize(
    ("received", "alsace", "events", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_deadline_table(
    received: date, alsace: bool, events: list[ClockEvent], expected: date
) -> None:
    today = max([received, *(e.on for e in events)])
    result = compute_deadline(received, events, alsace_moselle=alsace, today=today)
    assert result.due == expected
    assert is_working_day(result.due, alsace_moselle=alsace)
    assert any("Art. 12(3)" in line for line in result.explanation)


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)


def test_extension_fields() -> None:
    ok = compute_deadline(
        D(2025, 3, 5), [extend(D(2025, 3, 20))], alsace_moselle=False, today=D(2025, 3, 20)
    )
    assert ok.extended and not ok.extension_too_late
    assert ok.original_due == D(2025, 4, 7)
    assert ok.extension_notice_due == D(2025, 4, 7)
    late = compute_deadline(
        D(2025, 3, 5), [extend(D(2025, 4, 8))], alsace_moselle=False, today=D(2025, 4, 8)
    )
    assert late.extension_too_late and not late.extended
    assert late.status is DeadlineStatus.OVERDUE
    assert any("not valid" in line for line in late.explanation)


def test_clarification_pause_can_be_switched_off() -> None:
    events = [pause(D(2025, 3, 10), PauseReason.CLARIFICATION), resume(D(2025, 3, 20))]
    on = compute_deadline(D(2025, 3, 5), events, alsace_moselle=False, today=D(2025, 3, 21))
    off = compute_deadline(
        D(2025, 3, 5),
        events,
        alsace_moselle=False,
        today=D(2025, 3, 21),
        clarification_pauses=False,
    )
    assert on.due == D(2025, 4, 15) and on.paused_days == 10
    assert off.due == D(2025, 4, 7) and off.paused_days == 0
    # identity pauses are suspended whatever the setting (décret)
    ident = [pause(D(2025, 3, 10)), resume(D(2025, 3, 20))]
    assert compute_deadline(
        D(2025, 3, 5), ident, alsace_moselle=False, today=D(2025, 3, 21), clarification_pauses=False
    ).due == D(2025, 4, 15)


def test_open_pause_runs_until_today() -> None:
    # 15 days paused so far: 5 April + 15 = Easter Sunday 20 April -> Easter Monday -> Tuesday 22
    result = compute_deadline(
        D(2025, 3, 5), [pause(D(2025, 3, 10))], alsace_moselle=False, today=D(2025, 3, 25)
    )
    assert result.paused and result.status is DeadlineStatus.PAUSED
    assert result.paused_days == 15
    assert result.due == D(2025, 4, 22)


@pytest.mark.parametrize(
    ("today", "status", "days_left"),
    [
        (D(2025, 3, 10), DeadlineStatus.OK, 28),
        (D(2025, 3, 30), DeadlineStatus.OK, 8),
        (D(2025, 3, 31), DeadlineStatus.DUE_SOON, 7),
        (D(2025, 4, 7), DeadlineStatus.DUE_SOON, 0),
        (D(2025, 4, 8), DeadlineStatus.OVERDUE, -1),
    ],
)
def test_status(today: date, status: DeadlineStatus, days_left: int) -> None:
    result = compute_deadline(D(2025, 3, 5), [], alsace_moselle=False, today=today)
    assert result.status is status
    assert result.days_left == days_left


def test_closed_status_and_lateness() -> None:
    on_time = compute_deadline(
        D(2025, 3, 5), [ClockEvent(C, D(2025, 4, 7))], alsace_moselle=False, today=D(2025, 6, 1)
    )
    late = compute_deadline(
        D(2025, 3, 5), [ClockEvent(C, D(2025, 4, 8))], alsace_moselle=False, today=D(2025, 6, 1)
    )
    assert on_time.status is late.status is DeadlineStatus.CLOSED
    assert on_time.closed_late is False and late.closed_late is True
    assert on_time.days_left is None


@pytest.mark.parametrize(
    "events",
    [
        [resume(D(2025, 3, 10))],
        [pause(D(2025, 3, 10)), pause(D(2025, 3, 11))],
        [extend(D(2025, 3, 10)), extend(D(2025, 3, 11))],
        [ClockEvent(C, D(2025, 3, 10)), pause(D(2025, 3, 11))],
        [pause(D(2025, 3, 1))],
        [pause(D(2025, 4, 1))],
    ],
)
def test_impossible_event_sequences(events: list[ClockEvent]) -> None:
    with pytest.raises(InvalidInput):
        compute_deadline(D(2025, 3, 5), events, alsace_moselle=False, today=D(2025, 3, 20))


def test_refusal_deadline_is_one_month_not_suspended() -> None:
    assert refusal_deadline(D(2025, 3, 5)) == D(2025, 4, 7)
    assert refusal_deadline(D(2025, 3, 18), alsace_moselle=True) == D(2025, 4, 22)


# --------------------------------------------------------------------------- properties

received_dates = st.dates(min_value=D(2020, 1, 1), max_value=D(2035, 12, 31))


@st.composite
def timelines(draw: st.DrawFn) -> tuple[date, list[ClockEvent], date]:
    """A received date and a well-formed event list (pauses, at most one extension)."""
    received = draw(received_dates)
    cursor = received
    events: list[ClockEvent] = []
    extended = False
    for _ in range(draw(st.integers(0, 4))):
        cursor += timedelta(days=draw(st.integers(0, 20)))
        if not extended and draw(st.booleans()):
            events.append(extend(cursor))
            extended = True
        else:
            reason = draw(st.sampled_from(PauseReason))
            events.append(pause(cursor, reason))
            cursor += timedelta(days=draw(st.integers(0, 30)))
            events.append(resume(cursor))
    today = cursor + timedelta(days=draw(st.integers(0, 120)))
    return received, events, today


@given(received_dates, st.booleans())
def test_due_at_least_28_days_after_receipt(received: date, alsace: bool) -> None:
    due = compute_deadline(received, [], alsace_moselle=alsace, today=received).due
    assert due >= received + timedelta(days=28)
    assert due <= received + timedelta(days=31 + 4)  # at most a 4-day holiday/weekend shift


@settings(max_examples=200)
@given(timelines(), st.booleans())
def test_due_is_a_working_day(timeline: tuple[date, list[ClockEvent], date], alsace: bool) -> None:
    received, events, today = timeline
    result = compute_deadline(received, events, alsace_moselle=alsace, today=today)
    assert is_working_day(result.due, alsace_moselle=alsace)
    assert (
        result.due >= result.original_due if result.extended else result.due == result.original_due
    )


@given(received_dates, received_dates, st.booleans())
def test_monotone_in_received_date(a: date, b: date, alsace: bool) -> None:
    first, second = sorted((a, b))
    due1 = compute_deadline(first, [], alsace_moselle=alsace, today=second).due
    due2 = compute_deadline(second, [], alsace_moselle=alsace, today=second).due
    assert due1 <= due2


@settings(max_examples=200)
@given(timelines(), st.booleans())
def test_pauses_only_push_later(
    timeline: tuple[date, list[ClockEvent], date], alsace: bool
) -> None:
    received, events, today = timeline
    without = [e for e in events if e.kind not in (P, R)]
    with_pauses = compute_deadline(received, events, alsace_moselle=alsace, today=today)
    plain = compute_deadline(received, without, alsace_moselle=alsace, today=today)
    assert with_pauses.due >= plain.due
    assert with_pauses.paused_days >= 0


@given(st.dates(min_value=D(2020, 1, 1), max_value=D(2035, 12, 31)), st.booleans())
def test_next_working_day_is_first_working_day(day: date, alsace: bool) -> None:
    nxt = next_working_day(day, alsace_moselle=alsace)
    assert is_working_day(nxt, alsace_moselle=alsace)
    assert all(
        not is_working_day(day + timedelta(days=i), alsace_moselle=alsace)
        for i in range((nxt - day).days)
    )


# --------------------------------------------------------------------------- Art. 33(1)


def test_breach_72_hours_over_a_weekend() -> None:
    aware = datetime(2025, 3, 7, 16, 0, tzinfo=UTC)  # a Friday
    clock = breach_deadline(aware, now=datetime(2025, 3, 8, 16, 0, tzinfo=UTC))
    assert clock.deadline == datetime(2025, 3, 10, 16, 0, tzinfo=UTC)
    assert clock.hours_left == 48
    assert not clock.late


def test_breach_notified_just_in_time_and_just_late() -> None:
    aware = datetime(2025, 3, 7, 16, 0, tzinfo=UTC)
    now = datetime(2025, 4, 1, tzinfo=UTC)
    ok = breach_deadline(aware, now=now, notified_at=datetime(2025, 3, 10, 15, 59, tzinfo=UTC))
    late = breach_deadline(aware, now=now, notified_at=datetime(2025, 3, 10, 16, 30, tzinfo=UTC))
    assert not ok.late and ok.hours_over == 0
    assert late.late and late.hours_over == 0.5
    assert any("Art. 33(1)" in line for line in late.explanation)


def test_breach_not_notified_and_past() -> None:
    aware = datetime(2025, 3, 7, 16, 0, tzinfo=UTC)
    clock = breach_deadline(aware, now=datetime(2025, 3, 11, 16, 0, tzinfo=UTC))
    assert clock.late and clock.hours_over == 24


def test_breach_across_daylight_saving_counts_elapsed_hours() -> None:
    paris = ZoneInfo("Europe/Paris")
    aware = datetime(2025, 3, 29, 10, 0, tzinfo=paris)  # CET, the night before the switch to CEST
    clock = breach_deadline(aware, now=aware)
    assert clock.deadline == datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
    assert clock.deadline.astimezone(paris).hour == 11
    assert clock.hours_left == 72


@pytest.mark.parametrize("field", ["aware_at", "now", "notified_at"])
def test_breach_needs_timezone_aware_datetimes(field: str) -> None:
    aware = datetime(2025, 3, 7, 16, 0, tzinfo=UTC)
    args = {
        "aware_at": aware,
        "now": aware + timedelta(hours=1),
        "notified_at": aware + timedelta(hours=2),
    }
    args[field] = args[field].replace(tzinfo=None)
    with pytest.raises(InvalidInput) as err:
        breach_deadline(args["aware_at"], now=args["now"], notified_at=args["notified_at"])
    assert err.value.field == field


def test_breach_notification_before_awareness_refused() -> None:
    aware = datetime(2025, 3, 7, 16, 0, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        breach_deadline(aware, now=aware, notified_at=aware - timedelta(hours=1))


@pytest.mark.parametrize(
    ("start", "duration", "until"),
    [
        (date(2024, 2, 29), "1y", date(2025, 2, 28)),
        (date(2024, 1, 31), "1m", date(2024, 2, 29)),
        (date(2024, 1, 1), "10y", date(2034, 1, 1)),
        (date(2024, 12, 15), "3m", date(2025, 3, 15)),
        (date(2024, 1, 1), "30d", date(2024, 1, 31)),
    ],
)
def test_retention_runs_on_the_calendar(start: date, duration: str, until: date) -> None:
    assert retention_end(start, duration) == until


@pytest.mark.parametrize("duration", ["", "y", "10", "10w", "ten years"])
def test_a_malformed_retention_is_an_input_error(duration: str) -> None:
    with pytest.raises(InvalidInput, match="retention"):
        retention_end(date(2024, 1, 1), duration)
