"""Full-text search over documents (SQLite FTS5), returning data: rows, counts and snippets.

A snippet is a list of ``(text, matched)`` parts; turning it into HTML (``<mark>``) is the web
layer's job. Snippets are cut from a bounded window of each hit's text around the first match,
found with one regular-expression scan of at most :data:`SNIPPET_SCAN` characters, so a page of
results costs the same whatever the documents hold. (FTS5's own ``snippet()`` scores every
possible window and took seconds per hit on a 1 MB text repeating one word 58,000 times.)

The SQL is tuned and benchmarked (``bench/documents.py``), which is why it is written by hand.
"""
import dataclasses
import re

from ..errors import Invalid
from .checks import check_date

PER_PAGE = 20
FTS_WEIGHTS = "10.0, 5.0, 1.0, 3.0, 2.0"  # bm25 weights, in FTS_COLUMNS order: a title match counts most
# Matches beyond this many are not ranked (bm25 reads every match's positions: ~20 ms for 10,000
# documents of 5 KB); they are listed newest first and the page suggests narrowing the search.
RANK_LIMIT = 1000
SNIPPET_SCAN = 200_000  # characters of a hit's text searched for the words to show
SNIPPET_WIDTH = 240  # characters of text in a snippet
MAX_PAGE = 100_000


def _terms(q: str):
    """``(positives, negatives)``: the query's terms as ``(phrase, prefix)`` pairs."""
    positives: list[tuple[str, bool, bool]] = []  # (phrase, prefix, joined by OR)
    negatives: list[tuple[str, bool]] = []
    pending_or = False
    q = re.sub(r"[\x00-\x1f\x7f]", " ", q or "")
    for match in re.finditer(r'(-?)"([^"]*)"?|(\S+)', q):
        negate, phrase, word = match.group(1), match.group(2), match.group(3)
        if word == "OR":
            pending_or = bool(positives)
            continue
        if word is not None:
            negate = "-" if word.startswith("-") and len(word) > 1 else ""
            phrase = word[1:] if negate else word
        prefix = phrase.endswith("*")
        phrase = phrase.rstrip("*").strip()
        if not re.search(r"\w", phrase):
            continue
        if negate:
            negatives.append((phrase, prefix))
        else:
            positives.append((phrase, prefix, pending_or))
            pending_or = False
    return positives, negatives


def fts_query(q: str) -> str:
    """User words as a safe FTS5 query: every term quoted (so ``AND``, ``(``, ``:`` or a stray
    quote cannot make a syntax error). Kept: ``"exact phrases"``, ``prefix*``, ``OR`` between
    terms and ``-excluded`` terms. Returns ``""`` when nothing searchable is left."""
    positives, negatives = _terms(q)
    if not positives:
        return ""

    def quoted(phrase, prefix):
        return '"' + phrase.replace('"', '""') + '"' + ("*" if prefix else "")

    expression = " ".join(("OR " if joined else "") + quoted(p, x) for p, x, joined in positives)
    if negatives:
        expression = f"({expression}) " + " ".join("NOT " + quoted(p, x) for p, x in negatives)
    return expression


def match_pattern(q: str) -> re.Pattern | None:
    """A regular expression finding the query's words in text, or None. An approximation of the
    index's matching (which stems words): each word matches as the start of a word."""
    positives, _ = _terms(q)
    alternatives = []
    for phrase, _prefix, _joined in positives:
        words = re.findall(r"\w+", phrase)
        if words:
            alternatives.append(r"\W+".join(re.escape(w) for w in words) + r"\w*")
    if not alternatives:
        return None
    alternatives.sort(key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + ")", re.IGNORECASE)


def snippet(text: str, pattern: re.Pattern | None, width: int = SNIPPET_WIDTH) -> list[tuple[str, bool]]:
    """Parts of ``text`` around the first match of ``pattern`` (or its beginning), each
    ``(text, matched)``; whitespace runs become single spaces. Linear in ``SNIPPET_SCAN``."""
    text = text or ""
    first = pattern.search(text, 0, SNIPPET_SCAN) if pattern is not None else None
    start = 0
    if first is not None and first.start() > width // 3:
        start = first.start() - width // 3
        space = text.find(" ", start, first.start())
        start = space + 1 if space != -1 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", max(start, first.end() if first else start), end)
        end = space if space > start else end
    window = " ".join(text[start:end].split())
    parts: list[tuple[str, bool]] = [("… ", False)] if start > 0 else []
    position = 0
    for found in (pattern.finditer(window) if first is not None else ()):
        if found.start() > position:
            parts.append((window[position : found.start()], False))
        parts.append((found.group(0), True))
        position = found.end()
    if position < len(window):
        parts.append((window[position:], False))
    if end < len(text):
        parts.append((" …", False))
    return parts


def plain(parts: list[tuple[str, bool]]) -> str:
    return "".join(part for part, _ in parts)


@dataclasses.dataclass
class Results:
    hits: list
    total: int
    page: int
    per_page: int
    query: str
    ranked: bool = True  # False: too many matches to rank, listed newest first

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


_COLUMNS = (
    "d.id, d.request_id, d.parent_id, d.filename, d.title, d.mime, d.size, d.pages, d.doc_type, "
    "COALESCE(d.doc_type, d.suggested_type) AS effective_type, d.agency_name, d.agency_state, d.received_on, "
    "d.published, d.published_at, d.needs_ocr, r.title AS request_title, r.agency_id"
)


def _bounded_id(value, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid(field, "Choose one from the list.") from None
    if not 0 < number < 2**63:
        raise Invalid(field, "Choose one from the list.")
    return number


def search(db, q: str = "", *, state=None, agency_id=None, doc_type=None, date_from=None, date_to=None,
           published_only: bool = False, request_id=None, page: int = 1, per_page: int = PER_PAGE,
           rank_limit: int = RANK_LIMIT) -> Results:
    """Documents matching ``q`` and the filters, best first, each with a ``snippet`` (plain text)
    and its ``snippet_parts`` (``(text, matched)`` pairs).

    Up to ``rank_limit`` matches (counted among the documents the filters allow, so the public
    archive counts published ones only) are ranked by bm25 (title, then file name, agency and
    state, then text); more are listed newest first (``Results.ranked`` is False). With no words,
    the filtered documents, most recently received first. Removed documents are never listed.
    """
    page = min(max(1, int(page or 1)), MAX_PAGE)
    where, params = [], []
    if state:
        where.append("d.agency_state = ?")
        params.append(str(state).upper())
    if agency_id:
        where.append("r.agency_id = ?")
        params.append(_bounded_id(agency_id, "agency"))
    if request_id:
        where.append("d.request_id = ?")
        params.append(_bounded_id(request_id, "request"))
    if doc_type:
        where.append("COALESCE(d.doc_type, d.suggested_type) = ?")
        params.append(doc_type)
    if date_from:
        where.append("d.received_on >= ?")
        params.append(check_date(date_from, "start date", "from"))
    if date_to:
        where.append("d.received_on <= ?")
        params.append(check_date(date_to, "end date", "to"))
    if published_only:
        where.append("d.published = 1")
    narrowed = bool(where)
    where.append("d.deleted_at IS NULL")  # removed documents are never found
    filters = "".join(" AND " + w for w in where)
    offset = (page - 1) * per_page
    match = fts_query(q)
    joins = "JOIN requests r ON r.id = d.request_id"
    if not match:
        total = db.execute(f"SELECT count(*) FROM documents d {joins} WHERE 1 = 1{filters}", params).fetchone()[0]
        hits = list(db.query(
            f"SELECT {_COLUMNS}, substr(d.text, 1, {SNIPPET_WIDTH}) AS preview FROM documents d {joins} "
            f"WHERE 1 = 1{filters} ORDER BY d.received_on DESC, d.id DESC LIMIT ? OFFSET ?",
            [*params, per_page, offset]))
        for hit in hits:
            parts = snippet(hit.pop("preview") or "", None)
            hit["snippet_parts"], hit["snippet"] = parts, plain(parts)
        return Results(hits=hits, total=total, page=page, per_page=per_page, query=q or "")

    if not narrowed:
        # The index's own count, less the removed documents among the matches (few: the partial
        # index documents_removed drives that probe).
        total = db.execute("SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?", [match]).fetchone()[0]
        total -= db.execute(
            "SELECT count(*) FROM documents d CROSS JOIN documents_fts f ON f.rowid = d.id "
            "WHERE d.deleted_at IS NOT NULL AND documents_fts MATCH ?", [match]).fetchone()[0]
    else:
        total = db.execute(  # driven by the filters' indexes, probing the set of matches
            f"SELECT count(*) FROM documents d {joins} WHERE d.id IN "
            f"(SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?){filters}", [match, *params]).fetchone()[0]
    ranked = total <= rank_limit
    from_fts = f"FROM documents_fts f JOIN documents d ON d.id = f.rowid {joins} WHERE documents_fts MATCH ?{filters}"
    if ranked:
        sql = (f"SELECT {_COLUMNS}, bm25(documents_fts, {FTS_WEIGHTS}) AS score {from_fts} "
               f"ORDER BY score, d.id LIMIT ? OFFSET ?")
    else:
        sql = f"SELECT {_COLUMNS} {from_fts} ORDER BY f.rowid DESC LIMIT ? OFFSET ?"
    hits = list(db.query(sql, [match, *params, per_page, offset])) if offset < total else []
    pattern = match_pattern(q)
    for hit in hits:
        text = db.execute(f"SELECT substr(text, 1, {SNIPPET_SCAN}) FROM documents WHERE id = ?",
                          [hit["id"]]).fetchone()[0]
        parts = snippet(text or "", pattern)
        if not any(marked for _, marked in parts) and pattern is not None and pattern.search(hit["title"] or ""):
            parts = snippet(hit["title"], pattern)  # matched by its title (or file name) only
        hit["snippet_parts"], hit["snippet"] = parts, plain(parts)
    return Results(hits=hits, total=total, page=page, per_page=per_page, query=q or "", ranked=ranked)


def archive(db, q: str = "", *, page: int = 1, per_page: int = PER_PAGE, **filters) -> Results:
    """Published documents only (the public archive)."""
    return search(db, q, published_only=True, page=page, per_page=per_page, **filters)
