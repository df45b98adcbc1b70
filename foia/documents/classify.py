"""Document types, and the keyword rules that suggest one from a document's text."""
import re

DOC_TYPES = {
    "agreement": "Agreement / MOU",
    "correspondence": "Correspondence",
    "invoice": "Invoice / purchase",
    "training": "Training / policy",
    "video_request_log": "Video-request log",
    "other": "Other",
}

RULES = {
    "agreement": (
        (r"memorandum of (understanding|agreement)", 4), (r"\bmou\b", 3), (r"\bagreement\b", 2),
        (r"hereby agree", 3), (r"parties agree", 3), (r"terms and conditions", 2), (r"terms of service", 2),
        (r"partnership", 1), (r"\bindemnif", 2), (r"in witness whereof", 3),
    ),
    "correspondence": (
        (r"^from:", 2), (r"^to:", 1), (r"^subject:", 2), (r"^sent:", 2), (r"^date:", 1), (r"\bdear\b", 2),
        (r"\bsincerely\b", 2), (r"\bregards\b", 1), (r"^re:", 1), (r"^cc:", 1),
    ),
    "invoice": (
        (r"\binvoice\b", 4), (r"purchase order", 4), (r"amount due", 3), (r"total due", 3), (r"bill to", 3),
        (r"\bremit", 2), (r"\bsubtotal\b", 2), (r"\bquote\b", 1), (r"payment terms", 2), (r"\bp\.?o\.? #", 2),
    ),
    "training": (
        (r"\btraining\b", 3), (r"\bpolicy\b", 2), (r"\bprocedures?\b", 2), (r"general order", 4),
        (r"\bguidelines?\b", 2), (r"\bdirective\b", 2), (r"best practices", 2), (r"\bcurriculum\b", 2),
        (r"\bwebinar\b", 2), (r"\bslides?\b", 1),
    ),
    "video_request_log": (
        (r"video requests?", 4), (r"requests? for (video|footage)", 4), (r"footage requests?", 4),
        (r"neighbors (public safety )?portal", 3), (r"request log", 3), (r"camera owners?", 2),
        (r"\bcase (number|#)", 1), (r"requested footage", 3), (r"\brequest id\b", 2),
    ),
}
_COMPILED = {kind: [(re.compile(p, re.I | re.M), w) for p, w in rules] for kind, rules in RULES.items()}


def suggest_type(text: str, title: str = "", filename: str = "") -> str:
    """A document type guessed from keywords (weighted, each counted up to three times);
    ``other`` when nothing scores at least 4."""
    sample = "\n".join((title, filename.replace("_", " ").replace("-", " "), text[:20000]))
    best, best_score = "other", 3
    for kind, rules in _COMPILED.items():
        score = sum(w * min(len(rx.findall(sample)), 3) for rx, w in rules)
        if score > best_score:
            best, best_score = kind, score
    return best
