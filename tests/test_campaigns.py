"""Campaigns: many agencies, one request and two letters each, run as a job: resumable (even after
its runner is killed), in parallel."""
import datetime as dt
import io
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pypdf
import pytest

from foia import agencies, campaigns, jobs, letters
from foia.errors import Invalid, NotFound

ROOT = Path(__file__).resolve().parent.parent

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


def instance_of(app):
    """What the job runner hands the handlers: the app's instance."""
    return app.extensions["foia"]


@pytest.mark.slow
def test_thirty_agencies_three_states(app, cdb):
    store = Path(app.config["FILES_DIR"])
    campaign_id = campaigns.create(cdb, name="Ring partnerships 2026", template="ring-partnership",
                                   states=["pa", "CA", "FL"], options={"date_from": "2018-01-01"})
    assert campaigns.get(cdb, campaign_id)["total"] == 30
    assert campaigns.progress(cdb, campaign_id)["status"] == "pending"
    job_id = campaigns.start(cdb, campaign_id, workers=2)
    assert campaigns.progress(cdb, campaign_id)["status"] == "queued"
    seen = []
    outcome = jobs.run_one(instance_of(app), job_id, listener=lambda done, total, message: seen.append((done, total)))
    assert (outcome.state, outcome.attempts) == ("done", 1)
    result = campaigns.progress(cdb, campaign_id)
    assert result["status"] == "done" and result["done"] == 30 and result["errors"] == []
    assert result["letters"] == {"pdf": 30, "docx": 30} and result["finished_at"] == "2026-09-15T10:00:00"
    assert seen[-1] == (30, 30) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert jobs.get(cdb, job_id)["result"] == {"done": 30, "errors": 0, "total": 30}
    assert counts(cdb) == (30, 60)
    rows = campaigns.campaign_letters(cdb, campaign_id)
    assert sorted({(r["agency_state"], r["format"]) for r in rows}) == sorted(
        (s, f) for s in STATES for f in ("pdf", "docx"))
    # Each letter cites its own state's law.
    for row in [r for r in rows if r["format"] == "pdf"][:6]:
        text = " ".join(pypdf.PdfReader(letters.file_path(row, store)).pages[0].extract_text().split())
        # The law's name, without the abbreviation the letter may leave out: "(CPRA)".
        citation = re.sub(r"\s*\([^)]*\)$", "", cdb["laws"].get(row["agency_state"])["law_name"])
        assert citation in text and row["agency_name"] in text
    requests_rows = list(cdb.query("SELECT * FROM requests WHERE campaign_id = ?", [campaign_id]))
    assert {r["template"] for r in requests_rows} == {"ring-partnership"}
    assert all('"date_from": "2018-01-01"' in r["options"] for r in requests_rows)

    data = campaigns.zip_bytes(cdb, campaign_id, store)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert len(names) == 60 and sum(n.startswith("pdf/") for n in names) == 30
    assert len(zipfile.ZipFile(io.BytesIO(campaigns.zip_bytes(cdb, campaign_id, store, "docx"))).namelist()) == 30

    # Running it again adds nothing.
    again = campaigns.start(cdb, campaign_id, workers=2)
    assert again != job_id and jobs.run_one(instance_of(app), again).state == "done"
    assert campaigns.progress(cdb, campaign_id)["done"] == 30 and counts(cdb) == (30, 60)


@pytest.mark.slow
def test_interrupted_run_resumes_without_duplicates(cdb, tmp_path):
    store = tmp_path / "letters"
    campaign_id = campaigns.create(cdb, name="Ring", template="ring-partnership", states=STATES)

    def interrupt(done, total, errors):
        if done >= 7:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        campaigns.run(cdb, campaign_id, files=store, workers=0, on_progress=interrupt)
    state = campaigns.progress(cdb, campaign_id)
    assert state["status"] == "pending" and 7 <= state["done"] < 30
    requests_made, letters_made = counts(cdb)
    assert requests_made == 30 and 14 <= letters_made < 60
    # A half-made request (PDF only) gets just its DOCX on the re-run.
    half = cdb.execute("SELECT request_id FROM letters GROUP BY request_id LIMIT 1").fetchone()[0]
    cdb.execute("DELETE FROM letters WHERE request_id = ? AND format = 'docx'", [half])

    result = campaigns.run(cdb, campaign_id, files=store, workers=2)
    assert result["done"] == 30 and result["letters"] == {"pdf": 30, "docx": 30}
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
    with pytest.raises(Invalid, match="matches 2 agencies") as raised:
        campaigns.select_agencies(cdb, pasted="Town 5 Police Department")
    assert raised.value.field == "pasted"
    assert len(campaigns.select_agencies(cdb, pasted="Town 5 Police Department (GA)")) == 1
    with pytest.raises(Invalid, match="'Nowhere PD' matches no agency"):
        campaigns.create(cdb, name="x", template="ring-partnership", pasted="Nowhere PD")


@pytest.mark.parametrize("given, field, message", [
    ({"name": " ", "states": ["PA"]}, "name", "needs a name"),
    ({"template": "nope", "states": ["PA"]}, "template", "no letter template 'nope'"),
    ({"states": ["WY"]}, "states", "No agencies match"),
    ({"states": ["ZZ"]}, "states", "Unknown state"),
    ({"states": ["PA"], "options": {"fee_ceiling": "lots"}}, None, "Fee limit: “lots” is not an amount of dollars"),
])
def test_bad_campaigns(cdb, given, field, message):
    with pytest.raises(Invalid, match=message) as raised:
        campaigns.create(cdb, **{"name": "x", "template": "ring-partnership", **given})
    if field:
        assert raised.value.field == field
    assert cdb.execute("SELECT count(*) FROM campaigns").fetchone()[0] == 0


def test_errors_are_listed_per_agency(app, cdb):
    cdb["settings"].delete("requester")
    campaign_id = campaigns.create(cdb, name="x", template="ring-partnership", states=["PA"])
    campaigns.start(cdb, campaign_id, workers=0)
    assert [o.state for o in jobs.run_once(instance_of(app))] == ["done"]
    result = campaigns.progress(cdb, campaign_id)
    assert result["status"] == "done" and result["done"] == 0 and len(result["errors"]) == 10
    assert result["errors"][0]["agency"].endswith("(PA)")
    assert "requester name is not set" in result["errors"][0]["error"]
    assert result["job"]["message"] == "0 of 10 agencies done, 10 errors"
    letters.save_requester(cdb, REQUESTER)
    campaigns.start(cdb, campaign_id, workers=0)
    assert [o.state for o in jobs.run_once(instance_of(app))] == ["done"]
    result = campaigns.progress(cdb, campaign_id)
    assert result["done"] == 10 and result["errors"] == []


def test_start_queues_one_run_per_campaign_and_fixes_the_letter_date(app, cdb):
    campaign_id = campaigns.create(cdb, name="x", template="ring-partnership", pasted="Town 1 Police Department")
    job_id = campaigns.start(cdb, campaign_id)
    assert campaigns.start(cdb, campaign_id) == job_id  # already queued: the same run
    job = jobs.get(cdb, job_id)
    assert (job["kind"], job["key"]) == ("campaign.letters", f"campaign:{campaign_id}")
    assert job["payload"] == {"campaign_id": campaign_id, "letter_date": "2026-09-15"}
    assert counts(cdb) == (0, 0)  # nothing is made until a runner takes the job
    assert campaigns.all_campaigns(cdb)[0]["status"] == "queued"
    # A runner on a later day still dates the letters as of the day the run was asked for.
    outcomes = jobs.run_once(instance_of(app), now=dt.datetime(2026, 9, 17, 9, 0))
    assert [o.state for o in outcomes] == ["done"]
    assert campaigns.all_campaigns(cdb)[0]["status"] == "done"
    pdf = campaigns.campaign_letters(cdb, campaign_id, "pdf")[0]
    text = pypdf.PdfReader(letters.file_path(pdf, app.config["FILES_DIR"])).pages[0].extract_text()
    assert "September 15, 2026" in text
    with pytest.raises(NotFound, match="No campaign with id 99"):
        campaigns.start(cdb, 99)


@pytest.fixture
def wclient(client, cdb):
    return client


def test_web_campaign_flow(app, wclient, cdb):
    assert wclient.get("/campaigns/").status_code == 200
    form = wclient.get("/campaigns/new")
    assert form.status_code == 200 and b'name="categories" value="oversight"' in form.data
    bad = wclient.post("/campaigns/new", data={"name": "x", "template": "ring-partnership", "states": ["WY"],
                                               "options_form": "1", "categories": ["agreement"]})
    assert bad.status_code == 422 and b"No agencies match" in bad.data
    made = wclient.post("/campaigns/new", data={
        "name": "Partners", "template": "ring-partnership", "ring_partners": "1", "options_form": "1",
        "categories": ["agreement", "communications"], "rolling": "1", "step": "create",
    })
    assert made.status_code == 303
    campaign_id = int(made.headers["Location"].rstrip("/").split("/")[-1])
    # The web only queued the run: nothing is made until the job runner takes it.
    state = wclient.get(f"/campaigns/{campaign_id}/progress").get_json()
    assert (state["status"], state["done"], state["total"], state["letters"]) == ("queued", 0, 4, {"pdf": 0, "docx": 0})
    assert counts(cdb) == (0, 0)
    page = wclient.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert "Waiting for the background runner to start." in page
    assert [o.state for o in jobs.run_once(instance_of(app))] == ["done"]
    state = wclient.get(f"/campaigns/{campaign_id}/progress").get_json()
    assert (state["status"], state["done"], state["total"], state["errors"]) == ("done", 4, 4, [])
    assert state["letters"] == {"pdf": 4, "docx": 4} and state["job"]["state"] == "done"
    page = wclient.get(f"/campaigns/{campaign_id}")
    assert b"4</span> of <span data-field=\"total\">4" in page.data and b"Refresh" in page.data
    assert b"<script>" not in page.data.replace(b'<script src="/static/campaigns.js" defer></script>', b"")
    archive = wclient.get(f"/campaigns/{campaign_id}/letters.zip?format=pdf")
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    assert len(zipfile.ZipFile(io.BytesIO(archive.data)).namelist()) == 4
    archive.close()
    assert wclient.get(f"/campaigns/{campaign_id}/letters.zip?format=odt").status_code == 422
    assert wclient.get("/campaigns/999").status_code == 404
    assert wclient.get("/campaigns/999/progress").status_code == 404
    resumed = wclient.post(f"/campaigns/{campaign_id}/run")
    assert resumed.status_code == 303
    assert wclient.post(f"/campaigns/{campaign_id}/run").status_code == 303  # already queued: the same job
    assert [o.state for o in jobs.run_once(instance_of(app))] == ["done"]
    assert counts(cdb) == (4, 8)
    assert len(jobs.listing(cdb, kind="campaign.letters")) == 2


def test_double_submitted_campaign_form_creates_one_campaign(app, wclient, cdb):
    form = {"name": "Twice", "template": "ring-partnership", "ring_partners": "1", "options_form": "1",
            "categories": ["agreement"], "form_key": "same-key", "step": "create"}
    first = wclient.post("/campaigns/new", data=form)
    second = wclient.post("/campaigns/new", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert cdb.execute("SELECT count(*) FROM campaigns WHERE name = 'Twice'").fetchone()[0] == 1
    campaign_id = int(first.headers["Location"].rstrip("/").split("/")[-1])
    assert len(jobs.listing(cdb)) == 1
    assert [o.state for o in jobs.run_once(instance_of(app))] == ["done"]
    per_agency = cdb.execute("SELECT max(n) FROM (SELECT count(*) AS n FROM requests WHERE campaign_id = ? "
                             "GROUP BY agency_id)", [campaign_id]).fetchone()[0]
    assert per_agency == 1


def session_processes(session_id: int) -> list[int]:
    """Live processes of a session (a runner started with ``start_new_session`` and its workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split() if entry.name.isdigit() else None
        except (FileNotFoundError, ProcessLookupError):
            continue
        if fields and int(fields[3]) == session_id and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


def per_request_letters(db, campaign_id):
    return db.execute(
        """SELECT r.agency_id, count(DISTINCT r.id),
                  (SELECT count(*) FROM letters l WHERE l.request_id = max(r.id) AND l.format = 'pdf'),
                  (SELECT count(*) FROM letters l WHERE l.request_id = max(r.id) AND l.format = 'docx')
           FROM requests r WHERE r.campaign_id = ? GROUP BY r.agency_id""", [campaign_id]).fetchall()


@pytest.mark.slow
def test_campaign_survives_its_runner_killed_mid_way(app, cdb, instance):
    """`foia jobs run-once` is killed with SIGKILL mid-campaign; a second runner finishes it with
    exactly one request per agency and exactly one PDF and one DOCX per request."""
    campaign_id = campaigns.create(cdb, name="Ring partnerships", template="ring-partnership", states=STATES)
    job_id = campaigns.start(cdb, campaign_id, workers=2)
    env = dict(os.environ, FOIA_INSTANCE=str(instance), FOIA_NOW="2026-09-15T10:00:00", PYTHONPATH=str(ROOT))
    log = instance / "runner.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "foia.cli", "jobs", "run-once"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while jobs.get(cdb, job_id)["progress_done"] < 8:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)
            assert proc.wait(10) == -signal.SIGKILL
            # Its letter workers notice and exit, instead of waiting for work for ever.
            deadline = time.monotonic() + 15
            while session_processes(proc.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert session_processes(proc.pid) == []
        finally:
            try:  # if the test failed half-way: no process of it is left behind
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)
    job = jobs.get(cdb, job_id)
    made_before = counts(cdb)
    assert job["state"] == "running" and job["attempts"] == 1 and 8 <= job["progress_done"] < 30
    assert made_before[0] == 30 and 16 <= made_before[1] < 60
    assert campaigns.progress(cdb, campaign_id)["status"] == "running"

    # Until the dead runner's lease runs out, nobody else takes the job; then the next runner does.
    assert jobs.run_once(instance_of(app)) == []
    outcomes = jobs.run_once(instance_of(app), now=dt.datetime(2026, 9, 15, 10, 0) + jobs.LEASE + dt.timedelta(seconds=1))
    assert [(o.id, o.state, o.attempts) for o in outcomes] == [(job_id, "done", 2)]
    state = campaigns.progress(cdb, campaign_id)
    assert (state["status"], state["done"], state["total"], state["errors"]) == ("done", 30, 30, [])
    assert counts(cdb) == (30, 60)
    rows = per_request_letters(cdb, campaign_id)
    assert len(rows) == 30 and all(row[1:] == (1, 1, 1) for row in rows)
    for row in campaigns.campaign_letters(cdb, campaign_id):
        assert letters.file_path(row, app.config["FILES_DIR"]).stat().st_size == row["size"]


@pytest.mark.slow
def test_cli_run_follows_a_run_held_by_another_runner(app, cdb, instance, runner):
    """`foia campaign run` while the scheduler (here: another process) runs the campaign: it does not
    run it a second time, it shows that runner's progress until the run is done."""
    campaign_id = campaigns.create(cdb, name="Ring", template="ring-partnership", states=["PA"])
    job_id = campaigns.start(cdb, campaign_id, workers=0)
    env = dict(os.environ, FOIA_INSTANCE=str(instance), FOIA_NOW="2026-09-15T10:00:00", PYTHONPATH=str(ROOT))
    other = subprocess.Popen([sys.executable, "-m", "foia.cli", "jobs", "run-once"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while jobs.get(cdb, job_id)["state"] != "running":
            assert other.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        result = runner("campaign", "run", campaign_id)
        assert "Campaign 1: 10 of 10 agencies done, 0 errors." in result.output
    finally:
        out, _ = other.communicate(timeout=60)
    assert f"job {job_id} (campaign.letters), attempt 1: done" in out
    job = jobs.get(cdb, job_id)
    assert (job["state"], job["attempts"]) == ("done", 1)  # run once, by the other runner
    assert len(jobs.listing(cdb)) == 1 and counts(cdb) == (10, 20)
