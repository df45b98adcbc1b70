"""Reading replies: the corpus in tests/mail_corpus, each message with its expected reading."""
import datetime as dt
import json
from pathlib import Path

import pytest

from foia import workdays
from foia.correspondence import parse, read

CORPUS = Path(__file__).parent / "mail_corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())
# Written after the first rules and read correctly only once the rules were widened (see each maker).
ROUNDS = {f"{folder}/{name}": expected for folder in ("round2", "round3", "round4", "round5", "round6")
          for name, expected in json.loads((CORPUS / folder / "expected.json").read_text()).items()}
# Never used to tune the rules: the honest figure.
UNSEEN = json.loads((CORPUS / "unseen" / "expected.json").read_text())
UNSEEN_KIND, UNSEEN_DATE = 7, 11  # of 12, measured when the set was written; must not get worse


def reading(name):
    return read.read(parse.parse((CORPUS / name).read_bytes()))


def test_the_corpus_is_large_and_varied():
    assert len(EXPECTED) >= 30
    kinds = {e["kind"] for e in EXPECTED.values()}
    assert set(read.KINDS) <= kinds  # every kind the reader can give is represented
    raws = [(CORPUS / name).read_bytes() for name in EXPECTED]
    assert sum(b"text/html" in r for r in raws) >= 5
    assert sum(b"application/pdf" in r for r in raws) >= 3
    assert sum(b"Forwarded message" in r for r in raws) >= 2
    assert sum(b"iso-8859-1" in r.lower() or b"windows-1252" in r.lower() for r in raws) >= 2


@pytest.mark.parametrize("name", sorted(EXPECTED) + sorted(ROUNDS))
def test_corpus_message(name):
    expected = EXPECTED.get(name) or ROUNDS[name]
    got = reading(name)
    assert got.kind == expected["kind"], got.why
    assert got.estimated_date == expected["estimated_date"], got.evidence
    assert got.fee == expected.get("fee", got.fee)
    assert got.reference == expected.get("reference", got.reference)
    if "bounced" in expected:
        assert got.bounced == expected["bounced"]
    assert got.why  # every reading says why
    if got.kind in read.RESPONSE_KINDS:
        assert any(e.field == "kind" for e in got.evidence)
    for evidence in got.evidence:  # each piece of evidence is words of the message
        assert evidence.phrase and evidence.why


def _figure(expected: dict, prefix: str = "") -> tuple[int, int]:
    kind_ok = date_ok = 0
    for name, want in expected.items():
        got = reading(prefix + name)
        kind_ok += got.kind == want["kind"]
        date_ok += got.estimated_date == want["estimated_date"]
    return kind_ok, date_ok


def test_accuracy_figure(capsys):
    kind_ok, date_ok = _figure(EXPECTED)
    unseen_kind, unseen_date = _figure(UNSEEN, "unseen/")
    with capsys.disabled():
        print(f"\nmail corpus: kind {kind_ok}/{len(EXPECTED)}, estimated date {date_ok}/{len(EXPECTED)}; "
              f"never tuned on: kind {unseen_kind}/{len(UNSEEN)}, estimated date {unseen_date}/{len(UNSEEN)}")
    assert kind_ok == len(EXPECTED) and date_ok == len(EXPECTED)
    assert unseen_kind >= UNSEEN_KIND and unseen_date >= UNSEEN_DATE


def test_evidence_shows_the_phrase_a_date_came_from():
    got = reading("01-ack-plain.eml")
    (date,) = [e for e in got.evidence if e.field == "estimated_date"]
    assert "on or before October 14, 2026" in date.phrase
    (ref,) = [e for e in got.evidence if e.field == "reference"]
    assert "PRR-2026-0412" in ref.phrase
    assert got.date == "2026-09-15"
    assert got.event_data() == {"estimated_date": "2026-10-14", "tracking_number": "PRR-2026-0412"}


def test_quoted_request_and_signature_are_not_read():
    # The quoted request says "deny" and "within 10 days"; the signature has a date: none of it counts.
    got = reading("13-no-records.eml")
    assert got.kind == "no_records" and "denied" not in got.scores
    got = reading("01-ack-plain.eml")
    assert "2026-02-01" not in json.dumps(got.as_dict())


def test_business_days_skip_the_agencys_holidays():
    # Ten business days from Tuesday 15 September 2026: 29 September with no holiday in between;
    # an agency closed on 18 and 21 September answers two business days later.
    message = parse.parse((CORPUS / "02-ack-business-days.eml").read_bytes())
    assert read.read(message).estimated_date == "2026-09-29"
    closed = workdays.calendar_for("US", '[{"date": "2026-09-18"}, {"date": "2026-09-21"}]')
    assert read.read(message, calendar=closed).estimated_date == "2026-10-01"


def test_extension_length_and_new_date():
    got = reading("06-extension-business-days.eml")
    assert (got.days, got.day_type, got.estimated_date) == (10, "business", "2026-10-28")
    assert got.event_data()["new_due_on"] == "2026-10-28"
    spanish = reading("18-spanish-extension.eml")
    assert (spanish.days, spanish.day_type) == (10, "business")


def test_denial_lists_the_exemptions():
    got = reading("15-denied-exemption.eml")
    assert any("7923.600" in e for e in got.exemptions)
    assert "exempt from disclosure" in got.event_data()["reason"]


def test_a_forwarded_reply_is_dated_by_the_forwarded_message():
    got = reading("26-forwarded-ack.eml")
    # Forwarded on 15 September, the agency wrote on Friday 11 September: 5 business days from then.
    assert got.date == "2026-09-11" and got.estimated_date == "2026-09-18"


def test_relative_dates_without_a_date_header_count_from_the_day_received():
    raw = b"From: r@pd.example\r\nSubject: Update\r\n\r\nWe received your request and will respond within 5 business days.\r\n"
    got = read.read(parse.parse(raw), received_on=dt.date(2026, 9, 15))
    assert got.kind == "acknowledged" and got.estimated_date == "2026-09-22"
    assert read.read(parse.parse(raw)).estimated_date is None  # nothing to count from


def test_classification_is_fast_for_a_20_kb_message():
    import time

    message = parse.parse((CORPUS / "09-fee-estimate.eml").read_bytes())
    letter = message.text.split("Sincerely")[0]
    message.text = letter * (20_000 // len(letter) + 1)
    assert 15_000 < len(message.text.encode()) < 40_000
    read.read(message)
    times = []
    for _ in range(20):
        start = time.perf_counter()
        read.read(message)
        times.append(time.perf_counter() - start)
    assert sorted(times)[10] < 0.1  # the median, generous for a shared machine; bench/mail.py measures the p95
