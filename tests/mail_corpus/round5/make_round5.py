"""Writes tests/mail_corpus/round5/*.eml and expected.json: replies written after round 4's rules, which
read 9 of 12 kinds and 11 of 12 dates; the rules were then widened again (see tests/mail_corpus/unseen)."""
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(OUT.parent.parent))
from mail_fixtures import CorpusWriter, tiny_pdf  # noqa: E402

corpus = CorpusWriter(OUT, sender="Records Custodian <custodian@bayview-sheriff.example>",
                      to="records+r105-mnbvc@group.example", domain="bayview-sheriff.example",
                      date="Mon, 21 Sep 2026 08:15:00 -0700")
msg = corpus.msg

msg("w01", "Public Records Request R26-0412 Received",
    "Hello Alice,\n\nYour public records request has been received by the Bayview County Sheriff's Office and will be "
    "processed in accordance with the law. You can expect a response within 10 calendar days.\n\nThank you,\nRecords Unit",
    exp={"kind": "acknowledged", "estimated_date": "2026-10-01"})
msg("w02", "R26-0412 - time extension",
    "Good morning. We are invoking our right to an extension of up to 14 additional days because of the need to search "
    "for records in a field facility.",
    exp={"kind": "extension_claimed"})
msg("w03", "R26-0412 fees",
    "Before we can release the records, a prepayment of $60.00 is due. Payment may be made online or by check.",
    exp={"kind": "fee_estimate"})
msg("w04", "R26-0412 records",
    "The Sheriff's Office has completed its search. The responsive documents are available in the portal for download.",
    exp={"kind": "records_released"})
msg("w05", "R26-0412",
    "After reviewing our files, we have determined that the Sheriff's Office does not possess any records responsive to "
    "your request.",
    exp={"kind": "no_records"})
msg("w06", "R26-0412 determination",
    "The records you requested are exempt from public inspection under Government Code section 7923.605 and will be withheld.",
    exp={"kind": "denied"})
msg("w07", "R26-0412 question",
    "Could you please provide the names of the deputies or the incident numbers you are interested in? We need this to "
    "locate the records.",
    exp={"kind": "clarification_requested"})
msg("w08", "R26-0412 - installment 1 of 3",
    "Enclosed is installment 1 of 3. We anticipate the second installment by October 15, 2026.",
    attach=[("installment-1.pdf", tiny_pdf("Installment 1"))],
    exp={"kind": "partial_release", "estimated_date": "2026-10-15"})
msg("w09", "Auto-Reply: R26-0412",
    "This mailbox is not monitored on weekends. Your message will be read on the next business day.",
    headers={"Auto-Submitted": "auto-replied"}, exp={"kind": "auto_reply"})
msg("w10", "Undeliverable: Records request",
    "Your message to sheriff-records@bayview.example couldn't be delivered.\nsheriff-records wasn't found at bayview.example.",
    frm="postmaster@outlook.com", exp={"kind": "bounce"})
msg("w11", "Re: R26-0412",
    "Just confirming, we got your voicemail and will call you back Tuesday.",
    exp={"kind": "not_a_response"})
msg("w12", "Solicitud de información R26-0412",
    "Se le informa que la información solicitada no existe en los archivos de esta oficina.",
    exp={"kind": "no_records"})
print(corpus.save())
