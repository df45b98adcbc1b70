"""The law model, loaded from every row of laws-v2.csv, appeals.csv and law-readings.csv."""
import csv
import json
import shutil

import pytest

from foia import db as db_module
from foia import errors, laws

LAWS = laws.read_tables()


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {row["jurisdiction"]: row for row in csv.DictReader(f)}


STATUTES = _rows(laws.LAWS_CSV)
APPEALS = _rows(laws.APPEALS_CSV)
READINGS = _rows(laws.READINGS_CSV)


@pytest.fixture
def law_db(tmp_path):
    database = db_module.connect(str(tmp_path / "laws.db"))
    db_module.migrations.apply(database)
    laws.migrations.apply(database)
    yield database
    database.conn.close()


def test_tables_have_every_jurisdiction_and_their_source_columns():
    assert len(LAWS) == 52 and set(LAWS) == set(laws.NAMES)
    for path, columns in ((laws.LAWS_CSV, laws.COLUMNS), (laws.APPEALS_CSV, laws.APPEAL_COLUMNS),
                          (laws.READINGS_CSV, laws.READING_COLUMNS)):
        with open(path, newline="", encoding="utf-8") as f:
            assert tuple(next(csv.reader(f))) == columns
    assert all(law.source and law.confidence in ("high", "medium", "low") for law in LAWS.values())
    assert all(law.appeal.source and law.appeal.confidence in ("high", "medium", "low") for law in LAWS.values())


def test_notes_files_are_shipped():
    for name in ("laws-SOURCES.md", "laws-EVIDENCE.md", "laws-v2-NOTES.md", "appeals-NOTES.md"):
        assert (laws.DATA / name).read_text().strip()


@pytest.mark.parametrize("code", sorted(laws.NAMES))
def test_every_row_loads_into_the_model(code):
    law, statute, appeal = LAWS[code], STATUTES[code], APPEALS[code]
    assert law.law_name == statute["law_name"] and law.citation == statute["citation"]
    assert law.respond.kind == statute["response_kind"]
    if statute["response_days"]:
        assert (law.respond.period.days, law.respond.period.day_type) == (
            int(statute["response_days"]), statute["response_day_type"])
    else:
        assert law.respond.period is None and not law.has_fixed_period
    assert (law.acknowledge is not None) == bool(statute["ack_days"])
    assert (law.produce is not None) == bool(statute["production_days"])
    assert law.appeal.route == appeal["route"] and law.appeal.body == appeal["body"]
    assert law.appeal.contact == appeal["body_contact"] and law.appeal.attachments == appeal["attachments"]
    assert law.appeal.citation == appeal["citation"]
    assert law.residency.required == statute["residency_required"].startswith("yes")
    assert law.fee_citation == statute["fee_citation"] and law.fee_waiver == statute["fee_waiver"]
    assert law.closed_days_note == statute["extra_closed_days"]


@pytest.mark.parametrize("code", sorted(laws.NAMES))
def test_unverified_cells_never_become_numbers(code):
    """A "(not verified)" cell is listed as guidance and drives nothing."""
    law, statute, appeal, reading = LAWS[code], STATUTES[code], APPEALS[code], READINGS[code]
    marked = {column for column, cell in statute.items() if laws.UNVERIFIED in cell}
    marked |= {f"appeals.{column}" for column, cell in appeal.items() if laws.UNVERIFIED in cell}
    assert {column for column, _ in law.unverified} == marked
    if laws.UNVERIFIED in appeal["deadline_days"]:
        assert law.appeal.deadline is None and not law.appeal.deadline_verified
    if laws.UNVERIFIED in statute["extension_repeatable"]:
        assert law.extension.repeatable is None
    if laws.UNVERIFIED in appeal["deemed_denial_after"]:
        assert law.deemed_denial.rule == "" and reading["deemed_denial"] == ""
    for column in ("ack_days", "response_days", "production_days", "extension_days"):
        assert laws.UNVERIFIED not in statute[column], f"{code} {column}: a period cell is unverified"


def test_every_clock_shape_appears():
    shape = {code: (law.acknowledge is not None, law.respond.start, law.respond.kind,
                    law.produce.start if law.produce else None) for code, law in LAWS.items()}
    assert shape["NY"] == (True, "acknowledgement", "determine", None)  # ack, then 20 days from it
    assert shape["AL"] == (True, "acknowledgement", "determine", None)
    assert shape["IN"] == (True, "receipt", "none", None)  # an acknowledgement only
    assert shape["PA"] == (False, "receipt", "determine", None)
    assert shape["MA"] == (False, "receipt", "respond_or_estimate", "receipt")  # cap from receipt
    assert shape["SC"] == (False, "receipt", "determine", "determination")  # cap from the determination
    assert shape["HI"] == (True, "receipt", "determine", "determination")
    assert shape["TX"] == (False, "receipt", "promptly_with_certification", None)
    assert shape["WA"] == (False, "receipt", "respond_or_estimate", None)
    assert shape["WY"] == (False, "acknowledgement", "produce", None)  # acknowledged receipt, no ack clock
    assert shape["FL"] == (False, "receipt", "none", None)
    assert {law.respond.kind for law in LAWS.values()} == set(laws.RESPONSE_KINDS)
    assert {law.extension.start for law in LAWS.values() if law.extension} == {"due", "receipt", "acknowledgement"}


def test_every_appeal_route_appears():
    routes = {}
    for code, law in LAWS.items():
        routes.setdefault(law.appeal.route, set()).add(code)
    assert set(routes) == set(laws.ROUTES)
    assert routes["agency_head"] == {"US", "AK", "MI", "NY", "RI", "UT", "VT", "WA"}
    assert routes["other"] == {"OR", "TX"}
    assert routes["commission"] == {"CT", "IA", "MS", "NJ"}
    assert routes["attorney_general"] == {"DE", "IL", "KY", "ND", "NE"}
    assert len(routes["court_only"]) == 24


@pytest.mark.parametrize("code, deadline, after_silence", [
    ("PA", laws.Period(15, "business"), "deemed_denial"),
    ("IL", laws.Period(60, "calendar"), "deemed_denial"),
    ("IN", laws.Period(30, "calendar"), "deemed_denial"),  # IC 5-14-3-9: silence is a denial
    ("CT", laws.Period(30, "calendar"), "deemed_denial"),
    ("NJ", laws.Period(45, "calendar"), "deemed_denial"),
    ("MA", laws.Period(90, "calendar"), "receipt"),
    ("HI", laws.Period(years=1), "deemed_denial"),
    ("MN", laws.Period(years=2), "deemed_denial"),
    ("ID", laws.Period(180, "calendar"), "none"),  # a court-filing deadline
    ("AK", None, "none"), ("DE", None, "none"), ("MO", None, "none"),  # (not verified)
    ("KY", None, "none"), ("TX", None, "none"), ("MD", None, "none"),
])
def test_appeal_deadlines(code, deadline, after_silence):
    appeal = LAWS[code].appeal
    assert (appeal.deadline, appeal.after_silence) == (deadline, after_silence)


def test_pennsylvania_appeal_goes_to_the_office_of_open_records():
    appeal = LAWS["PA"].appeal
    assert appeal.route == "state_office" and appeal.body.startswith("Pennsylvania Office of Open Records")
    assert "555 Walnut Street" in appeal.contact and "Copy of the request" in appeal.attachments


def test_residency():
    required = {code for code, law in LAWS.items() if law.residency.required}
    assert required == {"AL", "AR", "DE", "KY", "PA", "TN", "VA"}
    assert LAWS["PA"].residency.scope == "US" and LAWS["KY"].residency.scope == "state"
    assert LAWS["AL"].residency.verified is False  # the two tables disagree: warn, don't refuse
    assert all(LAWS[code].residency.verified for code in ("AR", "DE", "KY", "TN", "VA"))


def test_estimates_and_deemed_denials():
    assert LAWS["WA"].estimate.effect == "operative" and LAWS["US"].estimate.effect == "none"
    ny = LAWS["NY"].estimate
    assert (ny.bound, ny.bound_from, ny.bound_kind) == (laws.Period(20, "business"), "acknowledgement", "normal")
    assert LAWS["PA"].estimate.bound_kind == "cap"
    assert LAWS["NY"].deemed_denial.rule == "after_acknowledge_by_or_due"
    assert LAWS["AL"].deemed_denial.periods == ((laws.Period(30, "business"), "acknowledgement"),
                                                (laws.Period(60, "calendar"), "acknowledgement"))
    assert LAWS["IL"].appeal.missed_deadline_consequence.startswith("If the body later provides the records")
    assert "552.302" in LAWS["TX"].appeal.missed_deadline_consequence


def test_closed_days_of_the_state():
    assert [(d.rule, d.name) for d in LAWS["AR"].closed_days] == [("12-24", "Christmas Eve")]
    assert {d.effect for d in LAWS["SC"].closed_days} == {"closed", "open"}
    assert LAWS["PA"].closed_days == ()


@pytest.mark.parametrize(
    "code, days, day_type",
    [("US", 20, "business"), ("CA", 10, "calendar"), ("PA", 5, "business"), ("GA", 3, "business"),
     ("FL", None, "none"), ("WY", 30, "calendar"), ("TX", 10, "business"), ("AL", 15, "business"),
     ("IN", None, "none")],
)
def test_known_periods(code, days, day_type):
    law = LAWS[code]
    assert (law.response_days, law.day_type) == (days, day_type)


def test_first_table_names_still_answer():
    assert (LAWS["PA"].extension_days, LAWS["PA"].extension_day_type) == (30, "calendar")
    assert LAWS["ID"].extension_days == 7  # 10 working days from receipt = 3 + 7
    assert LAWS["MD"].acknowledgement_days == 10 and LAWS["NY"].extension_days is None
    # Unconfirmed extension figures (law-readings.csv) are kept in the model but give no number.
    assert LAWS["VT"].extension.period == laws.Period(10, "business") and not LAWS["VT"].extension.verified
    assert LAWS["VT"].extension_days is None and LAWS["MD"].extension_days is None
    assert LAWS["GA"].period_words().startswith("within 3 business days, as O.C.G.A.")
    assert LAWS["FL"].period_words() == ""
    assert LAWS["TX"].appeal_note.startswith("No administrative appeal to the agency")
    assert "no administrative appeal" in LAWS["CA"].appeal_note.lower()
    assert LAWS["PA"].appeal_note.startswith("Appeal to Pennsylvania Office of Open Records")
    json.dumps(LAWS["NY"].as_json())  # serialisable as it is


def _write_modified(tmp_path, source, name, code, column, value):
    path = tmp_path / name
    shutil.copy(source, path)
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields, data = reader.fieldnames, list(reader)
    line = next(i for i, row in enumerate(data) if row["jurisdiction"] == code)
    data[line][column] = value
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(data)
    return path


@pytest.mark.parametrize("file, code, column, value, message", [
    ("laws-v2.csv", "US", "response_days", "ten", "not a whole number"),
    ("laws-v2.csv", "US", "response_day_type", "weekly", "not business or calendar"),
    ("laws-v2.csv", "US", "jurisdiction", "XX", "unknown jurisdiction"),
    ("laws-v2.csv", "US", "citation", "", "empty"),
    ("laws-v2.csv", "US", "confidence", "certain", "is not one of high, medium, low"),
    ("laws-v2.csv", "US", "response_kind", "eventually", "is not one of produce"),
    ("laws-v2.csv", "US", "response_days", "", "exactly when response_kind is 'none'"),
    ("laws-v2.csv", "US", "extension_from", "monday", "is not one of due, receipt, acknowledgement"),
    ("appeals.csv", "PA", "route", "tribunal", "is not one of agency_head"),
    ("appeals.csv", "PA", "deadline_days", "fifteen", "not a whole number"),
    ("appeals.csv", "PA", "deadline_from", "whenever", "is not one of denial"),
    ("law-readings.csv", "SC", "production_from", "", "say what starts it"),
    ("law-readings.csv", "DC", "deemed_denial", "after_due", "(not verified): it cannot drive a date"),
    ("law-readings.csv", "NY", "estimate_bound", "twenty days", "is not like"),
])
def test_bad_cell_names_file_line_and_column(tmp_path, file, code, column, value, message):
    source = {"laws-v2.csv": laws.LAWS_CSV, "appeals.csv": laws.APPEALS_CSV, "law-readings.csv": laws.READINGS_CSV}
    path = _write_modified(tmp_path, source[file], file, code, column, value)
    paths = dict(path=laws.LAWS_CSV, appeals_path=laws.APPEALS_CSV, readings_path=laws.READINGS_CSV)
    paths[{"laws-v2.csv": "path", "appeals.csv": "appeals_path", "law-readings.csv": "readings_path"}[file]] = path
    line = 2 + sorted(laws.NAMES, key=list(STATUTES).index).index(code) if file == "laws-v2.csv" else None
    with pytest.raises(laws.LawTableError) as e:
        laws.read_tables(**paths)
    assert f"{file} line " in str(e.value) and f", column {column}: " in str(e.value)
    if line:
        assert f"line {line}," in str(e.value)
    assert message in str(e.value)
    assert isinstance(e.value, errors.Invalid) and e.value.field == column


def test_missing_column_and_missing_jurisdiction(tmp_path):
    bad = tmp_path / "laws-v2.csv"
    bad.write_text("jurisdiction\nCA\n")
    with pytest.raises(laws.LawTableError, match="missing column"):
        laws.read_tables(bad)
    rows = list(STATUTES.values())[:-1]
    with open(bad, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=laws.COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(laws.LawTableError, match="no row for WY"):
        laws.read_tables(bad)


def test_load_into_the_database_and_read_back(law_db):
    assert laws.load_into(law_db) == 52
    assert laws.all_laws(law_db) == LAWS
    assert laws.get(law_db, "NY") == LAWS["NY"] and laws.get(law_db, "ZZ") is None
    row = law_db["laws"].get("CA")
    assert (row["response_days"], row["day_type"]) == (10, "calendar")  # the flat columns stay filled
    assert json.loads(row["statute"]) == STATUTES["CA"] and json.loads(row["appeal"]) == APPEALS["CA"]
    with pytest.raises(errors.NotFound):
        laws.require(law_db, "ZZ")


def test_a_changed_law_row_is_seen(law_db):
    laws.load_into(law_db)
    statute = dict(STATUTES["GA"], response_days="4")
    law_db.execute("UPDATE laws SET statute = ? WHERE jurisdiction = 'GA'", [json.dumps(statute)])
    assert laws.get(law_db, "GA").response_days == 4 and laws.all_laws(law_db)["GA"] != LAWS["GA"]


def test_bad_file_changes_nothing(law_db, tmp_path):
    laws.load_into(law_db)
    path = _write_modified(tmp_path, laws.LAWS_CSV, "laws-v2.csv", "CA", "response_day_type", "sometimes")
    with pytest.raises(laws.LawTableError):
        laws.load_into(law_db, path)
    assert law_db["laws"].count == 52 and laws.get(law_db, "CA") == LAWS["CA"]


def test_a_table_loaded_before_the_model_is_refilled_by_the_migration(tmp_path):
    database = db_module.connect(str(tmp_path / "old.db"))
    db_module.migrations.apply(database)
    database["laws"].insert({"jurisdiction": "CA", "law_name": "CPRA", "citation": "x", "day_type": "none"})
    laws.migrations.apply(database)
    assert laws.get(database, "CA") == LAWS["CA"]
    assert database["laws"].count == 52
    database.conn.close()


def test_a_row_without_the_model_asks_for_init(law_db):
    law_db["laws"].insert({"jurisdiction": "CA", "law_name": "CPRA", "citation": "x", "day_type": "none"})
    with pytest.raises(errors.Conflict, match="foia init"):
        laws.get(law_db, "CA")
