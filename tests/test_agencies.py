import pytest

from foia import agencies

HEADER = "Agency,City,County,State,Active date,Email,Portal,Address\n"
GOOD = [
    "Alpha Police Department,Alpha,Alpha,CA,2019-05-01,records@alpha.example.gov,https://alpha.example.gov/records,1 Main St",
    "Beta Police Department,Beta,,Pennsylvania,6/1/2020,,,",
    "Gamma Sheriff's Office,Gamma,Gamma,ga,,,,",
    "Delta Police Department,Delta,,TX,\"May 3, 2021\",,,",
    "Epsilon Police Department,Epsilon,,US,,,,",
    "<script>alert(1)</script> Police,Zeta,,NY,,,,",
    "Eta Police Department,Eta,,DC,2018,,,",
]
BAD = [
    "Theta Police Department,Theta,,XX,,,,",  # unknown state
    ",Iota,,CA,,,,",  # empty name
    "Kappa Police Department,Kappa,,CA,2031-01-01,,,",  # future date
]


def ten_row_csv():
    lines = GOOD[:3] + [BAD[0]] + GOOD[3:5] + [BAD[1]] + GOOD[5:] + [BAD[2]]
    return (HEADER + "\n".join(lines) + "\n").encode()


def test_ten_rows_three_bad(db):
    report = agencies.import_csv(db, ten_row_csv())
    assert len(report.imported) == 7
    assert [line for line, _, _ in report.rejected] == [5, 8, 11]
    reasons = " | ".join(reason for _, _, reason in report.rejected)
    assert "State: “XX” is not a state we know" in reasons
    assert "Name: Enter the agency's name." in reasons
    assert "Ring partner since: That date is in the future" in reasons
    assert "state_police" not in reasons and ": empty" not in reasons
    assert db["agencies"].count == 7


def test_reimport_changes_nothing(db):
    agencies.import_csv(db, ten_row_csv())
    before = list(db.query("SELECT * FROM agencies ORDER BY id"))
    report = agencies.import_csv(db, ten_row_csv())
    assert (len(report.imported), len(report.updated), len(report.unchanged)) == (0, 0, 7)
    assert list(db.query("SELECT * FROM agencies ORDER BY id")) == before


def test_values_are_normalised(db):
    agencies.import_csv(db, ten_row_csv())
    beta = agencies.find(db, "Beta Police Department", "PA")
    assert beta["ring_partner_since"] == "2020-06-01"
    assert agencies.find(db, "Gamma Sheriff's Office", "GA")
    assert agencies.find(db, "Delta Police Department", "TX")["ring_partner_since"] == "2021-05-03"
    alpha = agencies.find(db, "Alpha Police Department", "CA")
    assert alpha["records_email"] == "records@alpha.example.gov"
    assert alpha["mailing_address"] == "1 Main St"


def test_update_on_reimport_with_new_values(db):
    agencies.import_csv(db, ten_row_csv())
    report = agencies.import_csv(db, (HEADER + "Beta Police Department,Beta,Allegheny,PA,,,,\n").encode())
    assert len(report.updated) == 1
    assert agencies.find(db, "Beta Police Department", "PA")["county"] == "Allegheny"
    # empty cells did not erase the partnership date
    assert agencies.find(db, "Beta Police Department", "PA")["ring_partner_since"] == "2020-06-01"


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"City,County\nx,y\n", "needs a name column"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
    ],
)
def test_unusable_files(db, content, message):
    with pytest.raises(agencies.AgencyError, match=message):
        agencies.import_csv(db, content)


def test_malformed_rows_reported(db):
    csv = (HEADER + "Only,Three,Cells\n" + GOOD[0] + "\n" + "A" * 400 + ",x,,CA,,,,\n"
           + "Bad Email PD,x,,CA,,not-an-email,,\n" + "Dup PD,x,,CA,,,,\nDup PD,y,,CA,,,,\n")
    report = agencies.import_csv(db, csv.encode())
    reasons = {line: reason for line, _, reason in report.rejected}
    assert "has 3 cells but the header row has 8" in reasons[2]
    assert "Name: Keep this to 300 characters or fewer (it has 400)." in reasons[4]
    assert "Records e-mail: That e-mail address doesn't look right" in reasons[5]
    assert "not-an-email" not in reasons[5]
    assert "The same agency as on line 6" in reasons[7]
    assert len(report.imported) == 2


def test_header_aliases():
    mapping = agencies.map_headers(["Name", "Ring partner since", "E-mail", "Mailing Address", "Website", "Unknown"])
    assert mapping == {"Name": "name", "Ring partner since": "ring_partner_since", "E-mail": "records_email",
                       "Mailing Address": "mailing_address", "Website": "portal_url"}


def test_search(db):
    agencies.import_csv(db, ten_row_csv())
    rows, total = agencies.search(db, q="alpha")
    assert total == 1 and rows[0]["name"] == "Alpha Police Department"
    rows, total = agencies.search(db, state="CA")
    assert total == 1
    rows, total = agencies.search(db, q="%")
    assert total == 0  # LIKE wildcards are literal
    rows, total = agencies.search(db, ring_partner=True)
    assert total == 4


def test_update_closed_days(db):
    agency_id, _ = agencies.upsert(db, {"name": "Omega PD", "state": "CA"})
    agencies.update(db, agency_id, {"closed_days": ["2026-03-31", "2026-03-31", "2026-10-09"]})
    assert agencies.get(db, agency_id)["closed_days"] == '["2026-03-31", "2026-10-09"]'
    with pytest.raises(agencies.AgencyError, match="not a date"):
        agencies.update(db, agency_id, {"closed_days": ["soon"]})
