"""Campaigns: many agencies, one request and two letters each, resumable, in parallel."""
import io
import time
import zipfile

import pypdf
import pytest

from foia import agencies, campaigns, letters

STATES = ("PA", "CA", "FL")
REQUESTER = {"name": "Jane Doe", "address": "1 Press Row\nPhiladelphia, PA 19103", "email": "jane@example.org"}


@pytest.fixture
def cdb(db):
    letters.save_requester(db, REQUESTER)
    for i in range(30):
        agencies.upsert(db, {
            "name": f"Town {i} Police Department", "state": STATES[i % 3], "kind": "police" if i % 5 else "sheriff",
            "mailing_address": f"{i} Main St", "ring_partner_since": "2020-01-01" if i < 4 else "",
        })
    return db


def counts(db):
    return (
        db.execute("SELECT count(*) FROM requests").fetchone()[0],
        db.execute("SELECT count(*) FROM letters").fetchone()[0],
    )


@pytest.mark.slow
def test_thirty_agencies_three_states(cdb, tmp_path):
    store = tmp_path / "letters"
    campaign_id = campaigns.create(cdb, name="Ring partnerships 2026", template="ring-partnership",
                                   states=["pa", "CA", "FL"], options={"date_from": "2018-01-01"})
    assert campaigns.get(cdb, campaign_id)["total"] == 30
    seen = []
    result = campaigns.run(cdb, campaign_id, letters_dir=store, workers=2,
                           on_progress=lambda done, total, errors: seen.append((done, total)))
    assert result["status"] == "done" and result["done"] == 30 and result["errors"] == []
    assert seen[-1] == (30, 30) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert counts(cdb) == (30, 60)
    rows = campaigns.campaign_letters(cdb, campaign_id)
    assert sorted({(r["agency_state"], r["format"]) for r in rows}) == sorted(
        (s, f) for s in STATES for f in ("pdf", "docx"))
    # Each letter cites its own state's law.
    for row in [r for r in rows if r["format"] == "pdf"][:6]:
        text = " ".join(pypdf.PdfReader(letters.file_path(row, store)).pages[0].extract_text().split())
        citation = cdb["laws"].get(row["agency_state"])["law_name"]
        assert citation in text and row["agency_name"] in text
    requests_rows = list(cdb.query("SELECT * FROM requests WHERE campaign_id = ?", [campaign_id]))
    assert {r["template"] for r in requests_rows} == {"ring-partnership"}
    assert all('"date_from": "2018-01-01"' in r["options"] for r in requests_rows)

    data = campaigns.zip_bytes(cdb, campaign_id, store)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert len(names) == 60 and sum(n.startswith("pdf/") for n in names) == 30
    assert len(zipfile.ZipFile(io.BytesIO(campaigns.zip_bytes(cdb, campaign_id, store, "docx"))).namelist()) == 30

    # Running it again adds nothing.
    again = campaigns.run(cdb, campaign_id, letters_dir=store, workers=2)
    assert again["done"] == 30 and counts(cdb) == (30, 60)


@pytest.mark.slow
def test_interrupted_run_resumes_without_duplicates(cdb, tmp_path):
    store = tmp_path / "letters"
    campaign_id = campaigns.create(cdb, name="Ring", template="ring-partnership", states=STATES)

    def interrupt(done, total, errors):
        if done >= 7:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        campaigns.run(cdb, campaign_id, letters_dir=store, workers=0, on_progress=interrupt)
    state = campaigns.progress(cdb, campaign_id)
    assert state["status"] == "interrupted" and 7 <= state["done"] < 30
    requests_made, letters_made = counts(cdb)
    assert requests_made == 30 and 14 <= letters_made < 60
    # A half-made request (PDF only) gets just its DOCX on the re-run.
    half = cdb.execute("SELECT request_id FROM letters GROUP BY request_id LIMIT 1").fetchone()[0]
    cdb.execute("DELETE FROM letters WHERE request_id = ? AND format = 'docx'", [half])

    result = campaigns.run(cdb, campaign_id, letters_dir=store, workers=2)
    assert result["status"] == "done" and result["done"] == 30
    assert counts(cdb) == (30, 60)
    assert cdb.execute("SELECT count(*) FROM (SELECT DISTINCT request_id, format FROM letters)").fetchone()[0] == 60


def test_selection_by_kind_partner_and_pasted_list(cdb):
    ids = campaigns.select_agencies(cdb, ring_partners=True)
    assert len(ids) == 4
    sheriffs = campaigns.select_agencies(cdb, kind="sheriff", states=["PA"])
    assert sheriffs and all(cdb["agencies"].get(i)["kind"] == "sheriff" for i in sheriffs)
    first = cdb["agencies"].get(ids[0])
    pasted = f"{first['id']}\nTown 5 Police Department\nTown 7 police department, {STATES[7 % 3]}\n\n"
    chosen = campaigns.select_agencies(cdb, pasted=pasted)
    assert len(chosen) == 3 and chosen[0] == first["id"]
    agencies.upsert(cdb, {"name": "Town 5 Police Department", "state": "GA", "kind": "police"})
    with pytest.raises(campaigns.CampaignError, match="matches 2 agencies"):
        campaigns.select_agencies(cdb, pasted="Town 5 Police Department")
    assert len(campaigns.select_agencies(cdb, pasted="Town 5 Police Department (GA)")) == 1
    with pytest.raises(campaigns.CampaignError, match="'Nowhere PD' matches no agency"):
        campaigns.create(cdb, name="x", template="ring-partnership", pasted="Nowhere PD")


def test_bad_campaigns(cdb):
    with pytest.raises(campaigns.CampaignError, match="needs a name"):
        campaigns.create(cdb, name=" ", template="ring-partnership", states=["PA"])
    with pytest.raises(campaigns.CampaignError, match="unknown letter template 'nope'"):
        campaigns.create(cdb, name="x", template="nope", states=["PA"])
    with pytest.raises(campaigns.CampaignError, match="no agencies match"):
        campaigns.create(cdb, name="x", template="ring-partnership", states=["WY"])
    with pytest.raises(campaigns.CampaignError, match="unknown state"):
        campaigns.create(cdb, name="x", template="ring-partnership", states=["ZZ"])
    with pytest.raises(campaigns.CampaignError, match="option fee_ceiling"):
        campaigns.create(cdb, name="x", template="ring-partnership", states=["PA"], options={"fee_ceiling": "lots"})
    assert cdb.execute("SELECT count(*) FROM campaigns").fetchone()[0] == 0


def test_errors_are_listed_per_agency(cdb, tmp_path):
    cdb["settings"].delete("requester")
    campaign_id = campaigns.create(cdb, name="x", template="ring-partnership", states=["PA"])
    result = campaigns.run(cdb, campaign_id, letters_dir=tmp_path / "letters", workers=0)
    assert result["status"] == "done" and result["done"] == 0 and len(result["errors"]) == 10
    assert result["errors"][0]["agency"].endswith("(PA)")
    assert "requester name is not set" in result["errors"][0]["error"]
    letters.save_requester(cdb, REQUESTER)
    result = campaigns.run(cdb, campaign_id, letters_dir=tmp_path / "letters", workers=0)
    assert result["done"] == 10 and result["errors"] == []


def test_run_in_background(app, cdb):
    campaign_id = campaigns.create(cdb, name="x", template="ring-partnership", pasted="Town 1 Police Department")
    thread = campaigns.run_in_background(app.config, campaign_id)
    assert thread is not None
    assert campaigns.run_in_background(app.config, campaign_id) is None  # already running here
    thread.join(120)
    assert not thread.is_alive()
    state = campaigns.progress(cdb, campaign_id)
    assert (state["status"], state["done"], state["total"]) == ("done", 1, 1)
    assert not campaigns.is_running_here(campaign_id)


@pytest.fixture
def wclient(client, cdb):
    return client


def test_web_campaign_flow(wclient, cdb):
    assert wclient.get("/campaigns/").status_code == 200
    form = wclient.get("/campaigns/new")
    assert form.status_code == 200 and b'name="categories" value="oversight"' in form.data
    bad = wclient.post("/campaigns/new", data={"name": "x", "template": "ring-partnership", "states": ["WY"],
                                               "options_form": "1", "categories": ["agreement"]})
    assert bad.status_code == 400 and b"no agencies match" in bad.data
    made = wclient.post("/campaigns/new", data={
        "name": "Partners", "template": "ring-partnership", "ring_partners": "1", "options_form": "1",
        "categories": ["agreement", "communications"], "rolling": "1",
    })
    assert made.status_code == 303
    campaign_id = int(made.headers["Location"].rstrip("/").split("/")[-1])
    deadline = time.time() + 120
    while True:
        state = wclient.get(f"/campaigns/{campaign_id}/progress").get_json()
        if state["status"] not in ("pending", "running") or time.time() > deadline:
            break
        time.sleep(0.2)
    assert (state["status"], state["done"], state["total"], state["errors"]) == ("done", 4, 4, [])
    page = wclient.get(f"/campaigns/{campaign_id}")
    assert b"4</span> of <span data-field=\"total\">4" in page.data and b"Refresh" in page.data
    assert b"<script>" not in page.data.replace(b'<script src="/static/campaigns.js" defer></script>', b"")
    archive = wclient.get(f"/campaigns/{campaign_id}/letters.zip?format=pdf")
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    assert len(zipfile.ZipFile(io.BytesIO(archive.data)).namelist()) == 4
    archive.close()
    assert wclient.get(f"/campaigns/{campaign_id}/letters.zip?format=odt").status_code == 400
    assert wclient.get("/campaigns/999").status_code == 404
    resumed = wclient.post(f"/campaigns/{campaign_id}/run")
    assert resumed.status_code == 303
    for _ in range(600):
        if not campaigns.is_running_here(campaign_id):
            break
        time.sleep(0.1)
    assert counts(cdb) == (4, 8)


def test_double_submitted_campaign_form_creates_one_campaign(wclient, cdb):
    form = {"name": "Twice", "template": "ring-partnership", "ring_partners": "1", "options_form": "1",
            "categories": ["agreement"], "form_key": "same-key"}
    first = wclient.post("/campaigns/new", data=form)
    second = wclient.post("/campaigns/new", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert cdb.execute("SELECT count(*) FROM campaigns WHERE name = 'Twice'").fetchone()[0] == 1
    campaign_id = int(first.headers["Location"].rstrip("/").split("/")[-1])
    deadline = time.time() + 120
    while wclient.get(f"/campaigns/{campaign_id}/progress").get_json()["status"] in ("pending", "running"):
        assert time.time() < deadline
        time.sleep(0.2)
    per_agency = cdb.execute("SELECT max(n) FROM (SELECT count(*) AS n FROM requests WHERE campaign_id = ? "
                             "GROUP BY agency_id)", [campaign_id]).fetchone()[0]
    assert per_agency == 1
