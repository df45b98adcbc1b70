"""Writes tests/mail_corpus/round4/*.eml and expected.json: replies written after round 3's rules, which
read 6 of 12 kinds and 10 of 12 dates; the rules were then widened again (see tests/mail_corpus/unseen)."""
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(OUT.parent.parent))
from mail_fixtures import CorpusWriter, tiny_pdf  # noqa: E402

corpus = CorpusWriter(OUT, sender="Office of the Chief <chief@northfield-pd.example>",
                      to="records+r91-zxcvb@group.example", domain="northfield-pd.example",
                      date="Fri, 18 Sep 2026 11:45:00 -0500")
msg = corpus.msg

msg("v01", "FOIA 26-044",
    "Ms. Rivera, your FOIA request was received on September 17 and assigned number 26-044. Illinois law gives us five "
    "business days to respond.",
    exp={"kind": "acknowledged", "estimated_date": "2026-09-25"})
msg("v02", "FOIA 26-044 - extension under 5 ILCS 140/3(e)",
    "Pursuant to Section 3(e) of the Act, the time for response is extended by five business days, to October 2, 2026, "
    "because the records must be collected from a different location.",
    exp={"kind": "extension_claimed", "estimated_date": "2026-10-02"})
msg("v03", "FOIA 26-044 response",
    "Please find enclosed the Department's response. Some personal information has been redacted under Section 7(1)(c).",
    attach=[("26-044-response.pdf", tiny_pdf("Northfield Police Department FOIA response 26-044"))],
    exp={"kind": "records_released"})
msg("v04", "Re: records",
    "We checked with IT and the Chief's office. No such agreement exists.",
    exp={"kind": "no_records"})
msg("v05", "Payment needed",
    "Copies of the 55 pages will cost $5.50. Send a check payable to the Village of Northfield.",
    exp={"kind": "fee_estimate"})
msg("v06", "FOIA denial",
    "The Department is denying your request in its entirety pursuant to Section 7(1)(d)(i) of the Illinois FOIA, as "
    "the records relate to a pending investigation.",
    exp={"kind": "denied"})
msg("v07", "Clarify please",
    "Your request mentions \"all communications\". Do you mean emails only, or also text messages and letters?",
    exp={"kind": "clarification_requested"})
msg("v08", "First batch",
    "Here is the first set of records. More to follow next week.",
    attach=[("batch1.pdf", tiny_pdf("Batch 1 of Ring records"))],
    exp={"kind": "partial_release"})
msg("v09", "I'm away",
    "Hello, I'm out until Monday, Sept 21. If this is urgent call dispatch.",
    frm="Officer Kim <kim@northfield-pd.example>", exp={"kind": "auto_reply"})
msg("v10", "Returned mail: see transcript for details",
    "The original message was received at Fri, 18 Sep 2026 11:00:00 -0500\n\n   ----- The following addresses had "
    "permanent fatal errors -----\n<foia@nowhere-pd.example>\n    (reason: 550 5.1.1 <foia@nowhere-pd.example>... User unknown)",
    frm="Mail Delivery Subsystem <MAILER-DAEMON@mx.group.example>", exp={"kind": "bounce"})
msg("v11", "Respuesta a su solicitud",
    "Le informamos que su solicitud ha sido negada porque la información es reservada.",
    exp={"kind": "denied"})
msg("v12", "Thanks",
    "Thanks for reaching out, Alice. I'll pass this along to our records clerk.",
    exp={"kind": "not_a_response"})
print(corpus.save())
