"""What a reply says: the timeline event it suggests, the dates, fee and reference number it states.

Rules, not a black box. The reader

1. recognises delivery reports (bounces) and automatic replies (out of office) first;
2. takes the newest part of the message: quoted earlier messages (``mail-parser-reply``) and the
   signature are cut off, and a forwarded message (``quotequail``) is read in place of the note
   above it;
3. scores each event kind by the phrases it finds (English and Spanish), each phrase recorded as
   evidence with the reason it counts; the best-scoring kind wins, ties going to the more final
   answer (a denial that also acknowledges receipt is a denial);
4. finds the dates the reply states, absolute ("on or before January 15, 2027", "1/15/2027",
   parsed by ``dateparser``) and relative ("within 10 business days", "two weeks from today",
   counted from the message's Date with the business-day calendar), the fee and the agency's
   reference number.

Every :class:`Reading` says why (``why``) and which phrase each value came from (``evidence``).
"""
import dataclasses
import datetime as dt
import decimal
import functools
import re

import quotequail
from dateparser.date import DateDataParser
from mailparser_reply import EmailReplyParser

from .. import workdays
from .parse import Parsed

RESPONSE_KINDS = ("acknowledged", "extension_claimed", "clarification_requested", "fee_estimate",
                  "partial_release", "records_released", "no_records", "denied")
OTHER_KINDS = ("not_a_response", "bounce", "auto_reply")
KINDS = RESPONSE_KINDS + OTHER_KINDS
KIND_LABELS = {
    "acknowledged": "Acknowledged", "extension_claimed": "Extension claimed",
    "clarification_requested": "Clarification requested", "fee_estimate": "Fee estimate",
    "partial_release": "Partial release", "records_released": "Records released", "no_records": "No records",
    "denied": "Denied", "not_a_response": "Not a response", "bounce": "Bounce (not delivered)",
    "auto_reply": "Automatic reply",
}
# Ties go to the more final answer.
PRECEDENCE = ("denied", "no_records", "records_released", "partial_release", "fee_estimate",
              "clarification_requested", "extension_claimed", "acknowledged")
THRESHOLD = 2  # a kind needs this score to be suggested
# Attachments that are documents (not logos or signatures in images).
ATTACHED_RECORDS = frozenset({
    "application/pdf", "application/zip", "application/msword", "text/csv", "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "video/mp4", "message/rfc822",
})
MAX_READ = 8_000  # characters of the newest part read (a letter's first pages say what it is)

# (kind, weight, reason shown to the user, pattern)
RULES: list[tuple[str, int, str, str]] = [
    # acknowledged
    ("acknowledged", 2, "it confirms the request was received",
     r"\b(?:we|this office|the department|our office)\s+(?:have|has)?\s*(?:received|recieved)\s+your\b"),
    ("acknowledged", 2, "it confirms the request was received",
     r"\b(?:your|the)\s+(?:public\s+records\s+|records\s+|foia\s+|open\s+records\s+|information\s+)?request\s+"
     r"(?:\S+\s+){0,6}?(?:has|have)\s+been\s+(?:received|submitted|logged|assigned|entered)"),
    ("acknowledged", 2, "it acknowledges receipt", r"\backnowledg(?:e|es|ing|ement of)\s+(?:the\s+)?receipt\b"),
    ("acknowledged", 2, "it confirms receipt", r"\bconfirm(?:s|ing)?\s+(?:the\s+)?receipt\b"),
    ("acknowledged", 1, "it gives a reference number",
     r"\b(?:reference|tracking|request|confirmation)\s+(?:number|no\.|#)\s"),
    ("acknowledged", 1, "it thanks you for the request",
     r"\bthank\s+you\s+for\s+(?:your|submitting\s+(?:a|your))\s+(?:public\s+records\s+|records\s+|foia\s+)?request"),
    ("acknowledged", 2, "it says the request is being processed",
     r"\b(?:is|are)\s+(?:now\s+)?(?:being\s+processed|under\s+review|in\s+progress)\b"),
    ("acknowledged", 2, "it confirms the request was received (Spanish)",
     r"\b(?:hemos\s+recibido|recibimos|acusamos\s+recibo\s+de)\s+su\s+solicitud"),
    ("acknowledged", 2, "it confirms the request was received (Spanish)",
     r"\bsu\s+solicitud\s+(?:\S+\s+){0,5}?(?:ha\s+sido|fue)\s+recibida"),
    ("acknowledged", 2, "it says the request is queued or logged",
     r"\b(?:in\s+(?:our|the)\s+queue|has\s+been\s+(?:logged|entered|assigned\s+to)|target\s+(?:completion\s+|response\s+)?date|"
     r"(?:will|shall)\s+(?:review|process)\s+(?:it|your\s+request|the\s+request)\s+and\s+(?:respond|get\s+back))"),
    ("acknowledged", 2, "it says when the agency will answer",
     r"\b(?:we|staff|the\s+department|the\s+city|this\s+office|records\s+staff)\s+(?:will|expects?\s+to|anticipates?)\s+"
     r"(?:\S+\s+){0,3}?(?:respond|reply|get\s+back\s+to\s+you)\s+(?:within|by|on\s+or\s+before|no\s+later\s+than)"),
    ("acknowledged", 2, "it confirms receipt (Spanish)",
     r"\b(?:confirmamos\s+(?:la\s+)?recepci[oó]n|daremos\s+respuesta|le\s+responderemos)"),
    ("acknowledged", 2, "it says the agency has the request",
     r"\b(?:is|are)\s+in\s+receipt\s+of\s+your|\bnotify\s+you\s+of\s+(?:its|our|the)\s+determination|"
     r"\b(?:we|the\s+department|the\s+city)\s+expects?\s+to\s+(?:have|provide|complete|produce|send|release)\b"),
    ("acknowledged", 2, "it says the request was received",
     r"\b(?:your|the)\s+(?:public\s+records\s+|records\s+|foia\s+|open\s+records\s+|pra\s+)?request\s+(?:was|were)\s+"
     r"(?:received|logged|assigned|entered)"),
    # extension
    ("extension_claimed", 3, "it extends the time to respond",
     r"\bextend(?:s|ed|ing)?\s+(?:the\s+)?(?:time|deadline|date|period|response\s+(?:time|period|date|deadline))"),
    ("extension_claimed", 3, "it claims an extension",
     r"\bdays?[-\s]+extension\b"),
    ("extension_claimed", 3, "it claims an extension", r"\bextension\s+of\s+(?:up\s+to\s+)?(?:\w+\s+)?\(?\d*\)?\s*(?:additional\s+)?(?:business\s+|working\s+|calendar\s+)?days\b"),
    ("extension_claimed", 2, "it needs additional time",
     r"\b(?:additional|more|further)\s+(?:time|\d+\s+(?:business\s+|working\s+|calendar\s+)?days)\s+(?:is\s+|will\s+be\s+)?(?:needed|necessary|required|to\s+(?:respond|review|search|process|complete))"),
    ("extension_claimed", 2, "it cites unusual circumstances", r"\bunusual\s+circumstances\b"),
    ("extension_claimed", 3, "it claims an extension (Spanish)",
     r"\b(?:pr[oó]rroga|ampliaci[oó]n\s+del\s+plazo|ampliar\s+el\s+plazo|extender\s+el\s+plazo)\b"),
    ("extension_claimed", 3, "it says the agency needs until a later date",
     r"\b(?:will\s+)?need(?:s)?\s+until\b|\b(?:more|additional)\s+time\s+(?:is\s+needed|will\s+be\s+needed|to\s+respond)"),
    ("extension_claimed", 3, "it needs more days than the law's first period",
     r"\b(?:requires?|needs?|will\s+need|is\s+taking|will\s+take)\s+(?:an\s+)?additional\s+(?:\w+\s+)?\(?\d*\)?\s*"
     r"(?:business\s+|working\s+|calendar\s+)?days|\bse\s+ampl[ií]a|\bampl[ií]a(?:r|mos)?\s+el\s+plazo|\bplazo\s+(?:\S+\s+){0,6}?se\s+ampl[ií]a"),
    ("extension_claimed", 3, "it says the time to respond is extended",
     r"\b(?:time|deadline|date|period)\s+(?:\S+\s+){0,3}?(?:is|has\s+been|will\s+be|was)\s+extended"),
    # clarification
    ("clarification_requested", 3, "it asks you to clarify",
     r"\b(?:please\s+clarify|clarif(?:y|ication)\s+(?:of|regarding|on|about|your)|need(?:s)?\s+(?:some\s+)?clarification|request(?:ing)?\s+clarification)\b"),
    ("clarification_requested", 3, "it asks you to narrow the request",
     r"\b(?:narrow|refine|specify|be\s+more\s+specific|reduce\s+the\s+scope)\b[^.?!]{0,80}\b(?:request|search|scope|time\s+frame|date\s+range|records)"),
    ("clarification_requested", 2, "it asks for more information",
     r"\b(?:please\s+provide|could\s+you\s+(?:please\s+)?provide|can\s+you\s+(?:please\s+)?provide)\s+(?:us\s+with\s+)?(?:a\s+|the\s+)?(?:more\s+|additional\s+)?(?:specific\s+)?(?:date\s+range|time\s+frame|information|details|names?|keywords|search\s+terms)"),
    ("clarification_requested", 1, "it cannot proceed without an answer",
     r"\b(?:unable|cannot|can\s*not)\s+(?:to\s+)?(?:process|proceed|locate|search)\b[^.]{0,60}\b(?:without|until|unless)\b"),
    ("clarification_requested", 3, "it asks you to clarify (Spanish)",
     r"\b(?:aclare|aclarar|aclaraci[oó]n|precisar|precise|especifique)\b"),
    ("clarification_requested", 3, "it asks which records or period you mean",
     r"\b(?:what|which)\s+(?:time\s+(?:period|frame)|date\s+range|dates|period|officers?|records|years?|"
     r"department|incidents?|cameras?)\s+(?:are\s+you|do\s+you|did\s+you|would\s+you)"),
    ("clarification_requested", 2, "it says the request is too broad",
     r"\b(?:too\s+broad|overly\s+broad|as\s+written\s+would|unduly\s+burdensome)"),
    ("clarification_requested", 2, "it asks you a question before it searches",
     r"\b(?:can|could|would)\s+you\s+(?:please\s+)?(?:tell|let)\s+(?:us|me)\b|\bbefore\s+(?:we|i)\s+(?:can\s+)?(?:search|begin|proceed|start)"),
    ("clarification_requested", 2, "it asks what you mean",
     r"\bdo\s+you\s+(?:mean|want|wish|need)\b|\bplease\s+(?:specify|confirm\s+(?:whether|which|what))"),
    # fee estimate
    ("fee_estimate", 3, "it states a cost or fee",
     r"\b(?:fee|fees|cost|costs|charge|charges|deposit|estimate|total|amount\s+due|invoice|payment)\b[^.$]{0,80}\$\s?\d"),
    ("fee_estimate", 3, "it states a cost or fee", r"\$\s?\d[\d,]*(?:\.\d{2})?\b[^.]{0,80}\b(?:fee|fees|cost|charge|deposit|estimate|payment|prepay|before)"),
    ("fee_estimate", 2, "it asks for payment", r"\b(?:payment|prepayment|deposit)\s+(?:is\s+)?(?:required|due|must\s+be)\b"),
    ("fee_estimate", 3, "it states a cost (Spanish)", r"\b(?:costo|tarifa|cobro|pago|honorarios|importe)\b[^.$]{0,80}\$\s?\d"),
    # partial release
    ("partial_release", 3, "it releases records in part",
     r"\b(?:partial\s+(?:release|response|production|disclosure)|first\s+(?:installment|batch|set|production|release)|released?\s+in\s+part|rolling\s+(?:basis|production|release))\b"),
    ("partial_release", 2, "more records are still to come",
     r"\b(?:remaining|additional|rest\s+of\s+the)\s+(?:responsive\s+)?(?:records|documents|materials)\s+(?:will|are\s+expected|should)\b"),
    ("partial_release", 3, "it releases records in part (Spanish)", r"\b(?:entrega\s+parcial|primera\s+entrega|respuesta\s+parcial)\b"),
    ("partial_release", 3, "it sends part of the records",
     r"\b(?:a\s+portion\s+of\s+the|some\s+of\s+the|part\s+of\s+the)\s+(?:responsive\s+)?(?:records|documents)|"
     r"\b(?:the\s+remainder|remaining\s+(?:records|documents)|as\s+they\s+become\s+available|in\s+(?:batches|installments))"),
    ("partial_release", 5, "it grants the request in part",
     r"\bgranted\s+in\s+part\b|\bin\s+part\s+and\s+denied\s+in\s+part\b|\bpartially\s+(?:granted|released|fulfilled)"),
    ("partial_release", 3, "it sends one installment of several",
     r"\binstall?ments?\s+(?:\d+|one|two|three)\s+of\s+(?:\d+|two|three|four|five)|\b(?:second|next|final|last)\s+(?:installment|batch|release|production)"),
    # records released
    ("records_released", 3, "it sends the records",
     r"\b(?:attached|enclosed)\s+(?:please\s+find|are|is|you\s+will\s+find|herewith)\s+(?:\S+\s+){0,6}?(?:records|documents|files|materials|responsive|copies)"),
    ("records_released", 3, "it sends the records",
     r"\b(?:responsive\s+)?(?:records|documents|materials)\s+(?:\S+\s+){0,4}?(?:are|is|have\s+been)\s+(?:attached|enclosed|now\s+available|available\s+(?:for\s+download|to\s+download|in\s+the\s+portal)|released|provided)"),
    ("records_released", 3, "it says the request is fulfilled or complete",
     r"\b(?:request|response)\s+(?:has\s+been|is)\s+(?:now\s+)?(?:fulfilled|completed|complete)\b|\bcompletes?\s+(?:our|the|this\s+office's)\s+response\b"),
    ("records_released", 3, "it sends the records (Spanish)",
     r"\b(?:adjunto|adjuntamos|anexamos|se\s+adjuntan)\s+(?:\S+\s+){0,4}?(?:los\s+)?(?:documentos|registros|archivos)"),
    ("records_released", 3, "it sends the records",
     r"\b(?:see|find|review)\s+(?:the\s+)?attached\s+(?:\S+\s+){0,3}?(?:records|documents|files|materials|response)|"
     r"\b(?:complete|full|final)\s+response\s+to\s+your\s+request"),
    # no records
    ("no_records", 4, "it says no records were found",
     r"\b(?:no|not\s+any)\s+(?:responsive\s+)?(?:records|documents)\s+(?:\S+\s+){0,4}?(?:were|was|could\s+be|have\s+been)\s+(?:found|located|identified)"),
    ("no_records", 4, "it says no records were found",
     r"\b(?:did|could)\s+not\s+(?:locate|find|identify)\s+any\s+(?:responsive\s+)?(?:records|documents)"),
    ("no_records", 4, "it says there are no records",
     r"\b(?:has|have|maintains?|possess(?:es)?)\s+no\s+(?:responsive\s+)?(?:records|documents)\b|\bdoes\s+not\s+(?:have|maintain|possess)\s+(?:any\s+)?(?:records|documents)\s+responsive"),
    ("no_records", 4, "it says no records were found (Spanish)",
     r"\bno\s+(?:se\s+(?:encontraron|localizaron|hallaron)|existen|contamos\s+con)\s+(?:\S+\s+){0,2}?(?:documentos|registros|archivos)"),
    ("no_records", 4, "it says there is nothing responsive",
     r"\b(?:there(?:'s|\s+is|\s+are)\s+nothing|(?:don't|do\s+not|doesn't|does\s+not)\s+have\s+(?:anything|any\s+records|any\s+documents))"
     r"(?:\s+\S+){0,4}?\s+(?:responsive|on\s+our\s+end|on\s+file|that\s+(?:match|matches|fit))|"
     r"\bno\s+responsive\s+(?:records|documents|materials)\b"),
    ("no_records", 4, "it says no records were found",
     r"\b(?:found|located|identified)\s+no\s+(?:responsive\s+)?(?:records|documents|materials)|"
     r"\bno\s+(?:records|documents)\s+(?:that\s+)?(?:respond|are\s+responsive|responsive|exist)"),
    ("no_records", 4, "it says no such record exists",
     r"\bno\s+such\s+(?:records?|documents?|agreements?|contracts?|materials?|files?|communications?)\s+(?:exists?|were\s+found)"),
    ("no_records", 4, "it says the records do not exist (Spanish)",
     r"\b(?:informaci[oó]n|documentaci[oó]n|documentos?|registros?)\s+(?:solicitad[ao]s?\s+)?no\s+(?:existen?|obran?)"),
    # denied
    ("denied", 4, "it denies the request",
     r"\b(?:deny|denies|denied|denying|decline|declines|declined)\s+(?:\S+\s+){0,3}?(?:request|disclosure|access|release)\b|\brequest\s+(?:is|has\s+been)\s+(?:hereby\s+)?denied\b"),
    ("denied", 3, "it withholds the records as exempt",
     r"\b(?:exempt\s+from\s+(?:public\s+)?disclosure|withheld\s+in\s+(?:its|their)\s+entirety|(?:are|is)\s+(?:being\s+)?withheld)\b"),
    ("denied", 3, "it refuses to release the records",
     r"\b(?:will\s+not\s+be|cannot\s+be|are\s+not\s+being|is\s+not\s+being)\s+(?:produced|released|disclosed|provided)|"
     r"\b(?:not\s+subject\s+to\s+(?:public\s+)?disclosure|confidential\s+(?:under|pursuant|criminal|law\s+enforcement)|withholding\s+(?:the|all|these))"),
    ("denied", 3, "it refuses access",
     r"\b(?:access|disclosure|release)\s+(?:\S+\s+){0,5}?(?:is|are|has\s+been|have\s+been)\s+refused|"
     r"\brefuses?\s+(?:to\s+(?:release|disclose|produce)|access)|\bwould\s+interfere\s+with\s+(?:an?\s+)?(?:ongoing|pending|active)"),
    ("denied", 4, "it denies the request (Spanish)",
     r"\b(?:ha\s+sido|fue|queda)\s+negad[ao]|\b(?:informaci[oó]n|documentaci[oó]n)\s+(?:\S+\s+){0,2}?es\s+(?:reservada|confidencial)"),
    ("denied", 3, "it withholds the records",
     r"\bexempt\s+from\s+(?:public\s+)?(?:inspection|disclosure|release|production)|\b(?:will\s+be|are\s+being|have\s+been)\s+withheld"),
    ("denied", 1, "it cites an exemption", r"\bexemptions?\b"),
    ("denied", 4, "it denies the request (Spanish)", r"\b(?:deneg(?:ada|amos|ar)|se\s+niega|rechaza(?:da|mos))\b"),
]


def _compile(pattern: str):
    """A rule for lower-cased text: without re.I, and with the leading ``\\b`` checked by
    :func:`_search` instead, so that the regular expression engine can skip ahead to its first
    literal (three times faster on a long letter)."""
    bounded = pattern.startswith(r"\b")
    return re.compile(pattern[2:] if bounded else pattern), bounded, re.compile(pattern, re.I)


_RULES = [(kind, weight, why, _compile(pattern)) for kind, weight, why, pattern in RULES]


def _finditer(rule, text: str, lowered: str | None):
    """The matches of a compiled rule in ``text`` (``lowered`` is its lower-cased copy, or None
    when lower-casing changed its length and the case-insensitive form must be used)."""
    fast, bounded, slow = rule
    if lowered is None:
        yield from slow.finditer(text)
        return
    for match in fast.finditer(lowered):
        start = match.start()
        if bounded and start and (lowered[start - 1].isalnum() or lowered[start - 1] == "_"):
            continue
        yield match


def _search(rule, text: str, lowered: str | None):
    return next(_finditer(rule, text, lowered), None)


def _lowered(text: str) -> str | None:
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else None

_BOUNCE_SUBJECT = re.compile(
    r"\b(?:undeliver(?:able|ed)|delivery\s+(?:status\s+notification|failure|has\s+failed)|mail\s+delivery\s+(?:failed|failure|subsystem)|"
    r"returned\s+mail|failure\s+notice|could\s+not\s+be\s+delivered|message\s+not\s+delivered|no\s+se\s+pudo\s+entregar)", re.I)
# Exchange and Microsoft 365 send plain-text reports from MicrosoftExchange<32 hex digits>@ their domain.
_BOUNCE_SENDER = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|bounces?|microsoftexchange[0-9a-f]{0,32})@", re.I)
_FINAL_RECIPIENT = re.compile(r"Final-Recipient:\s*rfc822;\s*<?([^\s<>]+@[^\s<>]+)>?(?:[\s\S]*?Action:\s*(\w+))?", re.I)
_FAILED_IN_TEXT = re.compile(
    r"<?([\w.+'-]+@[\w-]+(?:\.[\w-]+)+)>?[^\n@]{0,120}?(?:\n\s*)?\(?(?:user\s+unknown|mailbox\s+(?:unavailable|not\s+found|does\s+not\s+exist)|"
    r"(?:recipient\s+)?address\s+rejected|no\s+such\s+user|does\s+not\s+exist|unknown\s+user|\b5\d\d[\s-]5\.\d\.\d+|\b550\b)", re.I)
_FAILED_LIST = re.compile(r"(?:following\s+(?:address(?:es|\(es\))?|recipients?)\s+failed|could\s+not\s+be\s+delivered\s+to|"
                          r"delivery\s+has\s+failed\s+to\s+these\s+recipients(?:\s+or\s+groups)?:?)[^\n]*\n+\s*<?([\w.+'-]+@[\w-]+(?:\.[\w-]+)+)", re.I)

_AUTO_SUBJECT = re.compile(r"^(?:automatic\s+reply|auto(?:matic)?[-\s]?(?:reply|response)|out\s+of\s+(?:the\s+)?office|"
                           r"respuesta\s+autom[aá]tica|fuera\s+de\s+la\s+oficina|ausencia|away\s+from|away\s*:)", re.I)
_OUT_OF_OFFICE = re.compile(
    r"\b(?:out\s+of\s+(?:the\s+)?office|i(?:\s+am|'m|’m)\s+(?:currently\s+)?(?:away|out\s+until|out|on\s+(?:annual\s+|medical\s+)?leave|on\s+vacation)|"
    r"limited\s+access\s+to\s+(?:my\s+)?e-?mail|(?:i\s+)?will\s+(?:be\s+)?(?:back|return(?:ing)?)\s+(?:(?:in|to)\s+the\s+office\s+)?on|"
    r"estar[eé]\s+fuera|fuera\s+de\s+la\s+oficina|me\s+encuentro\s+(?:fuera|de\s+vacaciones)|regresar[eé]\s+el)", re.I)

_SIGN_OFF = re.compile(
    r"^\s*(?:sincerely|regards|best\s+regards|kind\s+regards|warm\s+regards|best|respectfully|respectfully\s+yours|"
    r"thank\s+you|thanks|cordially|yours\s+truly|atentamente|cordialmente|saludos(?:\s+cordiales)?|un\s+saludo|--)\s*[,.!]?\s*$", re.I | re.M)

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty-five": 45, "forty five": 45,
    "sixty": 60, "ninety": 90, "a": 1, "an": 1,
    "uno": 1, "una": 1, "dos": 2, "tres": 3, "cinco": 5, "diez": 10, "quince": 15, "veinte": 20, "treinta": 30,
}
_NUM = r"(\d{1,3}|" + "|".join(sorted((w for w in NUMBER_WORDS if len(w) > 2), key=len, reverse=True)) + r")(?:\s*\(\d{1,3}\))?"
_RELATIVE = (
    rf"\b{_NUM}\s+(?:additional\s+|more\s+)?(business|working|calendar)?\s*(days?|weeks?)"
    r"(?:\s+(?:from\s+(?:today|now|the\s+date\s+of\s+this\s+(?:letter|e-?mail|message|notice|correspondence))|"
    r"of\s+(?:today|the\s+date\s+of\s+this\s+\w+)))?")
_RELATIVE_ES = rf"\b(?:dentro\s+de|en\s+un\s+plazo\s+de|en|de|por)\s+(?:los\s+pr[oó]ximos\s+)?{_NUM}\s+(d[ií]as|semanas)(\s+h[aá]biles)?"
_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
           r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_MONTHS_ES = r"(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre)"
_ABSOLUTE = re.compile(
    rf"\b(?:{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS},?\s+\d{{4}}|"
    rf"\d{{1,2}}\s+de\s+{_MONTHS_ES}(?:\s+(?:de(?:l)?\s+)?\d{{4}})?|\d{{1,2}}/\d{{1,2}}/(?:\d{{4}}|\d{{2}})|\d{{4}}-\d{{2}}-\d{{2}})\b", re.I)
_DATE_CUE = re.compile(
    r"(?:on\s+or\s+before|no\s+later\s+than|by|before|until|expect|expected|anticipate|anticipated|estimate|estimated|"
    r"will\s+(?:be\s+)?(?:respond|provide|complete|produce|release|available|ready)|due|extended\s+to|new\s+(?:due\s+)?date|"
    r"respond\s+(?:on|by)|target\s+(?:completion\s+|response\s+)?date(?:\s+is)?|need\s+until|a\s+m[aá]s\s+tardar|antes\s+del|para\s+el|"
    r"fecha\s+(?:estimada|l[ií]mite)|hasta\s+el)\b[^.\n]{0,60}$", re.I)
_PAST_CUE = re.compile(r"(?:dated|received|submitted|sent|filed|on|of\s+your\s+request|request\s+of|fechada|recibida\s+el)\s*$", re.I)
_MONEY = re.compile(r"\$\s?(\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)|\b(\d+(?:[.,]\d{2})?)\s*(?:d[oó]lares|USD)\b", re.I)
_MONEY_CUE = re.compile(r"\b(?:total|estimated|estimate|fee|fees|cost|costs|deposit|amount|charge|due|costo|tarifa|pago)\b", re.I)
# Written for lower-cased text; the value is taken from the same place in the original.
_REFERENCE = [
    r"\b(?:reference|tracking|request|case|file|ticket|confirmation|control|prr|foia|pra|orr)\s*"
    r"(?:number|no\.?|num\.?|#|id)\s*(?:is|:|#|was)?\s*#?\s*([a-z]{0,6}[-#]?\d[\w-]{1,30}|\d[\w-]{1,30})",
    r"\b(?:public\s+records\s+request|records\s+request|request|prr|foia|pra)\s*#\s*([\w-]*\d[\w-]*)",
    r"\b(r\d{6}-\d{6})\b",
    r"\b(?:request|solicitud)\s+(\d{2,4}-\d{1,6})\b",
    r"\b([a-z]{2,6}-\d{2,4}-\d{2,6})\b",
    r"\bn[uú]mero\s+de\s+(?:referencia|solicitud|expediente|folio|seguimiento)\s*(?:es)?\s*:?\s*#?\s*([\w-]*\d[\w-]*)",
    r"\bfolio\s*:?\s*#?\s*([\w-]*\d[\w-]*)",
]
_REFERENCE_RULES = [_compile(p) for p in _REFERENCE]
_RELATIVE_RULES = [(_compile(_RELATIVE), "en"), (_compile(_RELATIVE_ES), "es")]
# Where quoted earlier messages start (a cheap test before the quote parser runs).
_QUOTE_MARK = re.compile(r"^(?:>|on\s.{0,200}\swrote:|el\s.{0,200}escribi[oó]:|-{2,}\s*(?:original|mensaje)|"
                         r"(?:from|de|sent|enviado):\s|_{10,})", re.I | re.M)
_EXEMPTION = re.compile(
    r"(?:\b\d+\s*U\.?S\.?C\.?\s*§+\s*[\w.()-]+|§+\s*\d[\w.()-]*|\bexemptions?\s+\(?[\dbB][\w()]*|"
    r"\b(?:Gov(?:ernment)?\.?\s+Code|G\.?C\.?)\s*(?:section|§)?\s*\d[\w.()-]*|\bRCW\s+\d[\w.()-]*|\bMCL\s+\d[\w.()-]*)", re.I)
_SENTENCE = re.compile(r"[^.?!\n]*(?:[.?!]|$)")


@dataclasses.dataclass
class Evidence:
    field: str  # kind, estimated_date, fee, reference, days, bounced
    phrase: str  # the words of the message it came from
    why: str

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class Reading:
    kind: str = "not_a_response"
    date: str | None = None  # the day the message was sent (the event's date)
    estimated_date: str | None = None
    fee: str | None = None  # dollars, decimal string
    reference: str | None = None
    days: int | None = None  # an extension's length
    day_type: str | None = None
    question: str = ""
    exemptions: list = dataclasses.field(default_factory=list)
    bounced: list = dataclasses.field(default_factory=list)  # addresses a bounce says failed
    evidence: list = dataclasses.field(default_factory=list)
    why: str = ""
    scores: dict = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict:
        """The reading for ``foia mail classify --json`` and the suggestion column."""
        return {"kind": self.kind, "date": self.date, "estimated_date": self.estimated_date, "fee": self.fee,
                "reference": self.reference, "days": self.days, "day_type": self.day_type,
                "question": self.question, "exemptions": list(self.exemptions), "bounced": list(self.bounced),
                "why": self.why, "evidence": [e.as_dict() for e in self.evidence]}

    @property
    def is_event(self) -> bool:
        return self.kind in RESPONSE_KINDS

    def event_data(self) -> dict:
        """The suggested event's payload, in the timeline's field names."""
        kind = self.kind
        if kind == "acknowledged":
            data = {"estimated_date": self.estimated_date, "tracking_number": self.reference}
        elif kind == "extension_claimed":
            data = {"days": self.days, "day_type": self.day_type, "new_due_on": self.estimated_date,
                    "reason": self._phrase("kind")}
        elif kind == "clarification_requested":
            data = {"question": self.question}
        elif kind == "fee_estimate":
            data = {"amount": self.fee, "estimated_date": self.estimated_date}
        elif kind in ("partial_release", "records_released"):
            data = {"note": self._phrase("kind")}
        elif kind == "denied":
            data = {"exemptions": list(self.exemptions), "reason": self._phrase("kind")}
        else:
            data = {}
        return {k: v for k, v in data.items() if v not in (None, "", [])}

    def _phrase(self, field: str) -> str:
        """The distinct sentences that gave ``field``, in the order found."""
        return " ".join(dict.fromkeys(e.phrase for e in self.evidence if e.field == field))[:1000]


@functools.cache
def _dates() -> DateDataParser:
    return DateDataParser(languages=["en", "es"], settings={
        "DATE_ORDER": "MDY", "PREFER_DAY_OF_MONTH": "first", "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DATES_FROM": "future", "REQUIRE_PARTS": ["day", "month"]})


@functools.cache
def _replies() -> EmailReplyParser:
    return EmailReplyParser(languages=["en", "es"])


def newest_part(text: str) -> tuple[str, dict | None]:
    """The part of a body that is this message's own: a forwarded message if the note above it is
    only a cover note, else the text above quoted earlier messages, without the signature.
    Returns ``(text, forward)``, ``forward`` being quotequail's headers of a forwarded message."""
    text = text or ""
    forward = None
    if re.search(r"^-{2,}\s*(?:forwarded\s+message|mensaje\s+reenviado)", text, re.I | re.M) \
            or re.search(r"^begin\s+forwarded\s+message", text, re.I | re.M):
        try:
            unwrapped = quotequail.unwrap(text[:MAX_READ * 2])
        except Exception:  # quotequail is heuristic; a body it cannot unwrap is read as it is
            unwrapped = None
        if unwrapped and unwrapped.get("type") == "forward" and unwrapped.get("text"):
            forward = unwrapped
            text = unwrapped["text"]
    reply = None
    mark = _QUOTE_MARK.search(text, 0, MAX_READ * 2)
    if mark:
        try:  # the quote parser reads up to just past the first quote header
            reply = _replies().parse_reply(text[:mark.end() + 2000])
        except Exception:
            reply = None
    if reply and reply.strip():
        text = reply
    lines = [line for line in text.split("\n") if not line.lstrip().startswith(">")]
    text = "\n".join(lines)
    cut = _SIGN_OFF.search(text)
    if cut and cut.start() > 0:
        text = text[:cut.start()]
    return text.strip()[:MAX_READ], forward


def _number(word: str) -> int | None:
    word = word.lower().strip()
    if word.isdigit():
        return int(word)
    return NUMBER_WORDS.get(word)


def _base_day(parsed: Parsed, received_on: dt.date | None) -> dt.date | None:
    if parsed.date is not None:
        return parsed.date.date()
    return received_on


def _absolute_dates(text: str, base: dt.date | None):
    """Each stated date: (date, phrase, cued), where ``cued`` says it follows "by", "on or before"..."""
    found = []
    for match in _ABSOLUTE.finditer(text):
        phrase = match.group(0)
        value = None
        iso = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", phrase)
        try:
            if iso:
                value = dt.date(*map(int, iso.groups()))
            else:
                parsed = _dates().get_date_data(phrase)
                if parsed.date_obj is not None:
                    value = parsed.date_obj.date()
                    if not re.search(r"\d{4}|/\d{2}$", phrase) and base is not None:
                        value = _year_after(value, base)
        except ValueError:
            value = None
        if value is None:
            continue
        before = text[max(0, match.start() - 80):match.start()]
        found.append((value, _sentence(text, match.start(), match.end()), bool(_DATE_CUE.search(before)),
                      bool(_PAST_CUE.search(before))))
    return found


def _year_after(value: dt.date, base: dt.date) -> dt.date:
    """A date written without a year ("15 de enero"): the first such day on or after ``base``."""
    candidate = value.replace(year=base.year)
    if candidate < base:
        candidate = candidate.replace(year=base.year + 1)
    return candidate


def _sentence(text: str, start: int, end: int) -> str:
    left = max(text.rfind(".", 0, start), text.rfind("\n\n", 0, start), text.rfind("?", 0, start), text.rfind("!", 0, start))
    right_candidates = [i for i in (text.find(". ", end), text.find(".\n", end), text.find("\n\n", end)) if i != -1]
    right = min(right_candidates) + 1 if right_candidates else len(text)
    return " ".join(text[left + 1:right].split())[:500]


def _relative_dates(text: str, base: dt.date | None, calendar):
    """Each relative period: (date or None, phrase, days, day_type, is_extension_length)."""
    found = []
    lowered = _lowered(text)
    matches = [(m, lang) for rule, lang in _RELATIVE_RULES for m in _finditer(rule, text, lowered)]
    for match, lang in matches:
        groups = match.groups()
        count = _number(groups[0])
        if not count or count > 365:
            continue
        if lang == "en":
            day_type, unit = (groups[1] or "").lower(), groups[2].lower()
        else:
            unit = "weeks" if groups[1].lower().startswith("semana") else "days"
            day_type = "business" if groups[2] else ""
        if day_type == "working":
            day_type = "business"
        days = count * 7 if unit.startswith("week") else count
        if unit.startswith("week"):
            day_type = "calendar"
        phrase = match.group(0).strip()
        before = text[max(0, match.start() - 60):match.start()].lower()
        extension_length = bool(re.search(r"(?:extend|extension|additional|more|another|pr[oó]rroga|ampliaci)", before + phrase.lower()))
        value = None
        if base is not None:
            if day_type == "business":
                value = calendar.add_business_days(base, days, skipped=False)[0]
            else:
                value = base + dt.timedelta(days=days)
        found.append((value, _sentence(text, match.start(), match.end()), days, day_type or "calendar", extension_length))
    return found


def _fee(text: str) -> tuple[str | None, str]:
    best = None
    for match in _MONEY.finditer(text):
        raw = match.group(1) or match.group(2).replace(",", ".")
        try:
            amount = decimal.Decimal(raw.replace(",", "")).quantize(decimal.Decimal("0.01"))
        except decimal.InvalidOperation:
            continue
        line_start = text.rfind("\n", 0, match.start()) + 1
        before = text[max(line_start, match.start() - 60):match.start()]
        score = (2 if re.search(r"\btotal\b", before, re.I) else 0) + (1 if _MONEY_CUE.search(before) else 0)
        if best is None or score > best[0]:
            best = (score, str(amount), _sentence(text, match.start(), match.end()))
    return (best[1], best[2]) if best else (None, "")


def _reference(subject: str, text: str) -> tuple[str | None, str]:
    for source in (text, subject):
        lowered = _lowered(source)
        for rule in _REFERENCE_RULES:
            match = _search(rule, source, lowered)
            if match:
                value = source[match.start(1):match.end(1)].strip("-.#")
                if value and any(c.isdigit() for c in value) and not re.fullmatch(r"\d{1,2}", value):
                    return value[:60], _sentence(source, match.start(), match.end())
    return None, ""


def bounced_addresses(parsed: Parsed) -> list[str]:
    found: list[str] = []
    for match in _FINAL_RECIPIENT.finditer(parsed.delivery_status):
        action = (match.group(2) or "failed").lower()
        if action == "failed":
            found.append(match.group(1).lower())
    failed_header = parsed.headers.get("x-failed-recipients", "")
    found += [a.strip().lower() for a in failed_header.split(",") if "@" in a]
    if not found:
        for pattern in (_FAILED_LIST, _FAILED_IN_TEXT):
            found += [m.group(1).lower() for m in pattern.finditer(parsed.text[:MAX_READ])]
    return list(dict.fromkeys(a.strip("<>.,;") for a in found))


def is_bounce(parsed: Parsed) -> str:
    """Why the message is a delivery report, or "" if it is not one."""
    if parsed.content_type == "multipart/report" and parsed.report_type == "delivery-status":
        return "it is a delivery status report (multipart/report)"
    if parsed.delivery_status:
        return "it carries a delivery status part"
    if _BOUNCE_SENDER.match(parsed.from_addr or "") and _BOUNCE_SUBJECT.search(parsed.subject):
        return f"it comes from {parsed.from_addr} about a failed delivery"
    if _BOUNCE_SUBJECT.search(parsed.subject) and (_BOUNCE_SENDER.match(parsed.from_addr or "")
                                                   or "mail delivery" in parsed.from_name.lower()
                                                   or parsed.headers.get("x-failed-recipients")):
        return "its subject reports a failed delivery"
    return ""


def auto_reply_headers(parsed: Parsed) -> str:
    """Why the headers mark the message as automatic, or ""."""
    auto = parsed.headers.get("auto-submitted", "").lower()
    if auto and not auto.startswith("no"):
        return f"its Auto-Submitted header says {auto.split(';')[0]}"
    for name in ("x-autoreply", "x-autorespond"):
        if parsed.headers.get(name):
            return f"it has an {name.title()} header"
    if parsed.headers.get("precedence", "").lower() in ("auto_reply", "auto-reply"):
        return "its Precedence header says auto_reply"
    if "x-auto-response-suppress" in parsed.headers and _AUTO_SUBJECT.search(parsed.subject):
        return "it is marked as an automatic response"
    return ""


def read(parsed: Parsed, *, calendar=None, received_on: dt.date | None = None) -> Reading:
    """Read one parsed message. ``calendar`` (a :class:`foia.workdays.Calendar`) counts business
    days (the agency's own; default: US federal holidays); relative dates count from the
    message's Date, or ``received_on`` when it has none."""
    calendar = calendar or workdays.calendar_for("US")
    base = _base_day(parsed, received_on)
    reading = Reading(date=base.isoformat() if base else None)

    why = is_bounce(parsed)
    if why:
        reading.kind = "bounce"
        reading.bounced = bounced_addresses(parsed)
        reading.why = f"Not delivered: {why}" + (f"; failed address: {', '.join(reading.bounced)}." if reading.bounced else ".")
        for address in reading.bounced:
            reading.evidence.append(Evidence("bounced", address, "the delivery report names it as failed"))
        return reading

    text, forward = newest_part(parsed.text)
    if forward and forward.get("date"):
        forwarded_on = _absolute_dates(forward["date"], base)
        if forwarded_on:
            base = forwarded_on[0][0]
            reading.date = base.isoformat()
    subject = re.sub(r"^\s*(?:(?:re|fw|fwd|aw|rv|res)\s*:\s*)+", "", parsed.subject, flags=re.I)
    haystack = subject + "\n" + text

    ooo = _OUT_OF_OFFICE.search(haystack) if not _AUTO_SUBJECT.search(parsed.subject) else _AUTO_SUBJECT.search(parsed.subject)
    if ooo:
        reading.kind = "auto_reply"
        reading.why = f"Automatic reply: it says “{ooo.group(0).strip()}”."
        reading.evidence.append(Evidence("kind", _sentence(haystack, ooo.start(), ooo.end()) or ooo.group(0), "out-of-office wording"))
        return reading

    scores: dict[str, int] = {}
    hits: dict[str, list[tuple[str, str]]] = {}
    lowered = _lowered(haystack)
    for kind, weight, why, rule in _RULES:
        match = _search(rule, haystack, lowered)
        if match:
            scores[kind] = scores.get(kind, 0) + weight
            hits.setdefault(kind, []).append((_sentence(haystack, match.start(), match.end()) or match.group(0), why))
    documents = [a.filename for a in parsed.attachments if a.content_type in ATTACHED_RECORDS]
    if documents and not any(v >= THRESHOLD for v in scores.values()):
        # A reply that says little but carries documents is most likely the records themselves.
        scores["records_released"] = THRESHOLD
        hits["records_released"] = [(", ".join(documents)[:500], "it carries documents and says nothing else")]
    reading.scores = scores
    candidates = [k for k in PRECEDENCE if scores.get(k, 0) >= THRESHOLD]
    auto = auto_reply_headers(parsed)
    if not candidates:
        if auto:
            reading.kind = "auto_reply"
            reading.why = f"Automatic reply: {auto}, and it does not answer the request."
        else:
            reading.why = "Not a response: no wording of an acknowledgement, extension, fee, release, denial or request for clarification was found."
        return reading
    best = max(candidates, key=lambda k: (scores[k], -PRECEDENCE.index(k)))
    reading.kind = best
    for phrase, why in hits[best]:
        reading.evidence.append(Evidence("kind", phrase, why))
    reasons = "; ".join(dict.fromkeys(why for _, why in hits[best]))
    reading.why = f"{KIND_LABELS[best]}: {reasons}."
    others = [k for k in candidates if k != best]
    if others:
        reading.why += " Also mentions: " + ", ".join(KIND_LABELS[k].lower() for k in others) + "."

    _read_details(reading, subject, text, base, calendar)
    return reading


def _read_details(reading: Reading, subject: str, text: str, base, calendar) -> None:
    kind = reading.kind
    reference, phrase = _reference(subject, text)
    if reference:
        reading.reference = reference
        reading.evidence.append(Evidence("reference", phrase, "the agency's reference number"))
    if kind == "fee_estimate":
        fee, phrase = _fee(text)
        if fee:
            reading.fee = fee
            reading.evidence.append(Evidence("fee", phrase, "the amount stated"))
    if kind == "clarification_requested":
        questions = [m.group(0).strip() for m in _SENTENCE.finditer(text) if m.group(0).strip().endswith("?")]
        reading.question = " ".join(questions)[:1000] or next(
            (e.phrase for e in reading.evidence if e.field == "kind"), "")
    if kind == "denied":
        reading.exemptions = list(dict.fromkeys(" ".join(m.group(0).split()).rstrip(".,;") for m in _EXEMPTION.finditer(text)))[:20]
    if kind not in ("acknowledged", "extension_claimed", "fee_estimate", "partial_release", "clarification_requested"):
        return
    absolute = [d for d in _absolute_dates(text, base) if base is None or d[0] > base]
    cued = [d for d in absolute if d[2] and not d[3]]
    relative = _relative_dates(text, base, calendar)
    if kind == "extension_claimed":
        lengths = [r for r in relative if r[4]] or relative
        if lengths:
            _, phrase, reading.days, reading.day_type, _ = lengths[0]
            reading.evidence.append(Evidence("days", phrase, "the length of the extension"))
        pick = cued[0] if cued else (absolute[0] if absolute else None)
        if pick:
            reading.estimated_date = pick[0].isoformat()
            reading.evidence.append(Evidence("estimated_date", pick[1], "the new date it gives"))
        return
    if cued:
        reading.estimated_date = cued[0][0].isoformat()
        reading.evidence.append(Evidence("estimated_date", cued[0][1], "the date it says to expect an answer by"))
        return
    timed = [r for r in relative if r[0] is not None and not r[4]] or [r for r in relative if r[0] is not None]
    if timed:
        value, phrase, days, day_type, _ = timed[0]
        reading.estimated_date = value.isoformat()
        reading.evidence.append(Evidence(
            "estimated_date", phrase, f"{days} {day_type} days counted from the message's date, {base.isoformat()}"))
        return
    if absolute and kind != "clarification_requested":
        reading.estimated_date = absolute[0][0].isoformat()
        reading.evidence.append(Evidence("estimated_date", absolute[0][1], "the only future date it states"))
