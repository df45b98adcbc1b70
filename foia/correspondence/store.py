"""The correspondence tables: every message in and out, the IMAP messages already fetched, the
agency addresses that bounced, and each request's reply token.

A message's raw bytes are kept in the one content-addressed file store (``messages.sha256``); the
row holds what the pages list and search (addresses, subject, date, the body as plain text), how it
was matched to a request (``matched_by``, ``match_note``), what the reader suggests
(``suggestion``, JSON) and what a user decided (``suggestion_state``, ``reviewed_by``).

``state`` is where the message stands: ``matched`` (on a request's conversation), ``review`` (in the
review queue, waiting for a user to assign or discard it), ``discarded``, ``bounce`` (a delivery
report: never a timeline event), ``auto_reply`` (out of office and the like); ours are ``outbox``
(recorded with its Message-ID, not yet accepted by the SMTP server), ``sent`` or ``failed``.
"""
import json

from sqlite_utils.migrations import Migrations

from .. import audit, clock, errors
from ..db import loads, run_script, transaction

migrations = Migrations("foia.correspondence")

STATES = ("matched", "review", "discarded", "bounce", "auto_reply", "outbox", "sent", "failed")
PURPOSES = ("request", "follow_up", "appeal", "reply")
SUGGESTION_STATES = ("none", "pending", "confirmed", "rejected")
STATE_LABELS = {
    "matched": "Filed on the request", "review": "Waiting for review", "discarded": "Discarded",
    "bounce": "Not delivered (bounce)", "auto_reply": "Automatic reply", "outbox": "Waiting to be sent",
    "sent": "Sent", "failed": "Not sent",
}


@migrations()
def m001_messages(db) -> None:
    states = ", ".join(f"'{s}'" for s in STATES)
    suggestion_states = ", ".join(f"'{s}'" for s in SUGGESTION_STATES)
    purposes = ", ".join(f"'{p}'" for p in PURPOSES)
    run_script(db, f"""
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            request_id INTEGER REFERENCES requests(id) ON DELETE SET NULL,
            direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
            message_id TEXT NOT NULL DEFAULT '',
            in_reply_to TEXT NOT NULL DEFAULT '',
            "references" TEXT NOT NULL DEFAULT '[]',
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL DEFAULT 0,
            from_addr TEXT NOT NULL DEFAULT '',
            from_name TEXT NOT NULL DEFAULT '',
            to_addrs TEXT NOT NULL DEFAULT '[]',
            subject TEXT NOT NULL DEFAULT '',
            date TEXT,
            received_at TEXT NOT NULL,
            body TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT '',
            matched_by TEXT NOT NULL DEFAULT '',
            match_note TEXT NOT NULL DEFAULT '',
            suggestion TEXT NOT NULL DEFAULT '{{}}',
            suggestion_state TEXT NOT NULL DEFAULT 'none' CHECK (suggestion_state IN ({suggestion_states})),
            event_id INTEGER REFERENCES events(id) ON DELETE SET NULL,
            state TEXT NOT NULL CHECK (state IN ({states})),
            attachments TEXT NOT NULL DEFAULT '[]',
            attachments_filed INTEGER NOT NULL DEFAULT 0,
            defects TEXT NOT NULL DEFAULT '[]',
            reviewed_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
            reviewed_at TEXT,
            purpose TEXT CHECK (purpose IN ({purposes}) OR purpose IS NULL),
            letter_id INTEGER REFERENCES letters(id) ON DELETE SET NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            send_error TEXT NOT NULL DEFAULT '',
            sent_at TEXT
        );
        CREATE UNIQUE INDEX messages_out_once ON messages(request_id)
            WHERE direction = 'out' AND purpose = 'request';
        CREATE UNIQUE INDEX messages_in_sha256 ON messages(sha256) WHERE direction = 'in';
        CREATE UNIQUE INDEX messages_in_message_id ON messages(message_id) WHERE direction = 'in' AND message_id != '';
        CREATE INDEX messages_message_id ON messages(message_id) WHERE message_id != '';
        CREATE INDEX messages_request ON messages(request_id, date, id);
        CREATE INDEX messages_state ON messages(state, id);
        CREATE TABLE mail_seen (
            folder TEXT NOT NULL,
            uidvalidity INTEGER NOT NULL,
            uid INTEGER NOT NULL,
            message_row INTEGER REFERENCES messages(id) ON DELETE SET NULL,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (folder, uidvalidity, uid)
        );
        CREATE TABLE broken_addresses (
            address TEXT PRIMARY KEY COLLATE NOCASE,
            first_bounced_at TEXT NOT NULL,
            last_bounced_at TEXT NOT NULL,
            bounces INTEGER NOT NULL DEFAULT 1,
            message_row INTEGER REFERENCES messages(id) ON DELETE SET NULL,
            reason TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE reply_tokens (
            request_id INTEGER PRIMARY KEY REFERENCES requests(id) ON DELETE CASCADE,
            token TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        )
    """)


def ensure_schema(db) -> None:
    """Apply this package's migrations if they are pending (until ``foia.db`` applies them itself)."""
    if not migrations.pending(db):
        return
    with transaction(db):
        if migrations.pending(db):  # another process may have applied them while we waited
            migrations.apply(db)


def _row(row: dict) -> dict:
    for key, default in (("references", []), ("to_addrs", []), ("suggestion", {}), ("attachments", []),
                         ("defects", [])):
        if key in row:
            row[key] = loads(row[key], default)
    return row


def get(db, message_row: int) -> dict:
    rows = list(db.query("SELECT * FROM messages WHERE id = ?", [message_row]))
    if not rows:
        raise errors.NotFound(f"There is no message {message_row}.")
    return _row(rows[0])


def find_duplicate(db, sha256: str, message_id: str) -> dict | None:
    """An incoming message already stored with these bytes or this Message-ID."""
    rows = list(db.query(
        "SELECT * FROM messages WHERE direction = 'in' AND (sha256 = ? OR (? != '' AND message_id = ?)) "
        "ORDER BY id LIMIT 1", [sha256, message_id, message_id]))
    return _row(rows[0]) if rows else None


def insert(db, record: dict) -> int:
    record = dict(record)
    for key in ("references", "to_addrs", "suggestion", "attachments", "defects"):
        if key in record and not isinstance(record[key], str):
            record[key] = json.dumps(record[key], sort_keys=True)
    return db["messages"].insert(record).last_pk


def update(db, message_row: int, values: dict) -> None:
    values = dict(values)
    for key in ("suggestion", "attachments", "defects"):
        if key in values and not isinstance(values[key], str):
            values[key] = json.dumps(values[key], sort_keys=True)
    db["messages"].update(message_row, values)


LIST_COLUMNS = ("id, request_id, direction, message_id, in_reply_to, \"references\", sha256, size, from_addr, "
                "from_name, to_addrs, subject, date, received_at, source, matched_by, match_note, suggestion, "
                "suggestion_state, event_id, state, attachments, purpose, letter_id, attempts, send_error, sent_at")


def for_request(db, request_id: int, *, with_body: bool = False) -> list[dict]:
    """The request's conversation, oldest first: what we sent and what came back (without the
    bodies, unless ``with_body``)."""
    columns = "*" if with_body else LIST_COLUMNS
    return [_row(r) for r in db.query(
        f"SELECT {columns} FROM messages WHERE request_id = ? AND state != 'discarded' "
        "ORDER BY coalesce(date, received_at), id", [request_id])]


def review_queue(db, *, limit: int = 100, offset: int = 0) -> list[dict]:
    return [_row(r) for r in db.query(
        f"SELECT {LIST_COLUMNS} FROM messages WHERE state = 'review' ORDER BY id DESC LIMIT ? OFFSET ?",
        [limit, offset])]


def counts(db) -> dict[str, int]:
    return {r["state"]: r["n"] for r in db.query("SELECT state, count(*) AS n FROM messages GROUP BY state")}


def pending_suggestions(db, request_id: int) -> list[dict]:
    return [_row(r) for r in db.query(
        "SELECT * FROM messages WHERE request_id = ? AND suggestion_state = 'pending' ORDER BY id", [request_id])]


# --- IMAP bookkeeping ----------------------------------------------------------------------------

def last_uid(db, folder: str, uidvalidity: int) -> int:
    row = db.execute("SELECT max(uid) FROM mail_seen WHERE folder = ? AND uidvalidity = ?",
                     [folder, uidvalidity]).fetchone()
    return row[0] or 0


def seen_uids(db, folder: str, uidvalidity: int) -> set[int]:
    return {r[0] for r in db.execute("SELECT uid FROM mail_seen WHERE folder = ? AND uidvalidity = ?",
                                     [folder, uidvalidity])}


def remember_uid(db, folder: str, uidvalidity: int, uid: int, message_row: int | None) -> None:
    db.execute("INSERT OR IGNORE INTO mail_seen (folder, uidvalidity, uid, message_row, seen_at) VALUES (?, ?, ?, ?, ?)",
               [folder, uidvalidity, uid, message_row, clock.stamp()])


# --- addresses that bounce -----------------------------------------------------------------------

def flag_broken(db, address: str, message_row: int | None, reason: str) -> None:
    now = clock.stamp()
    db.execute(
        """INSERT INTO broken_addresses (address, first_bounced_at, last_bounced_at, bounces, message_row, reason)
           VALUES (?, ?, ?, 1, ?, ?)
           ON CONFLICT(address) DO UPDATE SET last_bounced_at = excluded.last_bounced_at,
               bounces = bounces + 1, message_row = excluded.message_row, reason = excluded.reason""",
        [address.strip().lower(), now, now, message_row, reason[:500]])


def broken(db, address: str) -> dict | None:
    """The bounce record of an address, or None if mail to it has not bounced."""
    if not address:
        return None
    rows = list(db.query("SELECT * FROM broken_addresses WHERE address = ?", [address.strip().lower()]))
    return rows[0] if rows else None


def clear_broken(db, address: str, *, actor=None) -> None:
    with transaction(db):
        db.execute("DELETE FROM broken_addresses WHERE address = ?", [address.strip().lower()])
        audit.record(db, "mail.address_cleared", user_id=actor, object_type="address", object_id=address)


def broken_addresses(db) -> list[dict]:
    return list(db.query("SELECT * FROM broken_addresses ORDER BY last_bounced_at DESC"))
