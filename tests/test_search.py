"""Full-text search: ranking, highlighted HTML-safe snippets, filters, hostile queries."""
import io

import pytest

from foia import agencies, documents, requests
from foia.errors import Invalid
from foia.filestore import LocalStore
from foia.web.documents import highlight


@pytest.fixture
def env(db, instance):
    store = LocalStore(instance / "files")
    or_agency, _ = agencies.upsert(db, {"name": "Springfield Police Department", "state": "OR"})
    tx_agency, _ = agencies.upsert(db, {"name": "Austin Police Department", "state": "TX"})
    r_or = requests.create_request(db, agency_id=or_agency, title="Ring records, Springfield", filed_on="2026-08-01")
    r_tx = requests.create_request(db, agency_id=tx_agency, title="Ring records, Austin", filed_on="2026-08-01")

    def add(request_id, text, name, **kw):
        return documents.add_document(db, store, request_id, io.BytesIO(text.encode()), name, **kw).id

    ids = {
        "mou": add(r_or, "Memorandum of understanding. The parties agree to share camera footage.", "mou.txt",
                   received_on="2026-08-10"),
        "invoice": add(r_or, "INVOICE. Amount due for the Neighbors portal: $0. Bill to Springfield.", "inv.txt",
                       received_on="2026-08-20"),
        "log": add(r_tx, "Video request log. Request ID 1: footage requested from camera owners.", "log.txt",
                   received_on="2026-09-01"),
        "xss": add(r_tx, "Beware 1 < 2 && <img src=x onerror=alert(1)> <i>footage</i> markup", "odd.txt",
                   received_on="2026-09-02"),
        "footage_title": add(r_tx, "Nothing else here.", "footage.txt", title="Footage", received_on="2026-09-03"),
    }
    return {"db": db, "ids": ids, "or_agency": or_agency, "tx_agency": tx_agency, "r_or": r_or}


def ids_of(results):
    return [h["id"] for h in results.hits]


def test_finds_a_word_and_highlights_it(env):
    results = documents.search(env["db"], "memorandum")
    assert ids_of(results) == [env["ids"]["mou"]] and results.total == 1
    hit = results.hits[0]
    assert ("Memorandum", True) in hit["snippet_parts"]
    assert "<mark>Memorandum</mark>" in highlight(hit["snippet_parts"])
    assert hit["snippet"].startswith("Memorandum of understanding")
    assert hit["agency_name"] == "Springfield Police Department" and hit["request_title"] == "Ring records, Springfield"


def test_snippets_are_html_safe(env):
    results = documents.search(env["db"], "beware")
    snippet = str(highlight(results.hits[0]["snippet_parts"]))
    assert "<img" not in snippet and "<i>" not in snippet
    assert "&lt;img src=x onerror=alert(1)&gt;" in snippet and "&amp;&amp;" in snippet
    assert "<mark>Beware</mark>" in snippet


def test_title_match_ranks_above_text_match(env):
    results = documents.search(env["db"], "footage")
    assert results.total == 4
    assert ids_of(results)[0] == env["ids"]["footage_title"]


def test_stemming_and_prefix_and_phrases(env):
    db = env["db"]
    assert env["ids"]["log"] in ids_of(documents.search(db, "requests"))  # porter: requests ~ request
    assert ids_of(documents.search(db, "memo*")) == [env["ids"]["mou"]]
    assert ids_of(documents.search(db, '"camera owners"')) == [env["ids"]["log"]]
    assert ids_of(documents.search(db, '"owners camera"')) == []


def test_or_and_exclusion(env):
    db, ids = env["db"], env["ids"]
    assert set(ids_of(documents.search(db, "invoice OR memorandum"))) == {ids["mou"], ids["invoice"]}
    assert ids["log"] not in ids_of(documents.search(db, "footage -camera"))
    assert ids["mou"] not in ids_of(documents.search(db, "footage -camera"))


def test_agency_name_and_state_are_searchable(env):
    db, ids = env["db"], env["ids"]
    assert set(ids_of(documents.search(db, "austin"))) == {ids["log"], ids["xss"], ids["footage_title"]}
    assert set(ids_of(documents.search(db, "TX"))) == {ids["log"], ids["xss"], ids["footage_title"]}


@pytest.mark.parametrize("q", [
    '"', '""', "AND", "OR", "NOT", "(", ")", "a:b", "title:x", "*", "foo*bar", "NEAR(a b)", "-", "--",
    "'; DROP TABLE documents; --", "^start", "a\x00b", "\u202e", "x" * 600, '"unterminated phrase',
    "footage AND OR NOT", "+", "{col}: x",
])
def test_hostile_queries_never_crash(env, q):
    results = documents.search(env["db"], q)
    assert results.total >= 0
    assert env["db"]["documents"].count == 5


def test_filters(env):
    db, ids = env["db"], env["ids"]
    assert set(ids_of(documents.search(db, "footage", state="or"))) == {ids["mou"]}
    assert set(ids_of(documents.search(db, "", agency_id=env["or_agency"]))) == {ids["mou"], ids["invoice"]}
    assert ids_of(documents.search(db, "", doc_type="invoice")) == [ids["invoice"]]
    assert set(ids_of(documents.search(db, "", date_from="2026-08-15", date_to="2026-09-01"))) == \
        {ids["invoice"], ids["log"]}
    with pytest.raises(Invalid, match="not a date"):
        documents.search(db, "", date_from="last week")


def test_published_only(env):
    db, ids = env["db"], env["ids"]
    assert documents.search(db, "footage", published_only=True).total == 0
    documents.publish(db, ids["log"])
    assert ids_of(documents.archive(db, "footage")) == [ids["log"]]
    assert ids_of(documents.archive(db)) == [ids["log"]]


def test_without_words_lists_newest_first(env):
    results = documents.search(env["db"], "")
    assert results.total == 5 and ids_of(results)[0] == env["ids"]["footage_title"]


def test_pages(env):
    db = env["db"]
    first = documents.search(db, "", per_page=2)
    third = documents.search(db, "", per_page=2, page=3)
    beyond = documents.search(db, "footage", per_page=2, page=9)
    assert first.total == 5 and first.pages == 3 and len(third.hits) == 1
    assert beyond.hits == [] and beyond.total == 4


@pytest.mark.parametrize("q, expected", [
    ("ring video", '"ring" "video"'),
    ('"video request" log*', '"video request" "log"*'),
    ("mou OR agreement", '"mou" OR "agreement"'),
    ("footage -camera", '("footage") NOT "camera"'),
    ('say "hi', '"say" "hi"'),
    ('a"b', '"a""b"'),
    ("OR -x", ""),
    ("", ""),
])
def test_fts_query(q, expected):
    assert documents.fts_query(q) == expected


def test_too_many_matches_are_listed_newest_first(env):
    db, ids = env["db"], env["ids"]
    broad = documents.search(db, "footage", rank_limit=2)
    assert not broad.ranked and broad.total == 4
    assert ids_of(broad) == sorted([ids["mou"], ids["log"], ids["xss"], ids["footage_title"]], reverse=True)
    assert any(marked for _, marked in broad.hits[0]["snippet_parts"])
    filtered = documents.search(db, "footage", state="OR", rank_limit=2)
    assert filtered.total == 1 and ids_of(filtered) == [ids["mou"]]
    assert documents.search(db, "footage", rank_limit=10).ranked
