"""Reading a PDF or DOCX in a child process with limits on time, CPU and memory.

A crafted file a few KB long can keep pypdf busy for minutes or make it allocate gigabytes; run
in-process, that stalls the web worker or the job runner. :func:`extract_file` starts
a Python child running :func:`_child`, with the stored file as its standard input, and
waits at most ``limits.seconds``; the child sets ``RLIMIT_AS`` and ``RLIMIT_CPU`` on itself before
it reads a byte, and prints the result as JSON. Whatever stops the child (a limit, a crash, a
kill) becomes an :class:`~.extract.Extracted` saying so; nothing here raises for a bad file.
"""
import errno
import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile

from .extract import EXTRACT_LIMITS, ExtractLimits, Extracted, extract, limit_reached


def extract_file(source, mime: str, limits: ExtractLimits = EXTRACT_LIMITS) -> Extracted:
    """The text of the PDF or DOCX ``source`` (a path, or a binary file), read by a child process
    within ``limits``."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            return _run(f, mime, limits)
    try:
        source.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):  # not a real file: spill it to one
        with tempfile.TemporaryFile() as spill:
            source.seek(0)
            shutil.copyfileobj(source, spill)
            return _run(spill, mime, limits)
    return _run(source, mime, limits)


def _run(f, mime: str, limits: ExtractLimits) -> Extracted:
    command = [sys.executable, "-c", CHILD, mime, str(limits.memory), str(limits.cpu_seconds), str(limits.pages)]
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "HOME")}
    f.flush() if f.writable() else None
    os.lseek(f.fileno(), 0, os.SEEK_SET)  # the child reads the descriptor from its start
    try:
        done = subprocess.run(command, stdin=f, capture_output=True, timeout=limits.seconds, env=env, check=False)
    except subprocess.TimeoutExpired:
        return limit_reached(f"time: reading took longer than {limits.seconds:g} seconds")
    if done.returncode == -signal.SIGXCPU or done.returncode == -signal.SIGKILL:
        return limit_reached(f"time: reading used more than {limits.cpu_seconds} seconds of processor time")
    if done.returncode == OUT_OF_MEMORY:
        return limit_reached(f"memory: reading needed more than {limits.memory // (1024 * 1024)} MB")
    if done.returncode != 0:
        return Extracted(error="The file could not be read (the reader stopped unexpectedly).")
    try:
        result = json.loads(done.stdout)
    except ValueError:
        return Extracted(error="The file could not be read (the reader gave no result).")
    return Extracted(**{k: result[k] for k in ("text", "title", "pages", "needs_ocr", "error", "limit")})


CHILD = "import sys; from foia.documents.sandbox import _child; sys.exit(_child(sys.argv[1:]))"
OUT_OF_MEMORY = 3  # the child's exit status when an allocation failed under RLIMIT_AS


def _child(argv: list[str]) -> int:
    mime, memory, cpu, pages = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    try:
        source = os.fdopen(sys.stdin.fileno(), "rb", closefd=False)
        size = os.fstat(source.fileno()).st_size
        result = extract(source, mime, size=size, extract_limits=ExtractLimits(pages=pages))
        payload = json.dumps(result.as_dict())
    except MemoryError:
        return OUT_OF_MEMORY
    except (ImportError, OSError) as e:  # a library that could not be mapped under the limit
        if "failed to map" in str(e) or getattr(e, "errno", None) == errno.ENOMEM:
            return OUT_OF_MEMORY
        raise
    sys.stdout.write(payload)
    sys.stdout.flush()
    return 0


