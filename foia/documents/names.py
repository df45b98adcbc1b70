"""File names: the stored name of an upload, one-line titles, and safe download headers.

Names are normalised with NFKC, so look-alike characters (fullwidth ``．．／``) become the plain
characters they imitate *before* path separators and leading dots are removed: nothing a browser
later folds into ``../`` survives.
"""
import re
import unicodedata
from urllib.parse import quote

MAX_NAME = 180


def _visible(text: str) -> str:
    """``text`` without control and format characters (category C)."""
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")


def safe_filename(name: str, default: str = "document") -> str:
    """The last path component of ``name`` without control or format characters.

    ``../../etc/passwd`` -> ``passwd``; ``C:\\\\x\\\\report.pdf`` -> ``report.pdf``;
    ``．．／．．／x`` -> ``x``; nothing left -> ``default``.
    """
    name = unicodedata.normalize("NFKC", str(name or "")).replace("\\", "/").split("/")[-1]
    name = _visible(name)
    name = re.sub(r'[<>:"|?*]', "_", re.sub(r"\s+", " ", name)).strip().lstrip(".").strip()
    if not name:
        return default
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = stem[: MAX_NAME - 1 - len(ext[:20])] + "." + ext[:20] if dot and len(ext) <= 20 else name[:MAX_NAME]
    return name


def one_line(text) -> str:
    """``text`` without control characters, its whitespace runs made single spaces."""
    return " ".join("".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in str(text or "")).split())


def ascii_filename(name: str, default: str = "document") -> str:
    """A plain-ASCII stand-in for ``name``, for clients that ignore ``filename*``.

    Accents are dropped (``Café.pdf`` -> ``Cafe.pdf``); every other character outside letters, digits,
    ``. _ - ( )`` and space becomes ``_``; there are no path separators and no leading dot.
    """
    name = safe_filename(name, default)
    stem, dot, ext = name.rpartition(".")
    if not dot or not re.fullmatch(r"[A-Za-z0-9]{1,20}", ext):
        stem, ext = name, ""

    def fold(part: str) -> str:
        part = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode("ascii")
        return re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9._() -]", "_", part)).strip(" ._")

    stem = fold(stem) or default
    return f"{stem}.{ext}" if ext else stem


def content_disposition(name: str, *, attachment: bool) -> str:
    """The ``Content-Disposition`` value for a download called ``name``: an ASCII fallback made by
    :func:`ascii_filename`, and the full (NFKC-normalised) name as RFC 5987 ``filename*``."""
    kind = "attachment" if attachment else "inline"
    full = safe_filename(name)
    fallback = ascii_filename(full)
    value = f'{kind}; filename="{fallback}"'
    if full != fallback:
        value += f"; filename*=UTF-8''{quote(full, safe='')}"
    return value
