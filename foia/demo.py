"""Demo data: the demo agencies and about fifteen requests across the statuses, dated relative to
today so the dashboard shows live deadlines. Loading it twice changes nothing (each demo request
has a fixed submission key)."""
import datetime as dt
from pathlib import Path

from . import agencies, clock, letters, requests

DEMO_AGENCIES = Path(__file__).parent / "data" / "agencies-demo.csv"
DEMO_REQUESTER = {
    "name": "Alex Rivera",
    "organization": "Neighborhood Surveillance Watch (demo)",
    "address": "100 Main Street, Suite 2\nSpringfield, PA 19064",
    "email": "records@example.org",
    "phone": "+1 555 0100",
}

DESCRIPTION = (
    "Records of the department's partnership with Ring LLC (Amazon): the agreement or memorandum of "
    "understanding, communications with Ring staff, video requests made through the Neighbors Portal, "
    "training materials and press statements."
)

# (agency name, title, [(kind, days before today, note, data)])
REQUESTS = [
    ("Los Angeles Police Department", "Ring footage requests during 2020 protests",
     [("filed", 40, "Sent to the records unit by e-mail.", {}),
      ("received_by_agency", 40, "", {}),
      ("acknowledged", 36, "Reference number assigned.", {}),
      ("extension_claimed", 31, "Agency cites voluminous records.", {}),
      ("partial_release", 12, "First batch: 140 pages of e-mail.", {})]),
    ("El Monte Police Department", "Ring Reward Program agreement and invoices",
     [("filed", 6, "", {}), ("received_by_agency", 6, "", {})]),
    ("Santa Barbara County Sheriff's Office", "Neighbors Portal MOU and video-request logs",
     [("filed", 25, "", {}), ("acknowledged", 22, "", {}), ("records_released", 3, "MOU and 2 years of logs.", {})]),
    ("Clearwater Police Department", "Communications with Ring staff, 2019-2024",
     [("filed", 60, "", {}), ("denied", 20, "Claims active criminal investigation exemption.", {}),
      ("appeal_filed", 14, "Appealed: the exemption cannot cover a partnership agreement.", {})]),
    ("Miami Gardens Police Department", "Camera subsidy program records",
     [("filed", 35, "", {}), ("fee_estimate", 20, "Estimate: $412.50 for 15 hours.", {"amount": "412.50"})]),
    ("Leon County Sheriff's Office", "Ring training materials and talking points",
     [("filed", 18, "", {}), ("clarification_requested", 12, "Asked to narrow the date range.", {})]),
    ("Aurora Police Department", "Ring MOU and camera subsidy invoices",
     [("filed", 9, "Filed through the city portal.", {})]),
    ("Naperville Police Department", "Neighbors Portal agreement and video requests",
     [("filed", 50, "", {}), ("no_records", 30, "Agency says no responsive records.", {})]),
    ("Topeka Police Department", "Scripted social-media comments supplied by Ring",
     [("filed", 90, "", {}), ("acknowledged", 88, "", {}), ("records_released", 60, "", {}),
      ("closed", 55, "Complete.", {})]),
    ("Tigard Police Department", "RING Acknowledgement Form and related e-mail",
     [("drafted", 2, "Waiting for the fee-waiver paragraph.", {})]),
    ("Los Angeles Police Department", "Axon Community Requests routed from Ring",
     [("filed", 3, "", {})]),
    ("Aurora Police Department", "Ring app download metrics supplied to the department",
     [("filed", 20, "", {}), ("withdrawn", 15, "Duplicate of an earlier request.", {})]),
    ("Clearwater Police Department", "Flock and Axon integration records",
     [("filed", 12, "", {}), ("acknowledged", 10, "", {})]),
    ("Santa Barbara County Sheriff's Office", "Footage sharing with federal agencies",
     [("filed", 16, "", {}), ("received_by_agency", 15, "", {})]),
    ("Naperville Police Department", "Council records approving the Ring partnership",
     [("filed", 1, "", {})]),
]


def load(db, *, config=None, today: dt.date | None = None, actor=None) -> dict:
    """Load the demo agencies and requests, dated back from ``today`` and computed with the
    instance's ``config``; returns counts of what was added."""
    report = agencies.import_csv(db, DEMO_AGENCIES, actor=actor)
    if not letters.requester(db)["name"]:
        letters.save_requester(db, DEMO_REQUESTER)
    today = today or clock.today()
    added = 0
    for n, (agency_name, title, timeline) in enumerate(REQUESTS, start=1):
        key = f"demo-{n}"
        if list(db.query("SELECT 1 FROM requests WHERE submission_key = ?", [key])):
            continue
        agency = next(iter(db.query("SELECT id FROM agencies WHERE name = ?", [agency_name])))
        first_kind, first_days, _, _ = timeline[0]
        first_on = today - dt.timedelta(days=first_days)
        request_id = requests.create_request(
            db, agency_id=agency["id"], title=title, description=DESCRIPTION, actor=actor,
            submission_key=key, filed_on=first_on if first_kind == "filed" else None,
            method="portal" if "portal" in timeline[0][2] else "email", config=config,
        )
        for kind, days, note, data in timeline:
            if kind == first_kind and days == first_days:
                if note:
                    db.execute("UPDATE events SET note = ? WHERE request_id = ? AND kind = ?", [note, request_id, kind])
                continue
            requests.add_event(db, request_id, kind, today - dt.timedelta(days=days), note=note,
                               data=data, actor=actor, config=config)
        added += 1
    return {"agencies": report.summary(), "requests_added": added}
