"""The requester: the person who signs the letters, kept in the ``settings`` table."""
import json

from ..db import loads, transaction
from ..errors import Invalid
from ..laws import NAMES

REQUESTER_FIELDS = ("name", "organization", "address", "email", "phone", "residence")
# residence: the two-letter code of the state the requester lives in, for laws that limit requests
# to residents (a letter states residency only when it is true).
REQUESTER_REQUIRED = ("name", "address", "email")
ASK = {"name": "Enter your name: it signs the letters.",
       "address": "Enter your postal address: agencies reply to it.",
       "email": "Enter your e-mail address."}


def requester(db) -> dict:
    """The requester's details from settings (empty strings where unset)."""
    row = db.execute("SELECT value FROM settings WHERE key = 'requester'").fetchone()
    stored = loads(row[0], {}) if row else {}
    return {field: str(stored.get(field) or "").strip() for field in REQUESTER_FIELDS}


def save_requester(db, data: dict) -> dict:
    """Store the requester's details; the required fields must be filled in (all problems at once)."""
    unknown = sorted(set(data) - set(REQUESTER_FIELDS))
    if unknown:
        raise Invalid(unknown[0], f"unknown requester field(s): {', '.join(unknown)}")
    value = {field: str(data.get(field) or "").strip().replace("\r\n", "\n") for field in REQUESTER_FIELDS}
    problems = {field: ASK[field] for field in REQUESTER_REQUIRED if not value[field]}
    if value["email"] and ("@" not in value["email"] or any(c.isspace() for c in value["email"])):
        problems["email"] = "That e-mail address doesn't look right: it should be like name@example.org."
    value["residence"] = value["residence"].upper()
    if value["residence"] and (value["residence"] not in NAMES or value["residence"] == "US"):
        problems["residence"] = (f"“{value['residence'][:20]}” is not a state: give its two-letter code "
                                 "(KY, PA, ...), or leave it empty.")
    if problems:
        raise Invalid.many(problems)
    with transaction(db):
        db["settings"].upsert({"key": "requester", "value": json.dumps(value, sort_keys=True)}, pk="key")
    return value


def missing(person: dict) -> list[str]:
    """The required requester fields that are empty."""
    return [field for field in REQUESTER_REQUIRED if not person.get(field)]
