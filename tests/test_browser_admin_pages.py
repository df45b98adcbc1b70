"""The agency, letter, account, jobs and mail pages in Chromium: each fits a 390 px phone and a 1280 px
laptop with no serious accessibility problem (tests/pagecheck.py), and says things in words."""
import re

import pytest

import pagecheck
from conftest import login
from foia import agencies, filestore, jobs, requests
from foia.correspondence import ingest, store as mail_store
from mail_helpers import message


@pytest.fixture
def page(browser, server, db):
    context = browser.new_context(bypass_csp=True, accept_downloads=True)
    pagecheck.prepare(context)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base = server
    login(page, db)
    yield page
    context.close()


def test_agency_letter_account_jobs_and_mail_pages_fit_and_speak_plainly(page, db, demo):
    agency = agencies.find(db, "Los Angeles Police Department", "CA")
    db["agencies"].update(agency["id"], {"records_email": "records@lapd.example"})
    mail_store.ensure_schema(db)
    mail_store.flag_broken(db, "records@lapd.example", None, "550 no such user")
    filed = ingest.ingest(db, filestore.LocalStore(demo.config["FILES_DIR"]),
                  message(frm="Neighbour <n@example.net>", subject="About the Ring agreement", body="Is this yours?"),
                  config=demo.config)
    jobs.enqueue(db, "no.such.kind", {}, max_attempts=1)

    # The agency form: every problem at once, beside its field, in words.
    page.goto(page.base + "/agencies/new")
    page.fill("main input[name=records_email]", "not-an-email")
    page.fill("main input[name=ring_partner_since]", "soon")
    page.select_option("main select[name=kind]", label="State police")
    page.click("main form button[type=submit]")
    main = page.locator("main").inner_text()
    for words in ("Enter the agency's name.", "Choose the agency's state.", "That e-mail address doesn't look right",
                  "Enter the date as 2019-06-01 or June 2019"):
        assert words in main
    assert "name: empty" not in main and "records_email" not in main
    assert page.locator("main .field-error").count() == 4
    pagecheck.check(page, screenshot="agency-form-errors")

    # The agency list: kinds by their labels (its layout is checked with every page's).
    page.goto(page.base + "/agencies/")
    assert "Police department" in page.locator("main table").inner_text()

    # The agency page: its record with a chart, the bounce, dates in words.
    page.goto(page.base + f"/agencies/{agency['id']}")
    main = page.locator("main").inner_text()
    assert re.search(r"Mail to records@lapd\.example bounced on \w{3} \d{1,2} \w{3} \d{4}", main)
    assert page.locator("main figure.chart-figure svg[role=img]").count() == 1
    pagecheck.check(page, screenshot="agency-show")

    # The letter form and its preview stay in their box.
    request_id = requests.search(db, agency_id=agency["id"], per_page=1)[0][0]["id"]
    page.goto(page.base + f"/requests/{request_id}/letters")
    options = page.locator("main select[name=template] option").all_inner_texts()
    assert "Initial request: Ring partnership records" in options
    assert not [o for o in options if ":" in o and o.split(":")[0] == o.split(":")[0].lower()]
    pagecheck.check(page, screenshot="letter-form")
    page.click("main form.letter-form button[type=submit]")
    page.wait_for_url("**/letters/preview?**")
    assert page.locator("h1").inner_text() == "Preview: Initial request: Ring partnership records"
    pagecheck.check(page)

    # Users, the audit log, the account: roles, actions and times in words.
    page.goto(page.base + "/admin/users")
    assert "Viewer: can read, cannot change" in page.locator("main").inner_text()
    pagecheck.check(page, screenshot="users")
    page.goto(page.base + "/admin/audit")
    audit = page.locator("main").inner_text()
    assert "Signed in" in audit and "login" not in audit.split("What happened")[-1].split("\n")[0]
    assert page.locator("main .table-scroll[role=region][tabindex='0']").count() == 1
    pagecheck.check(page)
    page.goto(page.base + "/account")
    assert "Admin: can change everything" in page.locator("main").inner_text()

    # Jobs and mail: states and times in words.
    page.goto(page.base + "/jobs/")
    jobs_text = page.locator("main").inner_text()
    assert re.search(r"Failed after 1 attempt|Waiting|Failed: will retry at", jobs_text)
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}", jobs_text)
    pagecheck.check(page, screenshot="jobs")
    page.goto(page.base + "/mail/")
    inbox = page.locator("main").inner_text()
    assert "About the Ring agreement" in inbox and "Mail to records@lapd.example bounced on" in inbox
    assert not re.search(r"\d{4}-\d{2}-\d{2}", inbox)
    pagecheck.check(page, screenshot="mail-inbox")
    page.goto(page.base + f"/mail/{filed.id}")
    assert not re.search(r"\d{4}-\d{2}-\d{2}T", page.locator("main dl").inner_text())
    pagecheck.check(page, screenshot="mail-message")

    # The import page: each refused line with the column and what to fix.
    page.goto(page.base + "/agencies/import")
    page.set_input_files("main input[type=file]", files=[{
        "name": "agencies.csv", "mimeType": "text/csv",
        "buffer": b"Name,State,Email\nNew Town PD,CA,\nOld Town PD,QQ,not-an-email\n"}])
    page.click("main form button[type=submit]")
    report = page.locator("main section").inner_text()
    assert "1 imported" in report and "State: \u201cQQ\u201d is not a state we know" in report
    pagecheck.check(page, screenshot="agency-import")
