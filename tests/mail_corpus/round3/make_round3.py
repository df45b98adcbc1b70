"""Writes tests/mail_corpus/round3/*.eml and expected.json: replies written after round 2's rules, which
read 5 of 14 of them; the rules were then widened again (tests/mail_corpus/unseen is never tuned on)."""
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(OUT.parent.parent))
from mail_fixtures import CorpusWriter, tiny_pdf  # noqa: E402

corpus = CorpusWriter(OUT, sender="Records Division <records@lakeshore-pd.example>",
                      to="records+r77-qwert@group.example", domain="lakeshore-pd.example",
                      date="Thu, 17 Sep 2026 09:30:00 -0400")
msg = corpus.msg

msg("u01", "PRA Request #2026-1187",
    "Dear Ms. Rivera,\n\nThis is to let you know that the Lakeshore Police Department is in receipt of your California "
    "Public Records Act request. Pursuant to Government Code section 7922.535, the Department will notify you of its "
    "determination within 10 days.\n\nRespectfully,\nCustodian of Records",
    exp={"kind": "acknowledged", "estimated_date": "2026-09-27"})
msg("u02", "Extension - PRA #2026-1187",
    "Ms. Rivera,\n\nDue to the need to consult with another agency, the Department requires an additional 14 days to "
    "determine whether responsive records exist. We will respond by October 11, 2026.",
    exp={"kind": "extension_claimed", "estimated_date": "2026-10-11"})
msg("u03", "Records",
    "Here you go. Let me know if the files don't open.\n\n- Sgt. Ortiz",
    attach=[("neighbors-portal-log.pdf", tiny_pdf("Neighbors Portal request log 2021"))], exp={"kind": "records_released"})
msg("u04", "Your public records request",
    "The Department has searched its files and has found no documents that respond to your request for Ring or "
    "Neighbors agreements.",
    exp={"kind": "no_records"})
msg("u05", "Invoice #4471",
    "An invoice in the amount of $18.75 for duplication costs is attached. Records will be emailed upon payment.",
    exp={"kind": "fee_estimate"})
msg("u06", "Notice of Determination",
    "Your request is granted in part and denied in part. Records responsive to items 1 and 2 are enclosed. Records "
    "responsive to item 3 are withheld under Section 552.108(a)(1).",
    exp={"kind": "partial_release"})
msg("u07", "Need more info",
    "Hi - before we search, can you tell us the approximate dates of the video requests you are looking for?",
    exp={"kind": "clarification_requested"})
msg("u08", "Re: PRA Request #2026-1187",
    "Your request has been closed because we did not receive the clarification we asked for on September 1.",
    exp={"kind": "not_a_response"})
msg("u09", "Automatic reply: PRA Request",
    "Thank you for contacting the Records Division. We are closed for the holiday and will reopen on Tuesday.",
    headers={"Auto-Submitted": "auto-replied"}, exp={"kind": "auto_reply"})
msg("u10", "Mail delivery failed: returning message to sender",
    "This message was created automatically by mail delivery software.\n\nA message that you sent could not be "
    "delivered to one or more of its recipients. This is a permanent error. The following address(es) failed:\n\n"
    "  prr@smallville.example\n    host mx.smallville.example said: 550 No such user here",
    frm="Mail Delivery System <Mailer-Daemon@mail.group.example>", exp={"kind": "bounce"})
msg("u11", "Solicitud 2026-0991: ampliación",
    "Le comunicamos que el plazo para responder a su solicitud se amplía por diez días hábiles adicionales debido al "
    "volumen de la información.",
    exp={"kind": "extension_claimed"})
msg("u12", "Records request update",
    None or "We expect to have the records ready in about three weeks.",
    html="<p>We expect to have the records ready in about three weeks.</p>",
    exp={"kind": "acknowledged", "estimated_date": "2026-10-08"})
msg("u13", "RE: Open records request",
    "The agreement you asked for is attached. The request is now complete.\n\nOn Tue, Sep 15, 2026 at 8:00 AM Alice "
    "<alice@group.example> wrote:\n> Please send the Ring MOU. If you deny it, cite the exemption.",
    exp={"kind": "records_released"})
msg("u14", "Denial",
    "Access to the requested video is refused. Disclosure would interfere with an ongoing investigation.",
    exp={"kind": "denied"})
print(corpus.save())
