"""Each request's reply token: ``r123-k7f2q``, the request id and five random characters.

It travels in the plus-address we send from (``records+r123-k7f2q@group.org``, on the group's
configured mailbox) and, as a fallback for agencies that reply to a bare address, in the subject
(``[r123-k7f2q]``). The random part is stored (``reply_tokens``), so a token cannot be guessed from
the id alone, and a token whose request was deleted is recognised as such instead of matching.
"""
import re
import secrets

from .. import clock, errors
from ..db import transaction

ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: tokens are read and typed by people
TOKEN = re.compile(r"(?<![a-z0-9])r(\d{1,10})-([a-z2-9]{5})(?![a-z0-9])", re.I)
SUBJECT_TAG = re.compile(r"\[(?:ref:\s*)?(r\d{1,10}-[a-z2-9]{5})\]", re.I)


def token_for(db, request_id: int) -> str:
    """The request's token, created on first use."""
    row = db.execute("SELECT token FROM reply_tokens WHERE request_id = ?", [request_id]).fetchone()
    if row:
        return row[0]
    if not db.execute("SELECT 1 FROM requests WHERE id = ?", [request_id]).fetchone():
        raise errors.NotFound(f"There is no request {request_id}.")
    with transaction(db):
        row = db.execute("SELECT token FROM reply_tokens WHERE request_id = ?", [request_id]).fetchone()
        if row:
            return row[0]
        token = f"r{int(request_id)}-" + "".join(secrets.choice(ALPHABET) for _ in range(5))
        db.execute("INSERT INTO reply_tokens (request_id, token, created_at) VALUES (?, ?, ?)",
                   [request_id, token, clock.stamp()])
    return token


def reply_address(base: str, token: str) -> str:
    """``records@group.org`` + ``r1-abcde`` -> ``records+r1-abcde@group.org``."""
    local, at, domain = (base or "").strip().rpartition("@")
    if not at or not local or not domain:
        raise errors.Invalid("MAIL_REPLY_ADDRESS", f"The reply address {base!r} is not an e-mail address.")
    local = local.split("+", 1)[0]
    return f"{local}+{token}@{domain}"


def subject_tag(token: str) -> str:
    return f"[{token}]"


def found_in(addresses: list[str], subject: str) -> list[tuple[str, str]]:
    """Every token written in a recipient's plus-address or in the subject: ``(token, where)``."""
    found = []
    for address in addresses:
        local = address.rpartition("@")[0]
        if "+" in local:
            match = TOKEN.search(local.split("+", 1)[1])
            if match:
                found.append((match.group(0).lower(), f"the address {address}"))
    for match in SUBJECT_TAG.finditer(subject or ""):
        found.append((match.group(1).lower(), "the subject"))
    return found


def request_for(db, token: str) -> int | None:
    row = db.execute("SELECT request_id FROM reply_tokens WHERE token = ?", [token.lower()]).fetchone()
    return row[0] if row else None
