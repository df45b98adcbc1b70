"""Writes tests/mail_corpus/unseen/*.eml and expected.json: replies written after the rules were last
changed and never used to tune them. Their accuracy is the reader's honest figure; the test only
guards it against getting worse (see tests/test_mail_read.py). Tuning the rules on them makes them
seen: move them to a new round folder and write a fresh unseen set."""
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(OUT.parent.parent))
from mail_fixtures import CorpusWriter, tiny_pdf  # noqa: E402

corpus = CorpusWriter(OUT, sender="University Police Records <uprecords@stateu.example>",
                      to="records+r220-hjklm@group.example", domain="stateu.example",
                      date="Tue, 22 Sep 2026 16:20:00 -0600")
msg = corpus.msg

msg("x01", "CORA request acknowledgment",
    "Dear Ms. Rivera,\n\nThis email acknowledges your Colorado Open Records Act request, which we received today. "
    "Under C.R.S. 24-72-203 we have three working days to respond, so please expect our reply by September 25, 2026.",
    exp={"kind": "acknowledged", "estimated_date": "2026-09-25"})
msg("x02", "CORA - extenuating circumstances",
    "Ms. Rivera, extenuating circumstances exist, and the University Police will take an additional seven working days "
    "to respond to your request.",
    exp={"kind": "extension_claimed"})
msg("x03", "CORA - research and retrieval fee",
    "The first hour of research is free. We estimate 3 additional hours at $33.58 per hour, for a total of $100.74. "
    "Please confirm that you agree to pay before we proceed.",
    exp={"kind": "fee_estimate"})
msg("x04", "CORA - records",
    "Attached are the records we located, with student names redacted under FERPA. This closes your request.",
    attach=[("cora-records.pdf", tiny_pdf("University police records"))],
    exp={"kind": "records_released"})
msg("x05", "CORA - no records",
    "We did not find anything responsive. The University Police Department has never had an agreement with Ring or Amazon.",
    exp={"kind": "no_records"})
msg("x06", "CORA - denial",
    "The custodian has determined that disclosure of the requested criminal justice records would be contrary to the "
    "public interest, and your request is therefore denied under C.R.S. 24-72-305(5).",
    exp={"kind": "denied"})
msg("x07", "CORA - scope",
    "Your request covers every video request since 2015. Would you be willing to limit it to the last two years?",
    exp={"kind": "clarification_requested"})
msg("x08", "CORA - rolling production",
    "We are producing records on a rolling basis. The attached file contains the first 200 pages; more will follow "
    "within 10 working days.",
    attach=[("part-1.pdf", tiny_pdf("First 200 pages"))],
    exp={"kind": "partial_release", "estimated_date": "2026-10-06"})
msg("x09", "Out of office",
    "I am currently out of the office and will return on September 28.",
    frm="Records Tech <tech@stateu.example>", exp={"kind": "auto_reply"})
msg("x10", "Delivery has failed to these recipients or groups",
    "records@closed-town.example\nThe email address you entered couldn't be found.",
    frm="Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@group.example>",
    exp={"kind": "bounce"})
msg("x11", "FYI",
    "Forwarding your message to the University Counsel, who handles records questions.",
    exp={"kind": "not_a_response"})
msg("x12", "Respuesta - solicitud CORA",
    "Hemos recibido su solicitud y le enviaremos los documentos a más tardar el 6 de octubre de 2026.",
    exp={"kind": "acknowledged", "estimated_date": "2026-10-06"})
print(corpus.save())
