"""Writes tests/mail_corpus/*.eml and expected.json. The .eml files are committed; rerun after editing a message here."""
import json, sys
from email.message import EmailMessage
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from mail_fixtures import tiny_pdf

OUT = Path(__file__).resolve().parent
expected = {}

def msg(name, subject, body, *, frm="Records Unit <records@springfield-pd.example>", to="records+r12-k7f2q@group.example",
        date="Tue, 15 Sep 2026 10:12:00 -0400", html=None, attach=(), headers=None, exp=None, charset="utf-8", msgid=None):
    m = EmailMessage()
    m["From"] = frm; m["To"] = to; m["Subject"] = subject; m["Date"] = date
    m["Message-ID"] = msgid or f"<{name}@springfield-pd.example>"
    for k, v in (headers or {}).items(): m[k] = v
    if html and body:
        m.set_content(body, charset=charset); m.add_alternative(html, subtype="html", charset=charset)
    elif html:
        m.set_content(html, subtype="html", charset=charset)
    else:
        m.set_content(body, charset=charset)
    for fname, data, mime in attach:
        mt, st = mime.split("/")
        m.add_attachment(data, maintype=mt, subtype=st, filename=fname)
    (OUT / f"{name}.eml").write_bytes(bytes(m))
    e = {"kind": None, "estimated_date": None, "fee": None, "reference": None}; e.update(exp or {})
    expected[f"{name}.eml"] = e

QUOTE = """

On Mon, Sep 14, 2026 at 9:00 AM Alice Rivera <alice@group.example> wrote:
> Dear Records Officer,
> Under the Public Records Act, I request all agreements with Amazon Ring,
> all records of video requests made through the Neighbors app, and any fees paid.
> Please deny nothing; I expect a response within 10 days.
> Thanks
"""
SIG = "\n\nSincerely,\n\nJane Doe\nRecords Clerk\nSpringfield Police Department\n(555) 123-4567 | 123 Main St, Springfield 2/1/2026\n"

msg("01-ack-plain", "RE: Public records request: Ring partnership",
    "Dear Ms. Rivera,\n\nWe have received your public records request dated September 14, 2026. Your reference number is PRR-2026-0412.\nWe expect to respond on or before October 14, 2026." + SIG + QUOTE,
    exp={"kind": "acknowledged", "estimated_date": "2026-10-14", "reference": "PRR-2026-0412"})
msg("02-ack-business-days", "Records Request Received",
    "Hello,\n\nThis email confirms receipt of your request for records about the Ring Neighbors Portal. The department will respond within 10 business days, as the law requires." + SIG,
    exp={"kind": "acknowledged", "estimated_date": "2026-09-29"})
msg("03-ack-numeric-date", "Your request #26-1043",
    "Ms. Rivera,\nThank you for your public records request. It has been assigned request number 26-1043 and is being processed. We anticipate providing records by 11/2/2026." + SIG,
    exp={"kind": "acknowledged", "estimated_date": "2026-11-02", "reference": "26-1043"})
msg("04-govqa-portal", "[Records Center] Public Records Request :: R000123-091526",
    None, html="""<html><body><table><tr><td><img src="https://govqa.example/logo.png"></td></tr>
<tr><td><p>Dear Alice Rivera,</p><p>Thank you for submitting a public records request to the City of Springfield.
Your request has been received and assigned reference number <b>R000123-091526</b>.</p>
<p>You can monitor the progress of your request in the Records Center.</p>
<p>This is an automated message; please do not reply.</p></td></tr></table></body></html>""",
    frm="City of Springfield Records Center <springfieldpd@mycusthelp.example>",
    headers={"Auto-Submitted": "auto-generated"},
    exp={"kind": "acknowledged", "reference": "R000123-091526"})
msg("05-nextrequest-released", "[Records Request 26-588] Documents released",
    None, html="""<div style="font-family:Arial"><h2>Springfield Police Department</h2>
<p>Request 26-588 has been updated.</p><p>Documents have been released and are available to download in the portal:</p>
<ul><li>Ring_MOU_2019.pdf</li><li>Neighbors_Portal_Requests_2020-2024.xlsx</li></ul>
<p>The request has been completed and closed.</p><p><a href="https://springfield.nextrequest.example/requests/26-588">View request</a></p></div>""",
    frm="Springfield Police Department <noreply@nextrequest.example>",
    exp={"kind": "records_released", "reference": "26-588"})
msg("06-extension-business-days", "RE: Records request PRR-2026-0412 - extension",
    "Ms. Rivera,\n\nDue to the volume of records involved, the department is extending the time to respond by ten (10) business days under the unusual circumstances provision. The new date for our response is October 28, 2026." + SIG + QUOTE,
    exp={"kind": "extension_claimed", "estimated_date": "2026-10-28", "reference": "PRR-2026-0412"})
msg("07-extension-no-date", "Records request - additional time needed",
    "Good afternoon,\n\nWe need a 14-day extension to search the archived e-mail accounts for responsive records. We apologize for the delay." + SIG,
    exp={"kind": "extension_claimed"})
msg("08-clarification", "Clarification needed on your request",
    "Dear Requester,\n\nBefore we can begin the search we need clarification. Your request asks for \"all records\" related to Ring. Could you please narrow the request to a specific date range or to particular officers? Would e-mails alone be acceptable?" + SIG,
    exp={"kind": "clarification_requested"})
msg("09-fee-estimate", "Fee estimate for request PRR-2026-0412",
    "Ms. Rivera,\n\nThe estimated cost to produce the records is $125.50 (5 hours of staff time at $25.10 per hour). A deposit is required before we begin. Once payment is received we expect to provide the records within 15 business days." + SIG,
    exp={"kind": "fee_estimate", "fee": "125.50", "reference": "PRR-2026-0412", "estimated_date": "2026-10-06"})
msg("10-fee-total", "Invoice - public records",
    "Hello,\nCopies: 300 pages at $0.10 = $30.00\nStaff time: $45.00\nTotal amount due: $75.00\nPlease remit payment to the City Clerk; records will be released on receipt of payment." + SIG,
    exp={"kind": "fee_estimate", "fee": "75.00"})
msg("11-released-attached", "RE: Records request - responsive records",
    "Dear Ms. Rivera,\n\nAttached please find the records responsive to your request: the 2019 memorandum of understanding with Ring LLC and the Neighbors Portal request log. This completes our response." + SIG + QUOTE,
    attach=[("Ring_MOU.pdf", tiny_pdf("Memorandum of Understanding", "Ring LLC and Springfield Police Department"), "application/pdf")],
    exp={"kind": "records_released"})
msg("12-partial-release", "First installment of records",
    "Ms. Rivera,\n\nThis is a partial release. Enclosed is the first installment of records responsive to your request. The remaining records will be provided on or before November 20, 2026." + SIG,
    attach=[("installment1.pdf", tiny_pdf("Neighbors Portal request log 2020"), "application/pdf")],
    exp={"kind": "partial_release", "estimated_date": "2026-11-20"})
msg("13-no-records", "RE: Public records request",
    "Dear Ms. Rivera,\n\nAfter a diligent search, the Department did not locate any records responsive to your request for agreements with Amazon Ring." + SIG + QUOTE,
    exp={"kind": "no_records"})
msg("14-no-records-have-no", "Your records request",
    "Hello,\nThe Springfield Police Department has no records responsive to your request. The Department never entered into a partnership with Ring." + SIG,
    exp={"kind": "no_records"})
msg("15-denied-exemption", "Determination on request PRR-2026-0412",
    "Ms. Rivera,\n\nYour request is denied. The requested video-request records are exempt from disclosure under Gov. Code section 7923.600 (investigative records) and are withheld in their entirety. You may appeal this decision within 30 days." + SIG,
    exp={"kind": "denied", "reference": "PRR-2026-0412"})
msg("16-denied-html", "RE: FOIA request",
    None, html="<p>Dear Requester,</p><p>We must <strong>decline your request</strong> because the records are exempt under 5 U.S.C. § 552(b)(7)(A).</p><p>Regards,<br>FOIA Officer</p><blockquote><p>Please send all Ring agreements.</p></blockquote>",
    exp={"kind": "denied"})
msg("17-spanish-ack", "Solicitud de información pública",
    "Estimada Sra. Rivera:\n\nHemos recibido su solicitud de información. El número de folio es 2026-7781. Le responderemos a más tardar el 15 de octubre de 2026.\n\nAtentamente,\nUnidad de Transparencia",
    exp={"kind": "acknowledged", "estimated_date": "2026-10-15", "reference": "2026-7781"})
msg("18-spanish-extension", "Prórroga de su solicitud 2026-7781",
    "Estimada solicitante:\n\nLe informamos que se aplicará una prórroga de diez días hábiles para dar respuesta a su solicitud, por la cantidad de documentos.\n\nSaludos cordiales,\nUnidad de Transparencia",
    exp={"kind": "extension_claimed", "reference": "2026-7781"})
msg("19-spanish-no-records", "Respuesta a su solicitud",
    "Estimada Sra. Rivera:\n\nDespués de una búsqueda exhaustiva, no se encontraron documentos relacionados con Amazon Ring en los archivos del departamento.\n\nAtentamente,\nUnidad de Transparencia",
    charset="iso-8859-1", exp={"kind": "no_records"})
expected["20-bounce-dsn.eml"] = {"kind": "bounce", "estimated_date": None, "fee": None, "reference": None}
msg("21-bounce-exchange", "Undeliverable: Public records request: Ring partnership",
    "Delivery has failed to these recipients or groups:\n\nrecords@oldtown-pd.example\nThe email address you entered couldn't be found. Please check the recipient's email address and try to resend the message.\n\nDiagnostic information for administrators:\nRemote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'\n<records@oldtown-pd.example>: user unknown",
    frm="Microsoft Outlook <postmaster@oldtown-pd.example>", exp={"kind": "bounce"})
msg("22-out-of-office", "Automatic reply: Public records request: Ring partnership",
    "Thank you for your message. I am out of the office until September 28 with limited access to email. For urgent matters contact the front desk.",
    frm="Jane Doe <jdoe@springfield-pd.example>", headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
    exp={"kind": "auto_reply"})
msg("23-out-of-office-no-headers", "Away: your message",
    "Hello, I will be back in the office on Monday, October 5. Your message has not been forwarded.",
    frm="Sgt. Miller <miller@springfield-pd.example>", exp={"kind": "auto_reply"})
msg("24-spanish-ooo", "Respuesta automática: Solicitud de información",
    "Me encuentro fuera de la oficina hasta el 1 de octubre. Su mensaje será atendido a mi regreso.",
    headers={"Auto-Submitted": "auto-replied"}, exp={"kind": "auto_reply"})
msg("25-forwarded-denial", "Fwd: RE: Records request",
    "Forwarding the denial we got by mail to the tracker.\n\n---------- Forwarded message ---------\nFrom: Records <records@riverside-pd.example>\nDate: Mon, Sep 14, 2026 at 4:12 PM\nSubject: RE: Records request\nTo: Alice Rivera <alice@group.example>\n\nMs. Rivera,\n\nThe Riverside Police Department denies your request. The records are exempt from disclosure under RCW 42.56.240.\n\nRespectfully,\nRecords Unit\n",
    frm="Alice Rivera <alice@group.example>", exp={"kind": "denied"})
msg("26-forwarded-ack", "Fwd: Request received",
    "See below.\n\n---------- Forwarded message ---------\nFrom: Records <records@lakeview-pd.example>\nDate: Fri, Sep 11, 2026 at 9:00 AM\nSubject: Request received\nTo: Alice Rivera <alice@group.example>\n\nWe received your request on September 10, 2026 and will respond within 5 business days. Tracking number: LV-5521.\n",
    frm="Alice Rivera <alice@group.example>", exp={"kind": "acknowledged", "estimated_date": "2026-09-18", "reference": "LV-5521"})
msg("27-not-response-newsletter", "Springfield PD Community Newsletter - September",
    "Join us for National Night Out! Coffee with a Cop is this Saturday at 9 am. Download our app for alerts.",
    frm="Springfield PD <news@springfield-pd.example>", headers={"Precedence": "bulk", "List-Id": "<news.springfield-pd.example>"},
    exp={"kind": "not_a_response"})
msg("28-not-response-thanks", "RE: Public records request",
    "Got it, I forwarded your email to our records clerk who handles these." + QUOTE,
    frm="Front Desk <desk@springfield-pd.example>", exp={"kind": "not_a_response"})
msg("29-two-weeks", "Records request update",
    "Ms. Rivera,\n\nYour request is under review. We expect the records to be ready two weeks from today." + SIG,
    date="Thu, 17 Sep 2026 15:00:00 -0400", exp={"kind": "acknowledged", "estimated_date": "2026-10-01"})
msg("30-windows-1252", "RE: Records request – fee",
    "Ms. Rivera,\n\nThe fee for copies of the 412 pages is $41.20. Payment is required before the records are released. We’ll mail the copies once we receive your check." + SIG,
    charset="windows-1252", exp={"kind": "fee_estimate", "fee": "41.20"})
msg("31-released-html-script", "Records responsive to your request",
    None, html="""<html><head><script>alert('x')</script><style>p{color:red}</style></head><body>
<p>Dear Ms. Rivera,</p><p>The responsive records are attached. <img src="https://tracker.example/pixel.gif?id=42" width=1 height=1></p>
<p onclick="steal()">Thank you,<br>Records</p></body></html>""",
    attach=[("records.pdf", tiny_pdf("Ring Neighbors Portal", "law enforcement agreement"), "application/pdf")],
    exp={"kind": "records_released"})
msg("32-ack-extension-days-words", "Acknowledgment of FOIA request FOIA-26-00931",
    "Dear Requester,\n\nThis letter acknowledges receipt of your Freedom of Information Act request received on September 14, 2026, and assigned FOIA number FOIA-26-00931. We will respond no later than October 13, 2026." + SIG,
    exp={"kind": "acknowledged", "estimated_date": "2026-10-13", "reference": "FOIA-26-00931"})
msg("33-clarification-question-inline", "Question about your request",
    "Hi Alice,\n\nWe are unable to process your request without more detail. Can you please provide the names of the officers or a time frame for the video requests?" + SIG,
    exp={"kind": "clarification_requested"})
msg("34-outlook-quoted-denial", "RE: Records request",
    "Our office has no responsive records.\n\nThank you,\nRecords\n\n-----Original Message-----\nFrom: Alice Rivera <alice@group.example>\nSent: Monday, September 14, 2026 9:00 AM\nTo: Records <records@springfield-pd.example>\nSubject: Records request\n\nPlease send all records, or tell me if you deny the request and which exemption applies.\n",
    exp={"kind": "no_records"})
msg("35-html-alternative-extension", "RE: Public records request PRR-2026-0412",
    "Ms. Rivera,\n\nWe need additional time to respond. Under the law we are taking a 10 working day extension; expect our response by October 29, 2026.",
    html="<p>Ms. Rivera,</p><p>We need additional time to respond. Under the law we are taking a <b>10 working day extension</b>; expect our response by <b>October 29, 2026</b>.</p>",
    exp={"kind": "extension_claimed", "estimated_date": "2026-10-29", "reference": "PRR-2026-0412"})

# 20: a real multipart/report DSN, as Postfix writes it
(OUT / "20-bounce-dsn.eml").write_bytes("""From: Mail Delivery System <MAILER-DAEMON@mail.group.example>
To: records+r12-k7f2q@group.example
Subject: Undelivered Mail Returned to Sender
Date: Tue, 15 Sep 2026 10:12:00 -0400
Message-ID: <20-bounce-dsn@mail.group.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B0UND"

--B0UND
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mail.group.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<records@closed-pd.example>: host mx.closed-pd.example said: 550 5.1.1 User unknown

--B0UND
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.group.example

Final-Recipient: rfc822; records@closed-pd.example
Original-Recipient: rfc822;records@closed-pd.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--B0UND
Content-Type: text/rfc822-headers

From: records+r12-k7f2q@group.example
To: records@closed-pd.example
Subject: Public records request: Ring partnership
Message-ID: <request-12@group.example>

--B0UND--
""".replace("\n", "\r\n").encode())
expected["20-bounce-dsn.eml"]["bounced"] = ["records@closed-pd.example"]
expected["21-bounce-exchange.eml"]["bounced"] = ["records@oldtown-pd.example"]

(OUT / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
print(len(expected))
