"""Shared set-up of the mail tests: an agency, a filed request, the file store, and messages."""
from email.message import EmailMessage

from foia import agencies, documents, filestore, jobs, requests
from foia.correspondence import store, tokens

AGENCY_EMAIL = "records@springfield-pd.example"


def setup(app, db):
    """(store, agency id, request id, token) on a migrated database, the request filed on 1 September."""
    store.ensure_schema(db)
    agency_id, _ = agencies.upsert(db, {"name": "Springfield Police Department", "state": "CA",
                                        "city": "Springfield", "records_email": AGENCY_EMAIL})
    request_id = requests.create_request(db, agency_id=agency_id, title="Ring partnership records",
                                         tracking_number="PRR-2026-0412", filed_on="2026-09-01",
                                         config=app.config)
    return filestore.LocalStore(app.config["FILES_DIR"]), agency_id, request_id, tokens.token_for(db, request_id)


def message(*, to="records@group.example", frm=f"Records Unit <{AGENCY_EMAIL}>", subject="RE: Records request",
            body="Thank you.", date="Tue, 15 Sep 2026 10:12:00 -0400", msgid=None, in_reply_to=None,
            attachments=(), html=None, headers=None) -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"], m["Date"] = frm, to, subject, date
    if msgid:
        m["Message-ID"] = msgid
    if in_reply_to:
        m["In-Reply-To"] = in_reply_to
        m["References"] = in_reply_to
    for key, value in (headers or {}).items():
        m[key] = value
    m.set_content(body)
    if html:
        m.add_alternative(html, subtype="html")
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(m)


def read_documents(config) -> None:
    """Run the document text extraction jobs that filing attachments queued (as the scheduler would)."""
    jobs.run_once(config, kinds=[documents.EXTRACT_JOB], limit=1000)
