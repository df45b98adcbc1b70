"""The lifecycle rules, table-driven over every event kind."""
import pytest

from foia import lifecycle
from foia.lifecycle import TransitionError, check_timeline


def timeline(*kinds, start=1):
    events = []
    for n, kind in enumerate(kinds):
        data = {"outcome": "denied"} if kind == "appeal_decided" else {}
        events.append({"id": n + 1, "kind": kind, "occurred_on": f"2026-03-{start + n:02d}", "data": data})
    return events


# (events before, new event kind, resulting status or None when refused)
CASES = [
    ((), "drafted", "draft"),
    ((), "filed", "filed"),
    ((), "note", "draft"),
    (("drafted",), "drafted", None),
    (("drafted",), "filed", "filed"),
    (("filed",), "filed", None),
    (("drafted",), "received_by_agency", None),
    (("filed",), "received_by_agency", "filed"),
    (("filed", "received_by_agency"), "received_by_agency", None),
    (("drafted",), "acknowledged", None),
    (("filed",), "acknowledged", "acknowledged"),
    (("filed",), "extension_claimed", "filed"),
    (("filed", "acknowledged"), "extension_claimed", "acknowledged"),
    (("drafted",), "extension_claimed", None),
    (("filed",), "clarification_requested", "awaiting_clarification"),
    (("filed", "clarification_requested"), "clarification_requested", None),
    (("filed",), "clarification_answered", None),
    (("filed", "acknowledged", "clarification_requested"), "clarification_answered", "acknowledged"),
    (("filed",), "fee_estimate", "awaiting_fee"),
    (("filed",), "fee_paid", None),
    (("filed", "fee_estimate"), "fee_paid", "filed"),
    (("filed", "fee_estimate", "clarification_requested"), "fee_paid", "awaiting_clarification"),
    (("drafted",), "partial_release", None),
    (("filed",), "partial_release", "partially_released"),
    (("filed", "partial_release"), "records_released", "released"),
    (("drafted",), "records_released", None),
    (("filed",), "records_released", "released"),
    (("filed", "records_released"), "records_released", None),
    (("filed",), "no_records", "no_records"),
    (("filed",), "denied", "denied"),
    (("filed", "denied"), "records_released", None),
    (("filed",), "appeal_filed", None),
    (("filed", "denied"), "appeal_filed", "appealed"),
    (("filed", "no_records"), "appeal_filed", "appealed"),
    (("filed", "partial_release"), "appeal_filed", "appealed"),
    (("filed", "denied"), "appeal_decided", None),
    (("filed", "denied", "appeal_filed"), "appeal_decided", "denied"),
    (("drafted",), "withdrawn", "withdrawn"),
    (("filed",), "withdrawn", "withdrawn"),
    (("filed",), "closed", "closed"),
    (("filed", "records_released"), "closed", "closed"),
    (("filed", "closed"), "closed", None),
    (("filed", "closed"), "filed", None),
    (("filed", "withdrawn"), "acknowledged", None),
    (("filed", "closed"), "note", "closed"),
    (("filed", "denied"), "note", "denied"),
]


def test_every_event_kind_is_covered():
    assert {kind for _, kind, _ in CASES} == set(lifecycle.EVENT_KINDS)


@pytest.mark.parametrize("before, kind, expected", CASES, ids=lambda v: "-".join(v) if isinstance(v, tuple) else str(v))
def test_transition(before, kind, expected):
    events = timeline(*before)
    on = f"2026-03-{len(before) + 1:02d}"
    data = {"outcome": "denied"} if kind == "appeal_decided" else None
    if expected is None:
        with pytest.raises(TransitionError) as e:
            lifecycle.check_event(events, kind, on, data)
        assert str(e.value)  # always says why
    else:
        assert lifecycle.check_event(events, kind, on, data) == expected


def test_granted_appeal_reopens():
    events = timeline("filed", "denied", "appeal_filed")
    assert lifecycle.check_event(events, "appeal_decided", "2026-03-09", {"outcome": "granted"}) == "acknowledged"


def test_event_dated_before_filing_is_refused():
    events = timeline("filed", start=10)
    with pytest.raises(TransitionError, match="before the request was filed"):
        lifecycle.check_event(events, "records_released", "2026-03-01")


def test_second_filing_message_names_first_date():
    with pytest.raises(TransitionError, match="already filed on 2026-03-01"):
        check_timeline(timeline("filed", "filed"))


def test_same_day_events_keep_recorded_order():
    events = timeline("filed", "acknowledged")
    for e in events:
        e["occurred_on"] = "2026-03-05"
    assert check_timeline(events) == "acknowledged"


def test_allowed_next():
    allowed = lifecycle.allowed_next(timeline("filed"), "2026-03-05")
    assert "acknowledged" in allowed and "filed" not in allowed and "fee_paid" not in allowed


@pytest.mark.parametrize("value", ["2026-02-30", "yesterday", "", "1989-12-31", "2026-09-16"])
def test_bad_dates(value):
    import datetime as dt

    with pytest.raises(ValueError):
        lifecycle.parse_date(value, today=dt.date(2026, 9, 15))


def test_refusals_read_as_sentences():
    with pytest.raises(TransitionError, match=r"^An acknowledged event \(2026-03-02\) cannot come before"):
        check_timeline([{"kind": "acknowledged", "occurred_on": "2026-03-02"}])
    with pytest.raises(TransitionError, match=r"^A denied event"):
        check_timeline([{"kind": "denied", "occurred_on": "2026-03-02"}])
