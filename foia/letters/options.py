"""Letter options: what a letter asks for and how, validated from JSON, a form or the command line.

:func:`normalize_options` turns whatever was given into one complete, canonical dict (the form a
request or campaign stores); every problem is an :class:`foia.errors.Invalid` naming the option.
"""
import copy
import datetime as dt
import re

from ..errors import Invalid
from .categories import categories

# From the Neighbors police portal's launch (2018) to the letter's date, unless changed.
DEFAULT_DATE_FROM = "2018-01-01"
SEARCH_TERMS = ["Ring", "Neighbors", "NPSS", "Request for Assistance", "Community Request", "Axon", "Fusus",
                "Flock"]
CUSTODIANS = [
    "the office of the chief or sheriff",
    "the public information officer",
    "the officers and staff who administer the agency's Neighbors Public Safety Service account",
    "the crime analysis unit or real-time crime center",
    "the procurement or purchasing office",
    "the city or county attorney's office",
]

DEFAULT_OPTIONS = {
    "date": "",  # the letter's date; empty = today
    "date_from": DEFAULT_DATE_FROM,  # empty = no start
    "date_to": "",  # empty = the letter's date
    "categories": None,  # None = all
    "parties": [],
    "domains": ["ring.com"],  # every message sent to or from these
    "keyword_domains": ["amazon.com"],  # messages sent to or from these that contain a search term
    "search_terms": list(SEARCH_TERMS),
    "custodians": list(CUSTODIANS),
    "footage": False,  # also ask for copies of the video itself (logs and metadata always)
    "fee_waiver": True,
    "public_interest": "",
    "fee_ceiling": 25,
    "native_format": True,
    "rolling": True,
    "preservation": True,
    "expedited": False,
    "expedited_reason": "",
    "residency": "",
    "estimated_date": "",  # follow-up: overrides the estimate found on the timeline
    "denial_date": "",  # appeal: override the denial found on the timeline
    "denial_reason": "",
}
BOOL_OPTIONS = ("footage", "fee_waiver", "native_format", "rolling", "preservation", "expedited")
DATE_OPTIONS = ("date", "date_from", "date_to", "estimated_date", "denial_date")
TEXT_OPTIONS = ("public_interest", "expedited_reason", "residency", "denial_reason")
LIST_OPTIONS = ("parties", "search_terms", "custodians")  # one item a line (or separated by ;)
DOMAIN_OPTIONS = ("domains", "keyword_domains")
OPTION_HELP = {
    "date": "letter date (YYYY-MM-DD; default today)",
    "date_from": f"start of the date range (YYYY-MM-DD; default {DEFAULT_DATE_FROM}, empty for none)",
    "date_to": "end of the date range (YYYY-MM-DD; default the letter's date)",
    "categories": "record categories to ask for (keys or numbers, comma-separated; default all)",
    "parties": "named people or offices whose messages to search (separated by ; or new lines)",
    "domains": "email domains: every message sent to or from them (comma-separated)",
    "keyword_domains": "email domains: only messages that contain a search term (comma-separated)",
    "search_terms": "search terms for the keyword domains and the search (separated by ; or new lines)",
    "custodians": "offices or people likely to hold the records (separated by ; or new lines)",
    "footage": "also ask for copies of the video footage itself, not only logs and metadata (yes/no)",
    "fee_waiver": "ask for a fee waiver (yes/no)",
    "public_interest": "public-interest statement (text)",
    "fee_ceiling": "dollar amount above which to be told of fees in advance (empty for none)",
    "native_format": "ask for electronic records in native format (yes/no)",
    "rolling": "ask for rolling production (yes/no)",
    "preservation": "ask the agency to preserve responsive records (yes/no)",
    "expedited": "ask for expedited processing where the law offers it (yes/no)",
    "expedited_reason": "why expedited processing is justified (text)",
    "residency": "residency statement for states that limit requests to residents (text)",
    "estimated_date": "follow-up: the agency's estimated completion date (YYYY-MM-DD)",
    "denial_date": "appeal: date of the denial (YYYY-MM-DD)",
    "denial_reason": "appeal: the reason the agency gave (text)",
}
# The options' names in messages (each message also names its field, so a form shows it beside it).
OPTION_LABELS = {
    "date": "Letter date", "date_from": "Records from", "date_to": "Records to", "categories": "Record categories",
    "parties": "People or offices", "domains": "E-mail domains", "keyword_domains": "Keyword e-mail domains",
    "search_terms": "Search terms", "custodians": "Who holds the records", "footage": "Video footage",
    "fee_waiver": "Fee waiver", "public_interest": "Public interest", "fee_ceiling": "Fee limit",
    "native_format": "Native format", "rolling": "Rolling release", "preservation": "Preservation",
    "expedited": "Expedited processing", "expedited_reason": "Why it is urgent", "residency": "Residency",
    "estimated_date": "Estimated completion date", "denial_date": "Date of the denial",
    "denial_reason": "Reason for the denial",
}
_TRUE = {"1", "true", "yes", "on", "y"}
_FALSE = {"0", "false", "no", "off", "n", ""}
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MAX_ITEMS = 50
MAX_ITEM = 300


def _say(key: str, text: str) -> str:
    return f"{OPTION_LABELS.get(key, key)}: {text}"


def split(value, separators: str) -> list[str]:
    """A list from a list, or from text separated by any of ``separators``; blanks dropped."""
    if value is None:
        return []
    if isinstance(value, str):
        value = re.split(f"[{separators}]", value)
    return [str(v).strip() for v in value if str(v).strip()]


def _flag(key, value) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in _TRUE:
        return True
    if str(value).strip().lower() in _FALSE:
        return False
    raise Invalid(key, _say(key, f"answer yes or no, not “{value}”."))


def _date(key, value) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise Invalid(key, _say(key, f"“{text[:40]}” is not a date. Enter it as year-month-day, such as 2019-02-28.")) from None


def _money(key, value):
    text = str(value if value is not None else "").strip().lstrip("$").replace(",", "")
    if not text:
        return None
    try:
        amount = float(text)
    except ValueError:
        raise Invalid(key, _say(key, f"“{str(value)[:40]}” is not an amount of dollars. Enter it as 25 or 12.50.")) from None
    if not 0 <= amount < 1e9:
        raise Invalid(key, _say(key, "enter an amount from $0 to $999,999,999."))
    return int(amount) if amount == int(amount) else round(amount, 2)


def _categories(key, value):
    if value is None:
        return None
    table = categories()
    by_key = {c.key: c.key for c in table} | {str(c.number): c.key for c in table}
    chosen = []
    for item in split(value, ",;\n "):
        if item.lower() not in by_key:
            raise Invalid(key, _say(key, f"unknown category '{item}' (known: {', '.join(c.key for c in table)})."))
        if by_key[item.lower()] not in chosen:
            chosen.append(by_key[item.lower()])
    order = [c.key for c in table]
    return sorted(chosen, key=order.index)


def _items(key, value) -> list[str]:
    items = list(dict.fromkeys(split(value, ";\n")))
    if len(items) > MAX_ITEMS:
        raise Invalid(key, _say(key, f"at most {MAX_ITEMS} entries, please."))
    for item in items:
        if len(item) > MAX_ITEM:
            raise Invalid(key, _say(key, f"“{item[:40]}…” is longer than {MAX_ITEM} characters."))
    return items


def _domains(key, value) -> list[str]:
    domains = [d.lower().lstrip("@") for d in split(value, ",;\n ")]
    for domain in domains:
        if not _DOMAIN.match(domain):
            raise Invalid(key, _say(key, f"“{domain[:60]}” is not an e-mail domain such as ring.com."))
    return list(dict.fromkeys(domains))


def normalize_options(raw: dict | None) -> dict:
    """Validate options; returns a complete, canonical dict. Raises :class:`Invalid` naming the option."""
    raw = dict(raw or {})
    unknown = sorted(set(raw) - set(DEFAULT_OPTIONS))
    if unknown:
        raise Invalid(unknown[0], f"unknown letter option(s): {', '.join(unknown)} "
                                  f"(known: {', '.join(DEFAULT_OPTIONS)})")
    options = copy.deepcopy(DEFAULT_OPTIONS)
    problems: dict[str, str] = {}  # every problem at once, each beside its field
    for key, value in raw.items():
        try:
            if key in BOOL_OPTIONS:
                options[key] = _flag(key, value)
            elif key in DATE_OPTIONS:
                options[key] = _date(key, value)
            elif key in TEXT_OPTIONS:
                options[key] = str(value or "").strip()
            elif key == "fee_ceiling":
                options[key] = _money(key, value)
            elif key == "categories":
                options[key] = _categories(key, value)
            elif key in LIST_OPTIONS:
                options[key] = _items(key, value)
            elif key in DOMAIN_OPTIONS:
                options[key] = _domains(key, value)
        except Invalid as e:
            problems[key] = str(e)
    if not problems:
        if options["date_from"] and options["date_to"] and options["date_from"] > options["date_to"]:
            problems["date_from"] = _say("date_from", "the date range starts after it ends.")
        elif options["date_from"] and options["date"] and options["date_from"] > options["date"]:
            problems["date_from"] = _say("date_from", "the date range starts after the letter's date.")
    if problems:
        raise Invalid.many(problems)
    return options


def parse_option_pairs(pairs: list[str]) -> dict:
    """``["key=value", ...]`` (the command line's ``--option``) to a dict; repeated keys accumulate."""
    raw: dict = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise Invalid(key or "option", f"option {pair!r}: write it as key=value")
        if key in raw and key in LIST_OPTIONS:
            raw[key] = f"{raw[key]};{value}"
        elif key in raw and key in DOMAIN_OPTIONS + ("categories",):
            raw[key] = f"{raw[key]},{value}"
        else:
            raw[key] = value
    return raw
