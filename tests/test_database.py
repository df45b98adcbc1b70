import sqlite3

import pytest

from foia import db as db_module
from foia import laws


def test_migrations_from_empty(tmp_path):
    path = tmp_path / "new.db"
    database = db_module.connect(str(path))
    assert db_module.pending(database)
    db_module.migrate(database)
    assert db_module.pending(database) == []
    for table in ("laws", "agencies", "requests", "events", "users", "audit_log", "campaigns", "settings"):
        assert database[table].exists(), table
    assert database.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    applied = database.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0]
    db_module.migrate(database)  # idempotent
    assert database.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == applied


def test_foreign_keys_enforced(db):
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO requests (agency_id, title, created_at, updated_at) VALUES (999, 'x', 'now', 'now')")


def test_transaction_rolls_back(db):
    with pytest.raises(RuntimeError):
        with db_module.transaction(db):
            db["settings"].insert({"key": "a", "value": "1"})
            raise RuntimeError("boom")
    assert db["settings"].count == 0


def test_laws_loaded_and_reloaded(db):
    assert db["laws"].count == 52
    laws.load_into(db)
    assert db["laws"].count == 52
    assert laws.get(db, "CA").day_type == "calendar"
