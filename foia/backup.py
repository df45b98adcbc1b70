"""Backup and restore of an instance: the database, the stored files and the generated letters.

A backup is a ``.tar.gz`` holding::

    foia.db            a consistent copy of the database (SQLite's online backup API)
    files/...          the content-addressed file store (uploads in progress are left out)
    letters/...        generated letters
    MANIFEST           ``<sha256>  <path>`` for every other member (``sha256sum -c`` reads it)

It can be taken while the application runs: the database is copied in one step of the online backup
API, which reads one snapshot while writers carry on (WAL mode). Files are added after the database,
and stored files are only ever added by atomic rename before their rows are committed, so every file
the copied database refers to is in the archive. The archive is written under a temporary name and
renamed when complete.

:func:`restore` checks every member's path and hash and the database's integrity before touching the
instance. It then builds the new instance folder next to the old one and swaps the two with renames;
the previous folder is kept beside it (``<instance>.before-restore-<time>``) so a restore can be undone.
"""
import contextlib
import dataclasses
import datetime as dt
import hashlib
import io
import os
import posixpath
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from pathlib import Path

from . import clock
from .errors import Invalid

MANIFEST = "MANIFEST"
DATABASE = "foia.db"
TREES = ("files", "letters")
FORMAT_LINE = "# foia backup, format 1"
CHUNK = 1024 * 1024
# Names in the instance folder that a restore replaces; everything else (config.py, secret_key) stays.
REPLACED = {DATABASE, DATABASE + "-wal", DATABASE + "-shm", *TREES}


class BackupError(Invalid):
    """A backup could not be taken, or an archive cannot be restored (the message says why).

    A distinct name because a restore refused for any of these reasons has changed nothing."""


@dataclasses.dataclass
class Summary:
    path: Path
    members: int  # files in the archive, MANIFEST excluded
    bytes: int  # their total size
    previous: Path | None = None  # restore only: where the replaced instance folder was kept


class _HashingReader(io.RawIOBase):
    """Reads from a file while hashing what was read (so a file is hashed exactly as archived)."""

    def __init__(self, f):
        self.f = f
        self.digest = hashlib.sha256()

    def readable(self):
        return True

    def read(self, n=-1):
        data = self.f.read(n)
        self.digest.update(data)
        return data


def _add_file(tar: tarfile.TarFile, path: Path, arcname: str) -> tuple[str, int] | None:
    """Add one file; ``(sha256, size)``, or ``None`` if it vanished before it could be opened."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return None
    with f:
        st = os.fstat(f.fileno())
        info = tarfile.TarInfo(arcname)
        info.size = st.st_size
        info.mtime = int(st.st_mtime)
        info.mode = st.st_mode & 0o777
        reader = _HashingReader(f)
        tar.addfile(info, reader)
        return reader.digest.hexdigest(), st.st_size


def _tree_files(root: Path, prefix: str):
    """``(path, arcname)`` for every regular file under ``root``, skipping the upload area ``tmp/``."""
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        if rel == Path("."):
            dirnames[:] = [d for d in dirnames if d != "tmp"]
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                continue
            yield path, posixpath.join(prefix, *rel.parts, name)


def copy_database(db_path, dest) -> None:
    """A consistent copy of a live SQLite database, as one self-contained file (no WAL)."""
    src = sqlite3.connect(f"file:{Path(db_path)}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(str(dest))
        try:
            src.backup(dst)  # all pages in one step: one read snapshot, writers are not blocked
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        src.close()


def backup(db_path, files_dir, letters_dir, out_tar_gz, now: dt.datetime | None = None) -> Summary:
    """Write a backup archive of a (possibly running) instance to ``out_tar_gz``, taken at ``now``."""
    db_path, out = Path(db_path), Path(out_tar_gz)
    if not db_path.is_file():
        raise BackupError(f"There is no database at {db_path}.")
    if not out.parent.is_dir():
        raise BackupError(f"The folder {out.parent} does not exist.")
    for tree in (files_dir, letters_dir):
        if Path(tree).resolve() in out.resolve().parents:
            raise BackupError(f"Write the backup outside {tree}: it would include itself.")
    manifest: list[tuple[str, str]] = []
    total = 0
    fd, tmp_out = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    os.close(fd)
    try:
        with tempfile.TemporaryDirectory(prefix="foia-backup-") as work:
            copy = Path(work) / DATABASE
            copy_database(db_path, copy)
            with tarfile.open(tmp_out, "w:gz") as tar:
                sources = [(copy, DATABASE)]
                for root, prefix in ((files_dir, "files"), (letters_dir, "letters")):
                    sources += _tree_files(Path(root), prefix)
                for path, arcname in sources:
                    added = _add_file(tar, path, arcname)
                    if added is not None:  # a letter replaced while we ran: its new version is added
                        manifest.append((added[0], arcname))
                        total += added[1]
                text = "\n".join([FORMAT_LINE, f"# taken {(now or clock.now()).isoformat(timespec='seconds')}"]
                                 + [f"{digest}  {name}" for digest, name in manifest]) + "\n"
                data = text.encode("utf-8")
                info = tarfile.TarInfo(MANIFEST)
                info.size = len(data)
                info.mtime = int(dt.datetime.now().timestamp())
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
        with open(tmp_out, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp_out, out)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_out)
        raise
    return Summary(out, len(manifest), total)


# -- restore ------------------------------------------------------------------------------------


def _safe_name(member: tarfile.TarInfo) -> str:
    """The member's normalized relative path, or :class:`BackupError` if it could escape or is odd."""
    name = member.name
    if not (member.isfile() or member.isdir()):
        raise BackupError(f"The archive holds {name!r}, which is not a plain file or folder; refusing it.")
    if name.startswith(("/", "\\")) or "\\" in name or (len(name) > 1 and name[1] == ":"):
        raise BackupError(f"The archive holds an absolute or unusual path {name!r}; refusing it.")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts or "\x00" in name:
        raise BackupError(f"The archive holds an unsafe path {name!r}; refusing it.")
    clean = "/".join(parts)
    if not (parts[0] in TREES or (member.isfile() and clean in (DATABASE, MANIFEST))):
        raise BackupError(f"The archive holds {clean!r}, which is not part of a foia backup.")
    return clean


def _read_manifest(path: Path) -> dict[str, str]:
    expected: dict[str, str] = {}
    try:
        lines = path.read_text("utf-8").splitlines()
    except (FileNotFoundError, UnicodeDecodeError):
        raise BackupError("The archive has no readable MANIFEST; it is not a foia backup.") from None
    if not lines or lines[0] != FORMAT_LINE:
        raise BackupError("The MANIFEST does not start with the foia backup header.")
    for number, line in enumerate(lines[1:], start=2):
        if not line or line.startswith("#"):
            continue
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise BackupError(f"MANIFEST line {number} is malformed.")
        expected[name] = digest
    return expected


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_extract(in_tar_gz, dest: Path) -> Summary:
    """Extract an archive into the empty folder ``dest`` and check it; raise :class:`BackupError`."""
    seen: set[str] = set()
    total = 0
    try:
        tar = tarfile.open(in_tar_gz, "r:gz")
    except FileNotFoundError:
        raise BackupError(f"There is no file {in_tar_gz}.") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"{in_tar_gz} is not a readable .tar.gz archive ({exc}).") from None
    try:
        with tar:
            for member in tar:
                name = _safe_name(member)
                target = dest.joinpath(*name.split("/"))
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                if name in seen:
                    raise BackupError(f"The archive holds {name!r} twice; refusing it.")
                seen.add(name)
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, open(target, "xb") as out:
                    shutil.copyfileobj(src, out, CHUNK)
                os.chmod(target, (member.mode & 0o777) | 0o400)
                total += member.size
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise BackupError(f"The archive is damaged ({exc}).") from None
    expected = _read_manifest(dest / MANIFEST)
    present = seen - {MANIFEST}
    missing = sorted(set(expected) - present)
    if missing:
        raise BackupError(f"{missing[0]} is listed in the MANIFEST but missing from the archive.")
    unlisted = sorted(present - set(expected))
    if unlisted:
        raise BackupError(f"{unlisted[0]} is in the archive but not in its MANIFEST.")
    if DATABASE not in expected:
        raise BackupError("The archive holds no database.")
    for name, digest in sorted(expected.items()):
        if _hash(dest.joinpath(*name.split("/"))) != digest:
            raise BackupError(f"{name} does not match its hash in the MANIFEST; the archive is damaged "
                              "or was altered.")
    try:
        conn = sqlite3.connect(f"file:{dest / DATABASE}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"The database in the archive cannot be read ({exc}).") from None
    if result != "ok":
        raise BackupError(f"The database in the archive fails its integrity check: {result}")
    (dest / MANIFEST).unlink()
    return Summary(Path(in_tar_gz), len(present), total)


def restore(in_tar_gz, instance_dir, now: dt.datetime | None = None) -> Summary:
    """Replace an instance's database, files and letters with a backup's, after checking all of it.

    Stop the application first: running processes keep writing to the files they have open.
    """
    instance = Path(instance_dir).resolve()
    parent = instance.parent
    if not parent.is_dir():
        raise BackupError(f"The folder {parent} does not exist.")
    stamp = (now or clock.now()).strftime("%Y%m%dT%H%M%S")
    staging = Path(tempfile.mkdtemp(prefix=f".{instance.name}.restore-", dir=parent))
    try:
        summary = verify_extract(in_tar_gz, staging)
        for tree in TREES:
            (staging / tree).mkdir(exist_ok=True)
        previous = None
        os.chmod(staging, 0o755)
        if instance.exists():
            if not instance.is_dir():
                raise BackupError(f"{instance} is not a folder.")
            os.chmod(staging, instance.stat().st_mode & 0o777)
            # Keep what is not part of a backup (config.py, secret_key, ...).
            for item in instance.iterdir():
                if item.name in REPLACED:
                    continue
                if item.is_dir() and not item.is_symlink():
                    shutil.copytree(item, staging / item.name, symlinks=True)
                else:
                    shutil.copy2(item, staging / item.name, follow_symlinks=False)
            previous = parent / f"{instance.name}.before-restore-{stamp}"
            n = 1
            while previous.exists():
                n += 1
                previous = parent / f"{instance.name}.before-restore-{stamp}-{n}"
            os.rename(instance, previous)
            try:
                os.rename(staging, instance)
            except BaseException:
                os.rename(previous, instance)
                raise
        else:
            os.rename(staging, instance)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    summary.path = instance
    summary.previous = previous
    return summary
