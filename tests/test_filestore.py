"""The content-addressed store: streamed, hashed, renamed into place, never partial."""
import hashlib
import io
import os

import pytest

from foia.filestore import CHUNK, EmptyFile, LocalStore, TooLarge, hash_file, human_size


class Broken(io.RawIOBase):
    """A stream that yields ``good`` bytes, then fails like a dropped connection."""

    def __init__(self, good: int):
        self.left = good

    def readable(self):
        return True

    def read(self, n=-1):
        if self.left <= 0:
            raise ConnectionResetError("client went away")
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return b"x" * n


def leftovers(store):
    return [p for p in store.root.rglob("*") if p.is_file()]


def test_put_names_file_by_hash_in_two_level_folders(tmp_path):
    store = LocalStore(tmp_path / "files")
    data = b"memorandum of understanding\n" * 1000
    sha, size = store.put_stream(io.BytesIO(data), max_size=10**6)
    assert sha == hashlib.sha256(data).hexdigest() and size == len(data)
    assert store.path(sha) == tmp_path / "files" / sha[:2] / sha[2:4] / sha
    with store.open(sha) as f:
        assert f.read() == data
    assert store.exists(sha) and store.size(sha) == len(data)
    assert list((tmp_path / "files" / "tmp").iterdir()) == []


def test_identical_content_is_stored_once(tmp_path):
    store = LocalStore(tmp_path)
    first = store.put_stream(io.BytesIO(b"same bytes"), 100)
    second = store.put_stream(io.BytesIO(b"same bytes"), 100)
    assert first == second
    assert len(leftovers(store)) == 1


def test_stream_larger_than_a_chunk(tmp_path):
    store = LocalStore(tmp_path)
    data = os.urandom(CHUNK * 2 + 17)
    sha, size = store.put_stream(io.BytesIO(data), len(data))
    assert size == len(data) and hash_file(store.path(sha)) == sha


def test_over_the_limit_is_refused_and_leaves_nothing(tmp_path):
    store = LocalStore(tmp_path)
    with pytest.raises(TooLarge, match="larger than the limit of 1 KB"):
        store.put_stream(io.BytesIO(b"a" * 1025), max_size=1024)
    assert leftovers(store) == []
    # exactly at the limit is fine
    store.put_stream(io.BytesIO(b"a" * 1024), max_size=1024)


def test_interrupted_stream_leaves_no_partial_file(tmp_path):
    store = LocalStore(tmp_path)
    with pytest.raises(ConnectionResetError):
        store.put_stream(Broken(CHUNK + 5), max_size=10**9)
    assert leftovers(store) == []


def test_empty_file_is_refused_unless_allowed(tmp_path):
    store = LocalStore(tmp_path)
    with pytest.raises(EmptyFile):
        store.put_stream(io.BytesIO(b""), 10)
    assert leftovers(store) == []
    sha, size = store.put_stream(io.BytesIO(b""), 10, allow_empty=True)
    assert size == 0 and store.exists(sha)


def test_verify_all_finds_flipped_byte_and_missing_file(tmp_path):
    store = LocalStore(tmp_path)
    good, _ = store.put_stream(io.BytesIO(b"good content"), 100)
    bad, _ = store.put_stream(io.BytesIO(b"will be altered"), 100)
    assert store.verify_all([good, bad]) == []
    path = store.path(bad)
    os.chmod(path, 0o600)
    data = bytearray(path.read_bytes())
    data[3] ^= 0x01
    path.write_bytes(bytes(data))
    gone = hashlib.sha256(b"never stored").hexdigest()
    problems = store.verify_all([good, bad, gone])
    assert [(p.sha256, p.kind) for p in problems] == [(bad, "mismatch"), (gone, "missing")]


def test_a_damaged_copy_of_the_wrong_size_is_repaired_by_the_next_upload(tmp_path):
    store = LocalStore(tmp_path)
    sha, _ = store.put_stream(io.BytesIO(b"original release"), 100)
    os.chmod(store.path(sha), 0o600)
    store.path(sha).write_bytes(b"trunc")
    store.put_stream(io.BytesIO(b"original release"), 100)
    assert store.verify_all([sha]) == []


def test_stored_files_are_read_only(tmp_path):
    store = LocalStore(tmp_path)
    sha, _ = store.put_stream(io.BytesIO(b"x"), 10)
    assert not os.stat(store.path(sha)).st_mode & 0o222


def test_bad_hash_is_rejected(tmp_path):
    with pytest.raises(ValueError):
        LocalStore(tmp_path).path("../../etc/passwd")


@pytest.mark.parametrize("n, text", [(0, "0 bytes"), (1023, "1023 bytes"), (1536, "1.5 KB"),
                                     (512 * 1024 * 1024, "512 MB")])
def test_human_size(n, text):
    assert human_size(n) == text


def test_local_store_offers_the_whole_store_interface():
    from foia.filestore import Store

    wanted = {name for name in vars(Store) if not name.startswith("_")}
    assert wanted == {"put_stream", "open", "exists", "size", "delete", "stored", "verify_all"}
    assert all(callable(getattr(LocalStore, name, None)) for name in wanted)


def test_store_for_a_configuration_or_an_instance(tmp_path):
    from types import SimpleNamespace

    from foia.filestore import store_for

    assert store_for({"FILES_DIR": str(tmp_path / "files")}).root == tmp_path / "files"
    own = LocalStore(tmp_path / "other")
    assert store_for(SimpleNamespace(store=own)) is own
