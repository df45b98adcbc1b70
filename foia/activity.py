"""The dashboard's recent activity: the newest timeline events, newest first, with a campaign's drafts
told in one line ("Campaign "Oregon records" created 12 draft requests") instead of one per request.

Events are ordered by the day they happened (``occurred_on``), then by when they were recorded, the
order the dates on the page read in. Both reads are bounded: the newest events come from the
``events_occurred`` index (foia.stats migrations), the campaigns from their own table and the
``requests_campaign_agency`` index.
"""
from dataclasses import dataclass


# The newest events, a campaign's drafts left out (they are told per campaign).
EVENTS_SQL = """
    SELECT e.kind, e.occurred_on, e.recorded_at, e.note, e.request_id, r.title,
           a.name AS agency_name, a.state AS agency_state
    FROM events e
    JOIN requests r ON r.id = e.request_id JOIN agencies a ON a.id = r.agency_id
    WHERE NOT (e.kind = 'drafted' AND r.campaign_id IS NOT NULL)
    ORDER BY e.occurred_on DESC, e.recorded_at DESC, e.id DESC LIMIT ?"""


@dataclass(frozen=True)
class Entry:
    """One line of recent activity: a timeline event, or a campaign's drafts (``kind`` "campaign")."""

    kind: str
    on: str  # the day, ISO
    recorded_at: str
    note: str = ""
    request_id: int | None = None
    title: str = ""
    agency_name: str = ""
    agency_state: str = ""
    campaign_id: int | None = None
    campaign_name: str = ""
    drafts: int = 0


def recent(db, limit: int = 15) -> list[Entry]:
    """The ``limit`` newest lines of activity, newest first."""
    events = [Entry(kind=r["kind"], on=r["occurred_on"], recorded_at=r["recorded_at"], note=r["note"] or "",
                    request_id=r["request_id"], title=r["title"], agency_name=r["agency_name"],
                    agency_state=r["agency_state"])
              for r in db.query(EVENTS_SQL, [limit])]
    campaigns = [Entry(kind="campaign", on=r["created_at"][:10], recorded_at=r["created_at"],
                       campaign_id=r["id"], campaign_name=r["name"], drafts=r["drafts"])
                 for r in db.query(
                     """SELECT c.id, c.name, c.created_at,
                               (SELECT count(*) FROM requests r WHERE r.campaign_id = c.id) AS drafts
                        FROM campaigns c ORDER BY c.created_at DESC, c.id DESC LIMIT ?""", [limit])
                 if r["drafts"]]
    merged = sorted(events + campaigns, key=lambda e: (e.on, e.recorded_at), reverse=True)
    return merged[:limit]
