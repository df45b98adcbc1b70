"""Sending a campaign's chosen requests by e-mail: each one's letter goes through the ``mail.send``
job of :mod:`foia.correspondence.send` (sent at most once, and the request marked filed when the mail
server accepts it); the whole campaign goes through its throttled ``mail.campaign`` job.

Kept apart from :mod:`foia.campaigns` because the mail module itself reads campaigns.
"""
from . import audit, campaigns, jobs, mail
from .correspondence import send, store
from .errors import Conflict, Invalid
from .formats import plural

MAX_AT_ONCE = 500  # requests queued one by one in one action; a whole campaign uses its own job


def send_key(request_id: int) -> str:
    """The job key the request page uses too: one live sending per request."""
    return f"mail.send:{int(request_id)}"


def plan(db, campaign_id, request_ids) -> dict:
    """Which of ``request_ids`` would be sent: drafts with a working address. The others are
    counted: already filed or sent, and those that need the portal or the post."""
    store.ensure_schema(db)
    campaigns.get(db, campaign_id)
    to_send, already, other_way = [], 0, []
    for request_id in request_ids:
        row = next(iter(db.query(
            """SELECT r.id, r.status, r.campaign_id, a.name AS agency_name, a.state AS agency_state,
                      a.records_email AS agency_email
               FROM requests r JOIN agencies a ON a.id = r.agency_id WHERE r.id = ?""", [request_id])), None)
        if row is None or row["campaign_id"] != int(campaign_id):
            continue
        sent = send.sent_letter(db, request_id)
        if row["status"] != "draft" or (sent and sent["state"] == "sent"):
            already += 1
            continue
        try:
            send.recipient(db, row)
        except send.NoAddress:
            other_way.append(f"{row['agency_name']} ({row['agency_state']})")
            continue
        to_send.append(request_id)
    return {"to_send": to_send, "already": already, "other_way": other_way}


def queue(db, campaign_id, request_ids, config, *, whole_campaign=False, actor=None) -> dict:
    """Queue the e-mails of ``request_ids`` (or, with ``whole_campaign``, the campaign's throttled
    sending); returns the plan with ``queued`` (how many) and ``job`` (the campaign job's id)."""
    if not mail.is_configured(config):
        raise Conflict("E-mail is not set up, so requests cannot be sent from here.")
    found = plan(db, campaign_id, request_ids)
    if not found["to_send"]:
        return {**found, "queued": 0, "job": None}
    if whole_campaign:
        job_id = send.start_campaign(db, campaign_id, actor=actor)
        queued = len(found["to_send"])
    else:
        if len(found["to_send"]) > MAX_AT_ONCE:
            raise Invalid("ids", f"Send at most {MAX_AT_ONCE} chosen requests at a time, or send the whole "
                                 "campaign (its e-mails then go out at the pace set for mail).")
        job_id = None
        for request_id in found["to_send"]:
            jobs.enqueue(db, send.SEND_JOB, {"request_id": request_id, "purpose": "request"},
                         key=send_key(request_id), actor=actor)
        queued = len(found["to_send"])
    audit.record(db, "campaign.send", user_id=actor, object_type="campaign", object_id=campaign_id,
                 detail={"queued": queued, "whole_campaign": bool(whole_campaign)})
    return {**found, "queued": queued, "job": job_id}


def confirm_text(found: dict) -> str:
    """What the confirmation of a bulk e-mail says will happen (from :func:`plan`)."""
    n = len(found["to_send"])
    parts = [f"{n:,} {'letter goes' if n == 1 else 'letters go'} by e-mail to the agencies' records addresses; "
             "each request is marked filed when the mail server accepts it."]
    if found["already"]:
        parts.append(f"{plural(found['already'], 'was', 'were')} already filed or sent and {'is' if found['already'] == 1 else 'are'} "
                     "left out.")
    if found["other_way"]:
        m = len(found["other_way"])
        parts.append(f"{m:,} {'agency has' if m == 1 else 'agencies have'} no working e-mail address: send "
                     f"{'its request' if m == 1 else 'those'} by portal or mail.")
    return " ".join(parts)


def report(result: dict) -> str:
    """ "Sending 2 requests by e-mail; 1 was already filed or sent; 1 needs the portal or the post." """
    n = result["queued"]
    text = f"Sending {plural(n, 'request')} by e-mail"
    extra = []
    if result["already"]:
        extra.append(f"{plural(result['already'], 'was', 'were')} already filed or sent")
    if result["other_way"]:
        m = len(result["other_way"])
        extra.append(f"{plural(m, 'needs', 'need')} the portal or the post")
    return text + ("; " + "; ".join(extra) if extra else "") + "."
