"""The dashboard's recent activity over a real database: date order, and a campaign's drafts in one line."""
from foia import activity, agencies, campaigns, clock, requests


def test_recent_activity_newest_day_first_with_campaign_drafts_in_one_line(app, db):
    ca = agencies.upsert(db, {"name": "Fresno Police Department", "state": "CA"})[0]
    pdx = agencies.upsert(db, {"name": "Portland Police Bureau", "state": "OR"})[0]
    salem = agencies.upsert(db, {"name": "Salem Police Department", "state": "OR"})[0]
    first = requests.create_request(db, agency_id=ca, title="Ring MOU", filed_on="2026-09-10")
    clock.set_now("2026-09-15T11:00:00")
    # Recorded later, but it happened earlier: it goes below the filing of 10 Sep.
    second = requests.create_request(db, agency_id=pdx, title="Ring emails", filed_on="2026-09-01")
    requests.add_event(db, first, "acknowledged", "2026-09-12")
    clock.set_now("2026-09-15T12:00:00")
    campaign_id = campaigns.create(db, name="Oregon records", template="ring-partnership", states=["OR"])
    for agency_id in (pdx, salem):
        requests.create_request(db, agency_id=agency_id, title="Oregon records", campaign_id=campaign_id,
                                template="ring-partnership")
    found = activity.recent(db)
    assert [(e.kind, e.on) for e in found] == [
        ("campaign", "2026-09-15"), ("acknowledged", "2026-09-12"), ("filed", "2026-09-10"), ("filed", "2026-09-01")]
    assert (found[0].campaign_name, found[0].drafts) == ("Oregon records", 2)
    assert found[-1].request_id == second and found[-1].agency_name == "Portland Police Bureau"
    assert [e.kind for e in activity.recent(db, limit=2)] == ["campaign", "acknowledged"]


def test_recent_activity_reads_the_day_index(app, db):
    plan = " ".join(row[3] for row in db.execute("EXPLAIN QUERY PLAN " + activity.EVENTS_SQL, [15]))
    assert "SCAN e USING INDEX events_occurred" in plan and "TEMP B-TREE" not in plan
