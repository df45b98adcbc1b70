"""Writes tests/mail_corpus/round2/*.eml and expected.json: replies written after the first rules, which
read 4 of 12 of them; the rules were then widened to read them all (see tests/mail_corpus/unseen for a set never tuned on)."""
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(OUT.parent.parent))
from mail_fixtures import CorpusWriter  # noqa: E402

corpus = CorpusWriter(OUT, sender="Public Records <publicrecords@rivertown.example>",
                      to="records+r40-abcde@group.example", domain="rivertown.example",
                      date="Wed, 16 Sep 2026 14:05:00 -0500")
msg = corpus.msg

msg("h01", "Records request status",
    "Hi Alice,\n\nJust letting you know your request is in our queue. Our target completion date is 10/30/2026.\n\nBest,\nMaria",
    exp={"kind": "acknowledged", "estimated_date": "2026-10-30"})
msg("h02", "Request 2026-PR-0913",
    "Good afternoon. The City has determined that it will need until November 13, 2026 to respond to your request, "
    "given the number of departments involved.\n\nCity Clerk",
    exp={"kind": "extension_claimed", "estimated_date": "2026-11-13"})
msg("h03", "RE: Ring",
    "Alice - we looked and there's nothing on our end. We never signed up for the Neighbors portal so we don't have anything responsive.\n\nLt. Brooks",
    exp={"kind": "no_records"})
msg("h04", "Production of records",
    "Please see the attached documents, which constitute the Department's complete response to your request.\n\nRegards,\nRecords",
    exp={"kind": "records_released"})
msg("h05", "Cost of your request",
    "To fulfill this request we estimate 12 hours of search and review. At $32 an hour the total comes to $384.00. "
    "Let us know if you would like to proceed.",
    exp={"kind": "fee_estimate"})
msg("h06", "Your request",
    "Ms. Rivera: The materials you seek are confidential criminal intelligence information and will not be produced. "
    "See Tex. Gov't Code 552.108.",
    exp={"kind": "denied"})
msg("h07", "Question about your records request",
    "Hello, what time period are you interested in? The request as written would cover more than a decade of email.",
    exp={"kind": "clarification_requested"})
msg("h08", "Partial response - PRR 26-331",
    "Attached is a portion of the responsive records. We are continuing to review the remainder and will send them as they become available.",
    exp={"kind": "partial_release"})
msg("h09", "Out of Office Re: Public records request",
    "I'm on leave until 9/28 and will respond when I return. For records requests please write to clerk@rivertown.example.",
    frm="Dana Lee <dlee@rivertown.example>", exp={"kind": "auto_reply"})
msg("h10", "Delivery Status Notification (Failure)",
    "Address not found\n\nYour message wasn't delivered to foia@oldcity.example because the address couldn't be found, "
    "or is unable to receive mail.\n\nThe response was:\n550 5.1.1 The email account that you tried to reach does not exist.",
    frm="Mail Delivery Subsystem <mailer-daemon@googlemail.com>", exp={"kind": "bounce"})
msg("h11", "Recibimos su solicitud",
    "Buenos días. Confirmamos la recepción de su solicitud de acceso a la información. Daremos respuesta en un plazo de 10 días hábiles.",
    exp={"kind": "acknowledged", "estimated_date": "2026-09-30"})
msg("h12", "Records request - acknowledgment",
    None or "Thank you for your request. Records staff will review it and respond within 5 working days.",
    html="<div>Thank you for your request. Records staff will review it and respond within <b>5 working days</b>.</div>",
    exp={"kind": "acknowledged", "estimated_date": "2026-09-23"})
print(corpus.save())
