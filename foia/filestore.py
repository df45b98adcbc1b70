"""The content-addressed file store: every stored file is named by the SHA-256 of its bytes.

Layout under the store's root (``FILES_DIR``, by default ``instance/files``)::

    ab/cd/abcd...<64 hex digits>    one file per distinct content, read-only
    tmp/                            uploads in progress

An upload is streamed in chunks to a temporary file in ``tmp/`` while it is hashed (never held whole
in memory), flushed to disk, then renamed into place; the rename is atomic, so a stored name always
holds complete content. Identical content is stored once. An upload that fails half-way (size limit,
broken connection) removes its temporary file and leaves nothing behind.

:class:`Store` is the small interface the rest of the application uses (documents, letters and
messages share the one store of an instance), so an S3-compatible object store could replace
:class:`LocalStore` later; only :meth:`LocalStore.path` is local-only (used to serve downloads
efficiently). The store knows nothing of the database: which files are still referenced, and when
one may be removed without racing an upload in progress, is :mod:`foia.filerefs`' business; call
:meth:`Store.delete` only through it.
"""
import contextlib
import dataclasses
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterable, Protocol

CHUNK = 1024 * 1024
_HEX = re.compile(r"^[0-9a-f]{64}$")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class StoreError(ValueError):
    """A file could not be stored; the message says why."""


class TooLarge(StoreError):
    def __init__(self, max_size: int):
        self.max_size = max_size
        super().__init__(f"the file is larger than the limit of {human_size(max_size)}")


class EmptyFile(StoreError):
    def __init__(self):
        super().__init__("the file is empty (0 bytes)")


@dataclasses.dataclass(frozen=True)
class Problem:
    """One finding of :meth:`Store.verify_all`: ``kind`` is ``mismatch`` or ``missing``."""

    sha256: str
    kind: str
    detail: str


class Store(Protocol):
    """What every file store offers. Files are named by their SHA-256 (64 lowercase hex digits)."""

    def put_stream(self, fileobj: BinaryIO, max_size: int, *, allow_empty: bool = False) -> tuple[str, int]:
        """Store what ``fileobj`` yields, at most ``max_size`` bytes; ``(sha256, size)``. Atomic:
        a name is visible only once its whole content is; storing known content again is a no-op."""
    def open(self, sha256: str) -> BinaryIO:
        """The stored file, opened for reading (``FileNotFoundError`` if absent)."""
    def exists(self, sha256: str) -> bool: ...
    def size(self, sha256: str) -> int: ...
    def delete(self, sha256: str) -> None:
        """Remove a stored file; absent is not an error (see :mod:`foia.filerefs` for when)."""
    def stored(self) -> list[str]:
        """Every SHA-256 in the store."""
    def verify_all(self, expected: Iterable[str] = ()) -> list[Problem]:
        """Re-hash every file: ``mismatch`` for changed content, ``missing`` for expected names absent."""


def human_size(n: int) -> str:
    """``536870912`` -> ``"512 MB"``."""
    if n < 1024:
        return f"{n} bytes"
    for unit in ("KB", "MB", "GB", "TB"):
        n /= 1024
        if n < 1024 or unit == "TB":
            break
    return f"{n:.1f} {unit}".replace(".0 ", " ")


def check_sha256(sha256: str) -> str:
    if not isinstance(sha256, str) or not _HEX.match(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return sha256


class LocalStore:
    """The store in a local folder (see the module docstring for its layout)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.tmp = self.root / "tmp"

    def path(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def size(self, sha256: str) -> int:
        return self.path(sha256).stat().st_size

    def open(self, sha256: str) -> BinaryIO:
        return open(self.path(sha256), "rb")

    def put_stream(self, fileobj: BinaryIO, max_size: int, *, allow_empty: bool = False) -> tuple[str, int]:
        """Store what ``fileobj.read()`` yields; return ``(sha256, size)``.

        Raises :class:`TooLarge` as soon as more than ``max_size`` bytes have arrived and
        :class:`EmptyFile` for no bytes at all (unless ``allow_empty``). Whatever goes wrong,
        including an exception raised by ``fileobj`` itself, the temporary file is removed.
        """
        self.tmp.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix="upload-")
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = fileobj.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > max_size:
                        raise TooLarge(max_size)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if size == 0 and not allow_empty:
                raise EmptyFile()
            sha256 = digest.hexdigest()
            dest = self.path(sha256)
            if dest.is_file() and dest.stat().st_size == size:
                os.unlink(tmp_name)  # already stored: identical content is kept once
            else:
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.chmod(tmp_name, 0o440)
                os.replace(tmp_name, dest)  # also repairs a stored copy of the wrong size
                _fsync_dir(dest.parent)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        return sha256, size

    def delete(self, sha256: str) -> None:
        """Remove a stored file (the caller checks nothing refers to it any more)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path(sha256))

    def stored(self) -> list[str]:
        """Every SHA-256 present in the store."""
        found = []
        if not self.root.is_dir():
            return found
        for first in sorted(self.root.glob("[0-9a-f][0-9a-f]")):
            for path in sorted(first.glob("[0-9a-f][0-9a-f]/*")):
                if _HEX.match(path.name) and path.is_file():
                    found.append(path.name)
        return found

    def verify_all(self, expected: Iterable[str] = ()) -> list[Problem]:
        """Re-hash every stored file; report each whose content no longer matches its name, and each
        hash in ``expected`` (what the database refers to) that is not in the store."""
        problems = []
        present = set()
        for sha256 in self.stored():
            present.add(sha256)
            path = self.path(sha256)
            actual = hash_file(path)
            if actual != sha256:
                problems.append(Problem(sha256, "mismatch", f"{path}: content now hashes to {actual}"))
        for sha256 in sorted(set(expected) - present):
            problems.append(Problem(sha256, "missing", f"{self.path(sha256)} does not exist"))
        return problems


def hash_file(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def store_for(instance_or_config) -> "LocalStore":
    """The file store of an :class:`foia.instance.Instance`, or of a configuration mapping
    (``FILES_DIR``): what a job handler is given (see :func:`foia.jobs.run_once`)."""
    store = getattr(instance_or_config, "store", None)
    return store if store is not None else LocalStore(instance_or_config["FILES_DIR"])
