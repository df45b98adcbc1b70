import csv
import shutil

import pytest

from foia import laws


def test_table_has_every_jurisdiction_and_source_column():
    rows = laws.read_csv()
    assert len(rows) == 52
    assert {law.jurisdiction for law in rows} == set(laws.NAMES)
    with open(laws.LAWS_CSV, newline="") as f:
        header = next(csv.reader(f))
    assert tuple(header) == laws.COLUMNS
    assert all(law.source.startswith("http") or "CFR" in law.source for law in rows)


def test_notes_files_are_shipped():
    assert (laws.DATA / "laws-SOURCES.md").read_text().strip()
    assert (laws.DATA / "laws-EVIDENCE.md").read_text().strip()


@pytest.mark.parametrize(
    "code, days, day_type",
    [("US", 20, "business"), ("CA", 10, "calendar"), ("PA", 5, "business"), ("GA", 3, "business"),
     ("FL", None, "none"), ("WY", 30, "calendar"), ("TX", 10, "business")],
)
def test_known_periods(code, days, day_type):
    law = {law.jurisdiction: law for law in laws.read_csv()}[code]
    assert (law.response_days, law.day_type) == (days, day_type)


def test_pa_extension_is_calendar_days():
    law = {law.jurisdiction: law for law in laws.read_csv()}["PA"]
    assert (law.extension_days, law.extension_day_type) == (30, "calendar")


def test_period_words():
    law = {law.jurisdiction: law for law in laws.read_csv()}
    assert law["GA"].period_words().startswith("within 3 business days, as O.C.G.A.")
    assert law["FL"].period_words() == ""


def _write_modified(tmp_path, line_no, column, value):
    path = tmp_path / "laws.csv"
    shutil.copy(laws.LAWS_CSV, path)
    with open(path, newline="") as f:
        data = list(csv.DictReader(f))
    data[line_no - 2][column] = value
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=laws.COLUMNS)
        writer.writeheader()
        writer.writerows(data)
    return path


@pytest.mark.parametrize(
    "column, value, message",
    [("response_days", "ten", "not a whole number"), ("day_type", "weekly", "is not one of"),
     ("jurisdiction", "XX", "unknown jurisdiction"), ("citation", "", "empty"),
     ("confidence", "certain", "high, medium or low"), ("extension_day_type", "", "exactly when")],
)
def test_bad_row_names_row_and_column(tmp_path, column, value, message):
    # line 2 is the first data row (US), which has an extension
    path = _write_modified(tmp_path, 2, column, value)
    with pytest.raises(laws.LawTableError) as e:
        laws.read_csv(path)
    assert f"line 2, column {column}" in str(e.value)
    assert message in str(e.value)


def test_bad_file_changes_nothing(db, tmp_path):
    path = _write_modified(tmp_path, 5, "day_type", "sometimes")
    with pytest.raises(laws.LawTableError):
        laws.load_into(db, path)
    assert db["laws"].count == 52
