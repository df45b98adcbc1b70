"""The letter and campaign commands (and campaigns queued for the job runner)."""
import io
import shutil
import zipfile

import docx
import pypdf

from foia import agencies, jobs, requests
from foia import db as db_module
from foia.cli import main


def setup_db(instance, runner):
    runner("init")
    database = db_module.connect(str(instance / "foia.db"))
    for i, state in enumerate(("PA", "GA", "GA")):
        agencies.upsert(database, {"name": f"Lakeside Police {i}", "state": state, "kind": "police",
                                   "mailing_address": "9 Lake Rd", "ring_partner_since": "2019-05-01" if i else ""})
    return database


def test_letter_pdf_and_docx(instance, runner, tmp_path):
    database = setup_db(instance, runner)
    request_id = requests.create_request(database, agency_id=1, title="Ring records")
    result = runner.runner.invoke(main, ["letter", str(request_id), "--format", "pdf", "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1 and "requester name is not set" in result.output
    result = runner("settings", "requester", "--name", "Jane Doe", "--address", "1 Press Row\\nPhiladelphia",
                    "--email", "jane@example.org")
    assert result.exit_code == 0 and '"name": "Jane Doe"' in result.output
    assert runner("letter", request_id, "--format", "pdf", "--out", tmp_path / "x.pdf").exit_code == 0
    result = runner("letter", request_id, "--format", "docx", "--out", tmp_path / "x.docx")
    assert result.exit_code == 0
    pdf = " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(tmp_path / "x.pdf").pages)
    paragraphs = [p.text for p in docx.Document(tmp_path / "x.docx").paragraphs if p.text.strip()]
    for words in ("Lakeside Police 0", "Pennsylvania Right-to-Know Law", "Jane Doe"):  # the wording is test_letters'
        assert words in pdf
        assert any(words in p for p in paragraphs)
    squeezed = "".join(pdf.split())
    assert all("".join(p.split()) in squeezed for p in paragraphs)
    assert database.execute("SELECT count(*) FROM letters").fetchone()[0] == 2


def test_letter_errors(instance, runner, tmp_path):
    database = setup_db(instance, runner)
    runner("settings", "requester", "--name", "J", "--address", "A", "--email", "j@example.org")
    request_id = requests.create_request(database, agency_id=1, title="Ring records")
    result = runner.runner.invoke(main, ["letter", "999", "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2 and "No request with id 999" in result.output
    result = runner.runner.invoke(main, ["letter", str(request_id), "--template", "nope", "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1 and "unknown letter template 'nope'" in result.output
    result = runner.runner.invoke(main, ["letter", str(request_id), "--option", "rolling=maybe", "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1 and "Rolling release: answer yes or no" in result.output
    result = runner.runner.invoke(main, ["settings", "requester", "--email", "not-an-email"])
    assert result.exit_code == 1 and "e-mail address doesn't look right" in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_campaign_create_run_and_letters(instance, runner, tmp_path):
    database = setup_db(instance, runner)
    runner("settings", "requester", "--name", "J", "--address", "A", "--email", "j@example.org")
    result = runner("campaign", "create", "--name", "Georgia partners", "--state", "GA", "--ring-partners",
                    "--kind", "police", "--option", "rolling=no", "--option", "categories=agreement,metrics")
    assert result.exit_code == 0, result.output
    campaign_id = int(result.output.splitlines()[0])
    assert "2 of 2 agencies done, 0 errors" in result.output
    assert runner("campaign", "run", campaign_id).exit_code == 0
    assert database.execute("SELECT count(*) FROM letters").fetchone()[0] == 4
    out = tmp_path / "pdfs"
    result = runner("campaign", "letters", campaign_id, "--format", "pdf", "--out", out)
    assert "2 letters" in result.output and len(list(out.glob("*.pdf"))) == 2
    runner("campaign", "letters", campaign_id, "--format", "docx", "--out", tmp_path / "all.zip")
    assert len(zipfile.ZipFile(tmp_path / "all.zip").namelist()) == 2
    shown = runner("campaign", "show", campaign_id).output
    assert '"done": 2' in shown and '"status": "done"' in shown
    assert runner("campaign", "list").output.split()[:3] == [str(campaign_id), "done", "2/2"]
    text = pypdf.PdfReader(io.BytesIO(next(out.glob("*.pdf")).read_bytes())).pages[0].extract_text()
    assert "O.C.G.A." in text and "rolling basis" not in text


def test_campaign_errors(instance, runner):
    setup_db(instance, runner)
    result = runner.runner.invoke(main, ["campaign", "create", "--name", "x", "--state", "WY"])
    assert result.exit_code == 1 and "No agencies match" in result.output
    result = runner.runner.invoke(main, ["campaign", "run", "42"])
    assert result.exit_code == 2 and "No campaign with id 42" in result.output


def test_campaign_queued_for_the_runner(instance, runner):
    database = setup_db(instance, runner)
    runner("settings", "requester", "--name", "J", "--address", "A", "--email", "j@example.org")
    result = runner("campaign", "create", "--name", "Georgia", "--state", "GA", "--no-wait")
    campaign_id = int(result.output.splitlines()[0])
    assert f"Campaign {campaign_id} is queued as job 1" in result.output
    assert database.execute("SELECT count(*) FROM letters").fetchone()[0] == 0
    assert '"status": "queued"' in runner("campaign", "show", campaign_id).output
    assert runner("campaign", "run", campaign_id, "--no-wait").output.startswith(f"Campaign {campaign_id} is queued as job 1;")
    result = runner("jobs", "run-once")
    assert "job 1 (campaign.letters), attempt 1: done" in result.output and "1 job run." in result.output
    assert database.execute("SELECT count(*) FROM letters").fetchone()[0] == 4
    # Run again with --wait (the default): a new run that finds nothing left to do.
    result = runner("campaign", "run", campaign_id)
    assert "2 of 2 agencies done, 0 errors" in result.output
    assert database.execute("SELECT count(*) FROM letters").fetchone()[0] == 4
    assert [j["state"] for j in jobs.listing(database)] == ["done", "done"]


def test_campaign_run_reports_a_failed_run(instance, runner):
    database = setup_db(instance, runner)
    runner("settings", "requester", "--name", "J", "--address", "A", "--email", "j@example.org")
    campaign_id = int(runner("campaign", "create", "--name", "G", "--state", "GA", "--no-run").output.split()[0])
    # The file store's folder is not a folder: the run fails, is queued for a retry, and says so.
    files_dir = instance / "files"
    if files_dir.is_dir():
        shutil.rmtree(files_dir)
    files_dir.write_text("not a folder")
    result = runner.runner.invoke(main, ["campaign", "run", str(campaign_id)])
    assert result.exit_code == 1
    assert "The run failed (attempt 1 of 5): NotADirectoryError" in result.output
    assert "foia jobs retry 1" in result.output
    job = jobs.get(database, 1)
    assert job["state"] == "queued" and job["run_after"] == "2026-09-15T10:00:30"
    assert "0 jobs run." in runner("jobs", "run-once").output  # it waits out its backoff
    files_dir.unlink()
    assert runner("jobs", "retry", 1).exit_code == 0  # now
    assert "job 1 (campaign.letters), attempt 2: done" in runner("jobs", "run-once").output
    assert database.execute("SELECT count(*) FROM letters").fetchone()[0] == 4


def test_help_texts():
    for name in ("letter", "letter-options", "campaign", "jobs", "settings"):
        command = main.commands[name]
        assert command.help
        for sub in getattr(command, "commands", {}).values():
            assert sub.help, sub.name
