"""Which request an incoming message belongs to, and why; in this order:

1. a reply token (``r123-k7f2q``) in any recipient's plus-address or in the subject;
2. ``In-Reply-To`` / ``References`` naming a message we sent (or one already filed on a request),
   provided the sender is the agency (its records address, its domain, or the address we wrote to):
   a stranger's message claiming our Message-ID goes to review, flagged as suspicious;
3. the sender is an agency's known address and the subject carries the tracking number or the
   title of exactly one of its requests.

Anything else goes to the review queue (:class:`Match` with ``request_id`` None), with the reason.
"""
import dataclasses
import re

from ..db import loads
from . import tokens
from .parse import Parsed

# Mail providers shared by many unrelated people: a domain match says nothing there.
PUBLIC_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "outlook.com", "hotmail.com", "live.com", "aol.com",
    "icloud.com", "me.com", "proton.me", "protonmail.com", "gmx.com", "mail.com", "comcast.net",
})
MIN_TITLE = 12  # characters: shorter titles ("Ring") are too common to match on


@dataclasses.dataclass
class Match:
    request_id: int | None
    matched_by: str  # token, thread, agency, or "" (review)
    why: str
    suspicious: bool = False


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


def _same_party(sender: str, known: list[str]) -> bool:
    sender = sender.lower()
    if not sender:
        return False
    for address in known:
        address = (address or "").strip().lower()
        if not address:
            continue
        if sender == address:
            return True
        domain = _domain(address)
        if domain and domain not in PUBLIC_DOMAINS and _domain(sender) == domain:
            return True
    return False


def _agency_addresses(db, request_id: int) -> list[str]:
    row = db.execute("SELECT a.records_email FROM requests r JOIN agencies a ON a.id = r.agency_id WHERE r.id = ?",
                     [request_id]).fetchone()
    known = [row[0]] if row and row[0] else []
    for sent in db.execute("SELECT to_addrs FROM messages WHERE request_id = ? AND direction = 'out'", [request_id]):
        known += loads(sent[0], [])
    return known


def match(db, parsed: Parsed) -> Match:
    problems = []
    for token, where in tokens.found_in(parsed.to, parsed.subject):
        request_id = tokens.request_for(db, token)
        if request_id is not None:
            return Match(request_id, "token", f"Its reply token {token} is in {where}.")
        problems.append(f"the reply token {token} in {where} belongs to no request (it may have been deleted)")

    thread = [parsed.in_reply_to] if parsed.in_reply_to else []
    thread += [ref for ref in reversed(parsed.references) if ref not in thread]
    for ref in thread:
        row = db.execute(
            "SELECT request_id, direction FROM messages WHERE message_id = ? AND request_id IS NOT NULL "
            "ORDER BY direction = 'out' DESC, id LIMIT 1", [ref]).fetchone()
        if row is None:
            continue
        request_id, direction = row
        ours = "a message we sent" if direction == "out" else "a message already on the request"
        if _same_party(parsed.from_addr, _agency_addresses(db, request_id)):
            return Match(request_id, "thread", f"It answers {ours} ({ref}) and comes from the agency's address.")
        return Match(None, "", f"It claims to answer {ours} ({ref}) of request {request_id}, but comes from "
                               f"{parsed.from_addr or 'no address'}, not from the agency: check it before filing.",
                     suspicious=True)

    if parsed.from_addr:
        agencies = list(db.query(
            "SELECT id, name, records_email FROM agencies WHERE lower(records_email) = ? OR "
            "(? NOT IN ({}) AND lower(records_email) LIKE ?)".format(",".join("?" * len(PUBLIC_DOMAINS))),
            [parsed.from_addr, _domain(parsed.from_addr), *sorted(PUBLIC_DOMAINS), "%@" + _domain(parsed.from_addr)]))
        if agencies:
            found = _by_subject(db, [a["id"] for a in agencies], parsed.subject)
            names = ", ".join(a["name"] for a in agencies)
            if len(found) == 1:
                request_id, what = found[0]
                return Match(request_id, "agency", f"It comes from {names}, and the subject has the request's {what}.")
            if len(found) > 1:
                problems.append(f"it comes from {names}, whose subject matches {len(found)} requests")
            else:
                problems.append(f"it comes from {names}, but the subject names none of its requests")
    why = "; ".join(problems) if problems else "no reply token, no thread we know, and not from an agency's address"
    return Match(None, "", why[0].upper() + why[1:] + ".")


def _by_subject(db, agency_ids: list[int], subject: str) -> list[tuple[int, str]]:
    subject_l = " ".join((subject or "").lower().split())
    found = []
    marks = ",".join("?" * len(agency_ids))
    for row in db.query(f"SELECT id, title, tracking_number FROM requests WHERE agency_id IN ({marks})", agency_ids):
        number = (row["tracking_number"] or "").strip().lower()
        title = " ".join((row["title"] or "").lower().split())
        if number and re.search(r"(?<![\w-])" + re.escape(number) + r"(?![\w-])", subject_l):
            found.append((row["id"], f"tracking number {row['tracking_number']}"))
        elif len(title) >= MIN_TITLE and title in subject_l:
            found.append((row["id"], "title"))
    return found
