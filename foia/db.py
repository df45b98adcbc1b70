"""The database: one SQLite file through sqlite-utils, WAL mode, foreign keys on, ordered migrations.

The core tables are defined here. A feature that owns tables of its own (documents, reminders,
letters, accounts) declares its own ``Migrations`` set in its module; :func:`migrate` applies the core
set first, then each feature set in the order of ``FEATURE_SCHEMAS``. Every migration runs once,
in a transaction, and is recorded in ``_sqlite_migrations``.
"""
import contextlib
import importlib
import json
import sqlite3

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("foia")

# Modules that define a ``migrations`` set of their own, applied after the core set, in this order.
FEATURE_SCHEMAS: tuple[str, ...] = (
    "foia.accounts", "foia.laws", "foia.jobs", "foia.letters", "foia.deadlines", "foia.reminders", "foia.documents",
    "foia.correspondence.store", "foia.stats",
)


def connect(path: str) -> sqlite_utils.Database:
    """Open the database file with the settings every connection needs."""
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA busy_timeout = 30000")
    return db


def migrate(db: sqlite_utils.Database) -> None:
    migrations.apply(db)
    for name in FEATURE_SCHEMAS:
        importlib.import_module(name).migrations.apply(db)


def pending(db: sqlite_utils.Database) -> list[str]:
    names = [m.name for m in migrations.pending(db)]
    for name in FEATURE_SCHEMAS:
        names += [m.name for m in importlib.import_module(name).migrations.pending(db)]
    return names


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database):
    """A write transaction taken up front (``BEGIN IMMEDIATE``).

    Use it for every group of writes: with several processes on one WAL database (web workers and
    the scheduler) a deferred transaction that reads and then writes can fail with "database is
    locked" instead of waiting its turn. Nested use becomes a savepoint.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    else:
        db.execute("COMMIT")


def run_script(db: sqlite_utils.Database, sql: str) -> None:
    """Run several statements inside the caller's transaction (``executescript`` would commit)."""
    for statement in sql.split(";\n"):
        if statement.strip():
            db.execute(statement)


def loads(value, default=None):
    """Decode a JSON column (``None`` and ``""`` give ``default``)."""
    if value in (None, ""):
        return default
    return json.loads(value)


@migrations()
def m001_core(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE laws (
            jurisdiction TEXT PRIMARY KEY,
            law_name TEXT NOT NULL,
            citation TEXT NOT NULL,
            response_days INTEGER,
            day_type TEXT NOT NULL CHECK (day_type IN ('business', 'calendar', 'none')),
            extension_days INTEGER,
            extension_day_type TEXT CHECK (extension_day_type IN ('business', 'calendar') OR extension_day_type IS NULL),
            extension_note TEXT,
            acknowledgement_days INTEGER,
            appeal_note TEXT,
            source TEXT,
            confidence TEXT
        );
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            name TEXT NOT NULL DEFAULT '',
            password_hash TEXT,
            role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member', 'viewer')),
            created_at TEXT NOT NULL,
            disabled_at TEXT
        );
        CREATE TABLE agencies (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'police',
            city TEXT NOT NULL DEFAULT '',
            county TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL REFERENCES laws(jurisdiction),
            records_email TEXT NOT NULL DEFAULT '',
            portal_url TEXT NOT NULL DEFAULT '',
            mailing_address TEXT NOT NULL DEFAULT '',
            phone TEXT NOT NULL DEFAULT '',
            ring_partner_since TEXT,
            source TEXT NOT NULL DEFAULT '',
            notes TEXT NOT NULL DEFAULT '',
            closed_days TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (name, state)
        );
        CREATE INDEX agencies_state ON agencies(state);
        CREATE INDEX agencies_city ON agencies(city);
        CREATE TABLE campaigns (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            template TEXT NOT NULL,
            options TEXT NOT NULL DEFAULT '{}',
            selection TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL DEFAULT 'pending',
            total INTEGER NOT NULL DEFAULT 0,
            done INTEGER NOT NULL DEFAULT 0,
            errors TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id),
            finished_at TEXT
        );
        CREATE TABLE requests (
            id INTEGER PRIMARY KEY,
            agency_id INTEGER NOT NULL REFERENCES agencies(id),
            campaign_id INTEGER REFERENCES campaigns(id),
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            template TEXT,
            options TEXT NOT NULL DEFAULT '{}',
            method TEXT NOT NULL DEFAULT 'email' CHECK (method IN ('email', 'portal', 'mail', 'fax')),
            tracking_number TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'draft',
            due_on TEXT,
            owner_id INTEGER REFERENCES users(id),
            submission_key TEXT UNIQUE,
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id),
            updated_at TEXT NOT NULL
        );
        CREATE INDEX requests_agency ON requests(agency_id);
        CREATE INDEX requests_status ON requests(status, id);
        CREATE INDEX requests_due ON requests(due_on);
        CREATE UNIQUE INDEX requests_campaign_agency ON requests(campaign_id, agency_id)
            WHERE campaign_id IS NOT NULL;
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            occurred_on TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            data TEXT NOT NULL DEFAULT '{}',
            user_id INTEGER REFERENCES users(id),
            submission_key TEXT UNIQUE
        );
        CREATE INDEX events_request ON events(request_id, occurred_on, id);
        CREATE INDEX events_recorded ON events(recorded_at);
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            user_id INTEGER REFERENCES users(id),
            action TEXT NOT NULL,
            object_type TEXT NOT NULL DEFAULT '',
            object_id TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '{}',
            ip TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX audit_log_at ON audit_log(at);
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """
    )


@migrations()
def m002_request_indexes_and_search(db: sqlite_utils.Database) -> None:
    """Indexes for the list orderings, and full-text search over request titles and descriptions."""
    run_script(
        db,
        """
        CREATE INDEX requests_updated ON requests(updated_at, id);
        CREATE INDEX requests_created ON requests(created_at, id);
        CREATE INDEX requests_status_updated ON requests(status, updated_at, id);
        CREATE INDEX requests_agency_updated ON requests(agency_id, updated_at, id);
        CREATE INDEX agencies_name ON agencies(name, id)
        """,
    )
    db["requests"].enable_fts(["title", "description", "tracking_number"], create_triggers=True, tokenize="porter")
    # Rewrite the index only when an indexed column changes: status and due-date updates are frequent.
    trigger = db.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'requests_au'").fetchone()[0]
    db.execute("DROP TRIGGER requests_au")
    db.execute(trigger.replace("AFTER UPDATE ON", "AFTER UPDATE OF title, description, tracking_number ON", 1))


@migrations()
def m003_campaign_submission_key(db: sqlite_utils.Database) -> None:
    """A double-submitted campaign form creates one campaign, not two."""
    db.execute("ALTER TABLE campaigns ADD COLUMN submission_key TEXT")
    db.execute("CREATE UNIQUE INDEX campaigns_submission_key ON campaigns(submission_key)")


@migrations()
def m004_public_campaigns_and_agency_submission_key(db: sqlite_utils.Database) -> None:
    """A campaign may be shown on a public page (opt-in, off by default), and the agency form, like
    the request and campaign forms, creates one agency for one submission."""
    db.execute("ALTER TABLE campaigns ADD COLUMN public INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE agencies ADD COLUMN submission_key TEXT")
    db.execute("CREATE UNIQUE INDEX agencies_submission_key ON agencies(submission_key)")
