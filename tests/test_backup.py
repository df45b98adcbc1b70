"""Backup and restore: a consistent copy while writes happen; a damaged archive replaces nothing."""
import hashlib
import io
import json
import os
import sqlite3
import tarfile
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from foia import backup, demo, filestore, requests
from foia import db as db_module
from foia.cli import main


def make_instance(root: Path) -> Path:
    """An instance with the demo data, a few stored files and letters, and instance-only files."""
    root.mkdir(parents=True)
    database = db_module.connect(str(root / "foia.db"))
    db_module.migrate(database)
    from foia import laws

    laws.load_into(database)
    demo.load(database)
    store = filestore.LocalStore(root / "files")
    for n in range(5):
        store.put_stream(io.BytesIO(f"released record {n}\n".encode() * 200), 10**6)
    (root / "files" / "tmp").mkdir(exist_ok=True)
    (root / "files" / "tmp" / "upload-half").write_bytes(b"an upload in progress")
    (root / "letters" / "7").mkdir(parents=True)
    (root / "letters" / "7" / "letter.pdf").write_bytes(b"%PDF-1.7 letter")
    (root / "letters" / "7" / "letter.docx").write_bytes(b"PK docx bytes")
    (root / "config.py").write_text("PAGE_SIZE = 25\n")
    (root / "secret_key").write_text("instance secret\n")
    database.conn.close()
    return root


def tree_hashes(root: Path) -> dict[str, str]:
    found = {}
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file():
                found[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def row_counts(db_path: Path) -> dict[str, int]:
    conn = sqlite3.connect(db_path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()


def dump(db_path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def instance_files(root):
    return {k: v for k, v in tree_hashes(root).items() if not k.startswith("foia.db")}


def test_backup_and_restore_into_a_new_instance(tmp_path):
    source = make_instance(tmp_path / "a")
    archive = tmp_path / "a.tar.gz"
    summary = backup.backup(source / "foia.db", source / "files", source / "letters", archive)
    assert summary.members == 1 + 5 + 2
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = tar.extractfile("MANIFEST").read().decode()
    assert "files/tmp/upload-half" not in names  # uploads in progress are left out
    assert manifest.startswith(backup.FORMAT_LINE)
    assert "letters/7/letter.pdf" in manifest

    target = tmp_path / "b"
    result = backup.restore(archive, target)
    assert result.previous is None and result.members == 8
    assert row_counts(target / "foia.db") == row_counts(source / "foia.db")
    for table in ("requests", "events", "agencies", "audit_log"):
        assert dump(target / "foia.db", f"SELECT * FROM {table} ORDER BY id") == \
            dump(source / "foia.db", f"SELECT * FROM {table} ORDER BY id")
    expected = {k: v for k, v in tree_hashes(source / "files").items() if not k.startswith("tmp/")}
    assert tree_hashes(target / "files") == expected
    assert tree_hashes(target / "letters") == tree_hashes(source / "letters")
    assert filestore.LocalStore(target / "files").verify_all() == []


def test_backup_taken_while_writes_happen(tmp_path):
    source = make_instance(tmp_path / "a")
    database = db_module.connect(str(source / "foia.db"))
    request_ids = [r[0] for r in database.execute("SELECT id FROM requests")]
    # Make the database big enough that the copy takes a while.
    with db_module.transaction(database):
        for n in range(30000):
            database.execute(
                "INSERT INTO audit_log (at, action, detail) VALUES ('2026-09-01T09:00:00', 'filler', ?)",
                [json.dumps({"n": n, "pad": "x" * 200})],
            )
    database.conn.close()

    stop = threading.Event()
    written = []
    errors = []

    def writer():
        """Each write stores a file, then commits an event that names it (as documents do)."""
        conn = db_module.connect(str(source / "foia.db"))
        store = filestore.LocalStore(source / "files")
        n = 0
        try:
            while not stop.is_set():
                sha, _ = store.put_stream(io.BytesIO(f"document written during backup {n}".encode()), 10**6)
                requests.add_event(conn, request_ids[n % len(request_ids)], "note", note=f"write {n} {sha}")
                written.append(sha)
                n += 1
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 5 and not errors:
            stop.wait(0.01)
        before = len(written)
        archive = tmp_path / "live.tar.gz"
        backup.backup(source / "foia.db", source / "files", source / "letters", archive)
        during = len(written) - before
        while len(written) < before + during + 5 and not errors:  # and writes carry on afterwards
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    assert during > 0, "no write happened while the backup ran"

    target = tmp_path / "restored"
    backup.restore(archive, target)
    restored_notes = dump(target / "foia.db", "SELECT id, note FROM events WHERE kind = 'note' ORDER BY id")
    live_notes = dump(source / "foia.db", "SELECT id, note FROM events WHERE kind = 'note' ORDER BY id")
    # The copy is one consistent moment: a prefix of the live timeline, nothing torn.
    assert before <= len(restored_notes) < len(live_notes)
    assert restored_notes == live_notes[: len(restored_notes)]
    cut = restored_notes[-1][0]
    for table in ("events", "requests", "agencies"):
        sql = f"SELECT * FROM {table} WHERE id <= {cut} ORDER BY id" if table == "events" else \
            f"SELECT * FROM {table} ORDER BY id"
        if table == "requests":  # status/updated_at of a request move with its events; compare ids
            sql = "SELECT id, agency_id, title FROM requests ORDER BY id"
        assert dump(target / "foia.db", sql) == dump(source / "foia.db", sql)
    assert dump(target / "foia.db", "PRAGMA integrity_check") == [("ok",)]
    # Every file the copied database refers to was restored, with its hash intact.
    store = filestore.LocalStore(target / "files")
    for _, note in restored_notes:
        sha = note.split()[-1]
        assert filestore.hash_file(store.path(sha)) == sha
    assert store.verify_all() == []


def rewrite(archive: Path, out: Path, change):
    """Copy an archive member by member; ``change(info, data)`` returns ``[(info, data), ...]``."""
    with tarfile.open(archive) as src, tarfile.open(out, "w:gz") as dst:
        for info in src:
            data = src.extractfile(info).read() if info.isfile() else None
            for new_info, new_data in change(info, data):
                if new_data is not None:
                    new_info.size = len(new_data)
                dst.addfile(new_info, io.BytesIO(new_data) if new_data is not None else None)


def member(name, data=b"x", kind=tarfile.REGTYPE, linkname=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info, (data if kind == tarfile.REGTYPE else None)


def tamper_letter(info, data):
    if info.name == "letters/7/letter.pdf":
        data = b"%PDF-1.7 a forged letter"
    return [(info, data)]


def drop_letter(info, data):
    return [] if info.name == "letters/7/letter.docx" else [(info, data)]


def add(*extra):
    def change(info, data):
        return [(info, data)] + (list(extra) if info.name == "foia.db" else [])
    return change


def tamper_database(info, data):
    if info.name == "foia.db":
        data = data[:-4096] + b"\0" * 4096
    return [(info, data)]


@pytest.mark.parametrize(
    "change, message",
    [
        (tamper_letter, "letters/7/letter.pdf does not match its hash"),
        (tamper_database, "foia.db does not match its hash"),
        (drop_letter, "letters/7/letter.docx is listed in the MANIFEST but missing"),
        (add(member("letters/extra.pdf")), "letters/extra.pdf is in the archive but not in its MANIFEST"),
        (add(member("../escape")), "unsafe path '../escape'"),
        (add(member("files/../../escape")), "unsafe path"),
        (add(member("/etc/cron.d/evil")), "absolute"),
        (add(member("letters/link", kind=tarfile.SYMTYPE, linkname="/etc/passwd")), "not a plain file"),
        (add(member("letters/hard", kind=tarfile.LNKTYPE, linkname="foia.db")), "not a plain file"),
        (add(member("config.py", b"SECRET_KEY='x'")), "not part of a foia backup"),
        (add(member("files/a", b"1"), member("files/a", b"2")), "twice"),
        (lambda info, data: [] if info.name == "MANIFEST" else [(info, data)], "no readable MANIFEST"),
    ],
)
def test_a_bad_archive_is_refused_and_nothing_is_replaced(tmp_path, change, message):
    source = make_instance(tmp_path / "a")
    archive = tmp_path / "good.tar.gz"
    backup.backup(source / "foia.db", source / "files", source / "letters", archive)
    bad = tmp_path / "bad.tar.gz"
    rewrite(archive, bad, change)

    target = make_instance(tmp_path / "target")
    db_path = target / "foia.db"
    conn = db_module.connect(str(db_path))
    conn.execute("UPDATE agencies SET notes = 'only in the target' WHERE id = 1")
    conn.conn.close()
    before = tree_hashes(target)
    with pytest.raises(backup.BackupError, match=message):
        backup.restore(bad, target)
    assert tree_hashes(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "bad.tar.gz", "good.tar.gz", "target"]
    assert not (tmp_path / "escape").exists()


def test_not_an_archive_is_refused(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not gzip at all")
    with pytest.raises(backup.BackupError, match="not a readable .tar.gz"):
        backup.restore(junk, tmp_path / "instance")
    assert not (tmp_path / "instance").exists()
    with pytest.raises(backup.BackupError, match="no database"):
        backup.backup(tmp_path / "missing.db", tmp_path, tmp_path, tmp_path / "out.tar.gz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.tar.gz"]


def test_a_backup_is_not_written_into_what_it_copies(tmp_path):
    source = make_instance(tmp_path / "a")
    with pytest.raises(backup.BackupError, match="would include itself"):
        backup.backup(source / "foia.db", source / "files", source / "letters", source / "letters" / "b.tar.gz")
    assert not list((source / "letters").glob("*.tar.gz*"))


def test_restore_over_an_instance_keeps_its_settings_and_the_previous_data(tmp_path):
    source = make_instance(tmp_path / "a")
    archive = tmp_path / "a.tar.gz"
    backup.backup(source / "foia.db", source / "files", source / "letters", archive)

    target = make_instance(tmp_path / "b")
    (target / "config.py").write_text("PAGE_SIZE = 10\n")
    conn = db_module.connect(str(target / "foia.db"))
    conn.execute("DELETE FROM events")
    conn.conn.close()
    (target / "letters" / "stale.pdf").write_bytes(b"stale")
    old = tree_hashes(target)

    summary = backup.restore(archive, target)
    assert row_counts(target / "foia.db") == row_counts(source / "foia.db")
    assert (target / "config.py").read_text() == "PAGE_SIZE = 10\n"  # settings of the instance stay
    assert not (target / "letters" / "stale.pdf").exists()
    assert summary.previous.name.startswith("b.before-restore-")
    kept = {k: v for k, v in tree_hashes(summary.previous).items()}
    assert kept == old


def test_cli_backup_and_restore(tmp_path, monkeypatch):
    source = make_instance(tmp_path / "a")
    runner = CliRunner()
    monkeypatch.setenv("FOIA_INSTANCE", str(source))
    archive = tmp_path / "out.tar.gz"
    result = runner.invoke(main, ["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "Backup written" in result.output and "8 files" in result.output

    monkeypatch.setenv("FOIA_INSTANCE", str(tmp_path / "fresh"))
    result = runner.invoke(main, ["restore", str(archive)], input="n\n")
    assert result.exit_code == 1 and not (tmp_path / "fresh").exists()
    result = runner.invoke(main, ["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    assert row_counts(tmp_path / "fresh" / "foia.db") == row_counts(source / "foia.db")

    bad = tmp_path / "bad.tar.gz"
    rewrite(archive, bad, tamper_letter)
    before = tree_hashes(tmp_path / "fresh")
    result = runner.invoke(main, ["restore", str(bad), "--yes"])
    assert result.exit_code == 1
    assert "Nothing was changed" in result.output and "does not match its hash" in result.output
    assert tree_hashes(tmp_path / "fresh") == before
    assert os.listdir(tmp_path / "fresh" / "letters")
