"""The reminders' tables: ``reminders`` (what is due, and what went out), ``notifications`` (the
in-app inbox) and ``reminder_prefs`` (kinds switched off per request), with their migrations."""
from sqlite_utils.migrations import Migrations

from ..db import run_script

migrations = Migrations("foia.reminders")

KINDS = {
    "acknowledgement_due": "Acknowledgement due",
    "due_soon": "Response due soon",
    "due_today": "Response due today",
    "overdue": "Response overdue",
    "follow_up": "Follow up",
    "appeal_window": "Appeal window closing",
    "custom": "Your reminder",
}
PLANNED_KINDS = tuple(k for k in KINDS if k != "custom")
CHANNELS = ("email", "app")


@migrations()
def m001_reminders(db) -> None:
    kinds = ", ".join(f"'{k}'" for k in KINDS)
    run_script(db, f"""
        CREATE TABLE reminders (
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ({kinds})),
            due_at TEXT NOT NULL,
            about TEXT,
            channel TEXT NOT NULL CHECK (channel IN ('email', 'app')),
            recipient TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            outcome TEXT,
            claimed_at TEXT,
            claim_token TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            next_attempt_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX reminders_planned ON reminders(request_id, kind, due_at, channel);
        CREATE INDEX reminders_pending ON reminders(next_attempt_at) WHERE sent_at IS NULL;
        CREATE INDEX reminders_claim ON reminders(claim_token) WHERE claim_token IS NOT NULL;
        CREATE TABLE notifications (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            request_id INTEGER REFERENCES requests(id) ON DELETE CASCADE,
            reminder_id INTEGER REFERENCES reminders(id) ON DELETE SET NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            read_at TEXT
        );
        CREATE INDEX notifications_user ON notifications(user_id, read_at, id);
        CREATE UNIQUE INDEX notifications_once ON notifications(reminder_id, user_id)
            WHERE reminder_id IS NOT NULL;
        CREATE TABLE reminder_prefs (
            request_id INTEGER PRIMARY KEY REFERENCES requests(id) ON DELETE CASCADE,
            disabled TEXT NOT NULL DEFAULT '[]',
            updated_at TEXT NOT NULL
        )
    """)
