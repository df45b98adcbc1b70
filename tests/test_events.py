"""Typed event payloads: the registry, parsing at the boundary (every problem at once, by field),
the stored JSON and reading it back."""
import datetime as dt
import decimal
import json

import pytest

from foia import errors, events, lifecycle, requests

D = dt.date.fromisoformat

# One good raw payload per kind (JSON input), and the stored JSON it becomes.
GOOD = {
    "drafted": ({}, {}),
    "filed": ({"method": "email", "tracking_number": " R-17 ", "message_id": "<a@b>"},
              {"method": "email", "tracking_number": "R-17", "message_id": "<a@b>"}),
    "received_by_agency": ({}, {}),
    "acknowledged": ({"estimated_date": "2026-10-30", "tracking_number": "2026-118"},
                     {"estimated_date": "2026-10-30", "tracking_number": "2026-118"}),
    "extension_claimed": ({"days": 10, "day_type": "business", "new_due_on": "2026-10-01", "reason": "volume"},
                          {"days": 10, "day_type": "business", "new_due_on": "2026-10-01", "reason": "volume"}),
    "clarification_requested": ({"question": "Which years?"}, {"question": "Which years?"}),
    "clarification_answered": ({}, {}),
    "fee_estimate": ({"amount": "$1,212.5", "estimated_date": "2026-11-02"},
                     {"amount": "1212.50", "estimated_date": "2026-11-02"}),
    "fee_paid": ({"amount": 35}, {"amount": "35.00"}),
    "partial_release": ({"pages": 40, "note": "First batch"}, {"pages": 40, "note": "First batch"}),
    "records_released": ({"pages": 0}, {"pages": 0}),
    "no_records": ({}, {}),
    "denied": ({"exemptions": ["§ 87(2)(e)", " "], "reason": "Active investigation"},
               {"exemptions": ["§ 87(2)(e)"], "reason": "Active investigation"}),
    "appeal_filed": ({"body": "Office of Open Records"}, {"body": "Office of Open Records"}),
    "appeal_decided": ({"outcome": "partly_granted"}, {"outcome": "partly_granted"}),
    "withdrawn": ({}, {}),
    "closed": ({}, {}),
    "note": ({}, {}),
}

# One bad raw payload per kind that has fields, and the fields the error must name.
BAD = {
    "filed": ({"method": "pigeon", "tracking_number": 17, "message_id": "x" * 999},
              {"method", "tracking_number", "message_id"}),
    "acknowledged": ({"estimated_date": "soon", "tracking_number": ["a"]}, {"estimated_date", "tracking_number"}),
    "extension_claimed": ({"days": "10", "day_type": "lunar", "new_due_on": "2026-02-30", "reason": 3},
                          {"days", "day_type", "new_due_on", "reason"}),
    "clarification_requested": ({"question": {"text": "?"}}, {"question"}),
    "fee_estimate": ({"amount": "12.505", "estimated_date": "1889-01-01"}, {"amount", "estimated_date"}),
    "fee_paid": ({"amount": -1}, {"amount"}),
    "partial_release": ({"pages": -1, "note": "x" * 1001}, {"pages", "note"}),
    "records_released": ({"pages": True}, {"pages"}),
    "denied": ({"exemptions": [1, 2], "reason": "x" * 5001}, {"exemptions", "reason"}),
    "appeal_filed": ({"body": None, "court": "x"}, {"court"}),
    "appeal_decided": ({}, {"outcome"}),
}


def test_every_kind_is_registered_with_a_label_in_order():
    assert list(events.REGISTRY) == list(lifecycle.EVENT_KINDS) == list(GOOD)
    assert all(events.LABELS[kind] and events.REGISTRY[kind].kind == kind for kind in events.REGISTRY)


@pytest.mark.parametrize("kind", list(GOOD))
def test_good_payload_of_every_kind_parses_and_round_trips(kind):
    raw, stored = GOOD[kind]
    payload = events.parse(kind, raw)
    assert payload.as_json() == stored
    assert events.payload({"kind": kind, "data": json.dumps(stored)}) == payload
    assert json.loads(payload.dumps()) == stored


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_payload_names_every_field_at_fault(kind):
    raw, fields = BAD[kind]
    with pytest.raises(errors.Invalid) as e:
        events.parse(kind, raw)
    assert set(e.value.errors) == fields
    assert all(message and "_" not in message.split(":")[0] for message in e.value.errors.values())


@pytest.mark.parametrize("kind", [k for k in GOOD if not events.fields(k)])
def test_kinds_without_details_refuse_any(kind):
    with pytest.raises(errors.Invalid) as e:
        events.parse(kind, {"days": 3})
    assert set(e.value.errors) == {"days"} and "records no details" in e.value.errors["days"]


def test_typed_values():
    p = events.parse("fee_estimate", {"amount": "12.5", "estimated_date": "2026-11-02"})
    assert p.amount == decimal.Decimal("12.50") and p.estimated_date == D("2026-11-02")
    assert p.details() == [("Fee amount", "$12.50"), ("Estimated completion", "2026-11-02")]
    assert events.parse("denied", {"exemptions": "§ 1; § 2,\n§ 3"}).exemptions == ("§ 1", "§ 2", "§ 3")
    assert events.parse("appeal_decided", {"outcome": "denied"}).outcome == "denied"


def test_form_text_is_converted_and_json_must_be_typed():
    assert events.parse("extension_claimed", {"days": "15", "day_type": ""}, form=True).days == 15
    with pytest.raises(errors.Invalid, match="from 1 to 365"):
        events.parse("extension_claimed", {"days": "15"})  # JSON: a number of days is a number
    with pytest.raises(errors.Invalid, match="from 1 to 365"):
        events.parse("extension_claimed", {"days": "9999"}, form=True)
    with pytest.raises(errors.Invalid) as e:
        events.parse("note", "not an object")
    assert e.value.field == "data"


def test_unknown_kind_is_an_error_on_kind():
    for kind in ("lunch", None, ["note"]):
        with pytest.raises(errors.Invalid) as e:
            events.parse(kind, {})
        assert set(e.value.errors) == {"kind"}


def test_stored_data_is_read_leniently():
    # Rows written before the fields had rules: unknown keys and bad values are left out.
    old = {"kind": "extension_claimed", "data": '{"days": 4000, "day_type": "business", "colour": "red"}'}
    assert events.payload(old).as_json() == {"day_type": "business"}
    assert events.payload({"kind": "denied", "data": "not json"}).as_json() == {}
    assert events.payload({"kind": "gone", "data": "{}"}).as_json() == {}


def test_add_event_reports_every_problem_at_once_and_stores_the_typed_payload(db):
    agency = db["agencies"].insert({"name": "Aurora PD", "state": "IL", "created_at": "x", "updated_at": "x"}).last_pk
    request_id = requests.create_request(db, agency_id=agency, title="Ring MOU", filed_on="2026-09-01")
    with pytest.raises(errors.Invalid) as e:
        requests.add_event(db, request_id, "fee_estimate", "2026-02-31", note=5,
                           data={"amount": "lots", "estimated_date": "soon"})
    assert set(e.value.errors) == {"occurred_on", "note", "amount", "estimated_date"}
    event_id = requests.add_event(db, request_id, "fee_estimate", "2026-09-03",
                                  data={"amount": "$40", "estimated_date": "2026-10-01"})
    stored = db["events"].get(event_id)
    assert json.loads(stored["data"]) == {"amount": "40.00", "estimated_date": "2026-10-01"}
    assert events.payload(stored).amount == decimal.Decimal("40.00")
    with pytest.raises(lifecycle.TransitionError) as refused:
        requests.add_event(db, request_id, "filed", "2026-09-04")
    assert isinstance(refused.value, errors.Conflict)
    with pytest.raises(errors.NotFound):
        requests.add_event(db, 999, "note")
    tracked = requests.create_request(db, agency_id=agency, title="Drafted first")
    requests.add_event(db, tracked, "filed", "2026-09-02", data={"tracking_number": "R-9", "method": "portal"})
    assert requests.get(db, tracked)["tracking_number"] == "R-9"
