"""What a letter may say about a request: requester, agency, law, options, scope and timeline.

:func:`build_context` is the one place a template's variables come from (``letters/README.md``
lists them). It reads the request, its agency, the law (the law model's fields, as plain values)
and the timeline (its canonical payload fields). Wording a caller builds from the law model (a
statute named with its state, the response duty in the statute's terms) arrives as ``law_fields``
and is merged over the law's own fields.
"""
import dataclasses
import datetime as dt
import re
from collections.abc import Mapping

from .. import deadlines, laws, requests
from ..errors import Invalid
from . import language
from . import requester as requester_module
from .categories import categories
from .options import normalize_options, split
from .templates import date_words

# Where a law offers expedited processing (from foia/data/laws-EVIDENCE.md): citation, standard.
EXPEDITED = {
    "US": ("5 U.S.C. § 552(a)(6)(E)", "a compelling need, including an urgency to inform the public"),
    "UT": ("Utah Code § 63G-2-204", "a benefit to the public rather than to a person"),
}

# Timeline events and the canonical payload fields letters read (see foia/events.py).
ESTIMATE_EVENTS = ("acknowledged", "fee_estimate")  # payload field estimated_date
EXTENSION_EVENT = "extension_claimed"  # days, day_type, new_due_on, reason
DENIAL_EVENTS = ("denied", "no_records")  # denied: exemptions, reason
RELEASE_EVENTS = ("partial_release", "records_released")  # pages, note

# Words a request title may share with the Ring letter without adding anything to it.
_GENERIC_WORDS = {
    "a", "an", "and", "the", "of", "for", "to", "with", "about", "on", "in", "its", "their", "re",
    "ring", "amazon", "neighbors", "neighbor", "partnership", "partnerships", "partner", "program",
    "records", "record", "request", "requests", "public", "foia", "foil", "pra", "police", "department",
    "pd", "sheriff", "agency", "llc", "inc", "com",
}


def _date(value) -> str:
    """An ISO date from a payload value, or "" when it is not one."""
    try:
        return dt.date.fromisoformat(str(value or "").strip()[:10]).isoformat()
    except ValueError:
        return ""


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", (text or "").lower())


def title_adds(title: str, agency: Mapping | None = None) -> bool:
    """Whether a request's title says more than the generic Ring letter does. Naming the agency,
    its place or its state ("Illinois Ring partnership records") adds nothing."""
    known = set(_GENERIC_WORDS)
    for key in ("name", "city", "county", "state", "state_name"):
        known.update(_words(str((agency or {}).get(key) or "")))
    return any(word not in known and not word.isdigit() for word in _words(title))


def _focus(request: dict, agency: Mapping) -> str:
    """The request's own item: its title and description, where they add to the template."""
    title = (request.get("title") or "").strip().rstrip(".")
    description = " ".join((request.get("description") or "").split())
    if not title_adds(title, agency):
        return description
    if re.search(r"\brecords?$", title, re.I):
        subject = title[:1].upper() + title[1:]  # "Flock and Axon integration records"
    else:
        subject = f"Records about {title}"
    return f"{subject}: {description}" if description else f"{subject}."


def _via(agency: dict, method: str) -> str:
    if method == "portal" and agency.get("portal_url"):
        return f"Via the records portal at {agency['portal_url']}"
    if method == "mail":
        return "Via U.S. Mail"
    if method == "fax":
        return "Via fax"
    if agency.get("records_email"):
        return f"Via e-mail to {agency['records_email']}"
    return ""


def _appeal_route(note: str) -> str:
    """The law table's appeal note without its research qualifiers ("not re-verified")."""
    note = re.sub(r";\s*not re-verified\)", ")", note)
    note = re.sub(r"\s*\([^()]*not re-verified\)", "", note)
    return note.strip()


def _timeline(events: list[dict]) -> dict:
    """The parts of a timeline a letter quotes, from the canonical payload fields."""
    estimate = {"date": "", "from": ""}
    extension = fee = denial_event = None
    releases = []
    for event in events:
        data = event["data"]
        on = event["occurred_on"][:10]
        if event["kind"] in ESTIMATE_EVENTS and _date(data.get("estimated_date")):
            estimate = {"date": _date(data["estimated_date"]), "from": event["kind"]}
        if event["kind"] == EXTENSION_EVENT:
            extension = {"date": on, "days": data.get("days"), "day_type": data.get("day_type") or "",
                         "new_due_on": _date(data.get("new_due_on")), "reason": data.get("reason") or ""}
            if extension["new_due_on"]:
                estimate = {"date": extension["new_due_on"], "from": event["kind"]}
        if event["kind"] == "fee_estimate":
            fee = {"date": on, "amount": str(data.get("amount") or ""),
                   "estimated_date": _date(data.get("estimated_date"))}
        if event["kind"] in RELEASE_EVENTS:
            releases.append({"date": on, "kind": event["kind"], "pages": data.get("pages"),
                             "note": data.get("note") or event.get("note") or ""})
        if event["kind"] in DENIAL_EVENTS:
            denial_event = event
    return {"estimate": estimate, "extension": extension, "fee": fee, "releases": releases,
            "denial_event": denial_event}


def _residency(law_obj, lang: dict, person: dict, options: dict, warnings: list[str]) -> str:
    """The letter's residency statement: the one typed as an option, else the law's wording when the
    requester's settings say they qualify; a warning where they do not (or do not say)."""
    if options["residency"]:
        return options["residency"]
    rule = law_obj.residency
    if not rule.required:
        return ""
    whose = "the United States" if rule.scope == "US" else laws.NAMES.get(law_obj.jurisdiction, "")
    where = (person.get("residence") or "").upper()
    resident = where in laws.NAMES and where != "US" if rule.scope == "US" else where == law_obj.jurisdiction
    if not where:
        warnings.append(f"{lang['statute'][:1].upper()}{lang['statute'][1:]} gives the right of access to residents "
                        f"of {whose}: set your state of residence in the requester settings, or type a residency "
                        "statement (option residency). The letter makes none.")
        return ""
    if not resident:
        warnings.append(f"{lang['statute'][:1].upper()}{lang['statute'][1:]} gives the right of access to residents "
                        f"of {whose}, and the requester settings give {laws.NAMES.get(where, where)}: the letter "
                        "makes no residency statement, and the agency may refuse the request.")
        return ""
    if not rule.verified:
        warnings.append(f"Unverified: the residency rule for {law_obj.name} is not verified; the letter makes no "
                        "residency statement.")
        return ""
    return lang["residency"] or f"I am a resident of {whose}."


def _enclosures(db, request: dict, denial: dict | None, denial_event: dict | None, agency: dict) -> list[dict]:
    """What an appeal encloses: the request letter and the agency's decision, each marked with
    whether a copy is stored for this request (letter files, documents attached to the decision)."""
    sent = [row for row in db.query(
        "SELECT id, template, format, generated_at FROM letters WHERE request_id = ? "
        "AND template NOT IN ('appeal', 'follow-up') ORDER BY generated_at, id", [request["id"]])]
    items = [{"what": "request", "text": "my request" + (f" of {date_words(dt.date.fromisoformat(request['filed_on']))}"
                                                         if request.get("filed_on") else ""),
              "stored": bool(sent), "letter_id": sent[0]["id"] if sent else None}]
    if denial and denial["kind"] == "deemed":
        items.append({"what": "decision", "text": "a note that no response was received",
                      "stored": True, "document_id": None})
    elif denial:
        documents = list(db.query("SELECT id FROM documents WHERE request_id = ? AND event_id = ? AND deleted_at IS NULL ORDER BY id",
                                  [request["id"], denial_event["id"]])) if denial_event else []
        items.append({"what": "decision",
                      "text": f"the {agency['name']}'s response of {date_words(dt.date.fromisoformat(denial['date']))}",
                      "stored": bool(documents), "document_id": documents[0]["id"] if documents else None})
    return items


def _appeal(law_obj, lang: dict, dates, agency: dict, via: str, letter_date: dt.date) -> dict:
    """Where an appeal goes and how, from the law model's appeal route and the letter wording."""
    route = law_obj.appeal
    to_agency = route.route in ("agency_head", "court_only", "other")
    titles = {"agency_head": "Appeal", "court_only": "Request for reconsideration",
              "other": "Request for reconsideration"}
    to = language.lines(lang["appeal_to"])
    if not to and not to_agency and not laws.is_unverified(route.body):
        to = [re.sub(r"\s*\([^()]*\)", "", route.body).split(";")[0].strip()]
    address = language.lines(lang["appeal_address"])
    if to_agency:
        to = to + [agency["name"]]
        address = address or agency["address_lines"]
    title = lang["appeal_title"] or titles.get(route.route, "Appeal")
    noun = next((word for word in ("appeal", "complaint", "petition", "request for review") if word in title.lower()),
                "request")
    appeal_dates = dates.appeal or {}
    due = appeal_dates.get("due") if not dates.appeal_is_default else None
    return {
        "route": route.route,
        "administrative": route.administrative,
        "to_agency": to_agency,
        "title": title,
        "noun": noun,
        "to": to,
        "address": address,
        "via": lang["appeal_via"] or (via if to_agency else ""),
        "cite": lang["appeal_cite"] or language.clean_citation(route.citation),
        "deadline": str(route.deadline) if route.deadline and route.deadline_verified else "",
        "due": due.isoformat() if due else "",
        "due_passed": bool(due) and due < letter_date,
        "starts_on": appeal_dates.get("starts_on", ""),
        "decision": lang["appeal_decision"],
        "complaint": lang["complaint"],
        "next_step": lang["next_step"],
        "presuit_notice": lang["presuit_notice"] if route.route == "court_only" else "",
        "attachments_rule": route.attachments,
    }


def build_context(db, request_id, options: dict | None = None, *, today: dt.date,
                  law_fields: Mapping | None = None, settings: deadlines.Settings | None = None) -> dict:
    """Everything a template may print about a request. ``context["warnings"]`` lists gaps.

    ``options=None`` uses the options stored on the request. ``law_fields`` (from the law model)
    are merged into ``context["law"]`` over the law table's fields.
    """
    request = requests.get(db, request_id)
    if options is None:
        options = request["options"] or {}
    options = normalize_options(options)
    letter_date = dt.date.fromisoformat(options["date"]) if options["date"] else today
    warnings: list[str] = []

    person = requester_module.requester(db)
    problems = {
        field: f"requester {field} is not set: fill in the requester settings "
               f"(foia settings requester --{field} ...) first"
        for field in requester_module.missing(person)
    }
    if problems:
        raise Invalid.many(problems)
    person["address_lines"] = [line.strip() for line in person["address"].splitlines() if line.strip()]

    agency = dict(db["agencies"].get(request["agency_id"]))
    agency.pop("submission_key", None)  # the form's one-time key: not for letters
    agency["state_name"] = laws.NAMES.get(agency["state"], agency["state"])
    agency["address_lines"] = [line.strip() for line in (agency["mailing_address"] or "").splitlines()
                               if line.strip()]
    if not agency["address_lines"]:
        warnings.append(f"{agency['name']} has no mailing address on file; the letter has none.")
    if not agency["records_email"]:
        warnings.append(f"{agency['name']} has no records email on file.")

    law_obj = laws.get(db, agency["state"])
    if law_obj is None:
        raise Invalid("agency", f"no law on file for {agency['state']} (run `foia init` to load the law table)")
    law = law_obj.as_json()  # the law model's fields (clocks, appeal, residency, fees), as plain values
    law.update(
        name=law_obj.law_name,
        state_name=law_obj.name,
        has_fixed_period=law_obj.has_fixed_period,
        period_words=law_obj.period_words(),
        extension_note=law_obj.extension_note,
        appeal_route=_appeal_route(law_obj.appeal_note),
        administrative_appeal=law_obj.appeal.administrative,
    )
    lang, notes = language.wording(law_obj)
    law.update(lang)  # the letter wording (foia/data/letter-language.csv), each sentence traced to the model
    law.update(law_fields or {})
    warnings += [note for field, note in notes.items() if field not in language.APPEAL_FIELDS]
    appeal_notes = [note for field, note in notes.items() if field in language.APPEAL_FIELDS]

    expedited = None
    if options["expedited"]:
        if agency["state"] in EXPEDITED:
            citation, standard = EXPEDITED[agency["state"]]
            expedited = {"citation": citation, "standard": standard, "reason": options["expedited_reason"]}
        else:
            warnings.append(f"The {law['law_name']} offers no expedited processing; the letter does not ask for it.")
    residency = _residency(law_obj, law, person, options, warnings)
    if options["fee_waiver"] and not law["fee_waiver_ask"]:
        warnings.append(f"{law['statute'][:1].upper()}{law['statute'][1:]} has no fee-waiver provision the letter "
                        "can rely on: it asks instead that records be sent by e-mail.")
    if law["form_fields"]:
        warnings.append("The letter carries the fields of the agency's request form, and certifies that the request "
                        "is neither for a commercial purpose nor connected with a legal proceeding: change it if "
                        "either is untrue.")
    if law["form_fields"] and not person.get("phone"):
        warnings.append("The agency's request form asks for a telephone number: add one to the requester settings.")

    chosen_keys = options["categories"]
    chosen = [dataclasses.asdict(c) for c in categories() if chosen_keys is None or c.key in chosen_keys]

    events = requests.events(db, request["id"])
    filed = next((e for e in events if e["kind"] == "filed"), None)
    received = next((e for e in events if e["kind"] == "received_by_agency"), None)
    timeline = _timeline(events)
    estimate = timeline["estimate"]
    if options["estimated_date"]:
        estimate = {"date": options["estimated_date"], "from": "option"}
    denial_event = timeline["denial_event"]
    denial = None
    if denial_event or options["denial_date"]:
        data = (denial_event or {}).get("data") or {}
        denial = {
            "date": options["denial_date"] or denial_event["occurred_on"][:10],
            "kind": denial_event["kind"] if denial_event else "denied",
            "reason": options["denial_reason"] or data.get("reason") or (denial_event or {}).get("note") or "",
            "exemptions": split(data.get("exemptions"), ",;\n"),
        }
    dates = deadlines.for_request(db, request["id"], settings=settings or deadlines.Settings(), today=letter_date,
                                  explain=False)
    if denial is None and dates.deemed_denied_on and dates.deemed_denied_on <= letter_date \
            and not timeline["releases"] and request["status"] not in ("records_released", "withdrawn", "closed"):
        denial = {"date": dates.deemed_denied_on.isoformat(), "kind": "deemed", "reason": "", "exemptions": []}
    due_on = request.get("due_on") or ""
    date_to = options["date_to"] or letter_date.isoformat()
    method = request["method"] or "email"

    filed_on = filed["occurred_on"][:10] if filed else ""
    appeal = _appeal(law_obj, law, dates, agency, _via(agency, method), letter_date)
    enclosures = _enclosures(db, {"id": request["id"], "filed_on": filed_on}, denial, denial_event, agency)
    if appeal["due_passed"]:
        appeal_notes.append(f"The deadline for this appeal was {date_words(dt.date.fromisoformat(appeal['due']))}.")
    if appeal["route"] == "state_office" and law_obj.jurisdiction == "PA":
        appeal_notes.append("If the denial rests on criminal investigative records (65 P.S. § 67.708(b)(16)), the appeal "
                        "goes to the county district attorney's appeals officer instead (§ 67.503(d)(2)).")
    if appeal["attachments_rule"]:
        appeal_notes.append(f"What an appeal here must include (law table): {appeal['attachments_rule']}")
    for item in enclosures if denial else ():
        if not item["stored"]:
            appeal_notes.append(f"Enclosure not stored in the app ({item['text']}): attach a copy yourself.")
    operative = dates.effective_due

    return {
        "date": date_words(letter_date),
        "date_iso": letter_date.isoformat(),
        "via": _via(agency, method),
        "requester": person,
        "agency": agency,
        "law": law,
        "request": {
            "id": request["id"],
            "title": request["title"],
            "description": request["description"],
            "title_adds": title_adds(request["title"], agency),
            "focus": _focus(request, agency),
            "tracking_number": request["tracking_number"],
            "method": method,
            "filed_on": filed_on,
            "received_on": received["occurred_on"][:10] if received else "",
            "due_on": due_on,
            "due_passed": bool(due_on) and due_on < letter_date.isoformat(),
            "status": request["status"],
        },
        "options": options,
        "date_range": {"from": options["date_from"], "to": date_to},
        "categories": chosen,
        "expedited": expedited,
        "estimate": {**estimate, "passed": bool(estimate["date"]) and estimate["date"] < letter_date.isoformat()},
        "extension": timeline["extension"],
        "fee": timeline["fee"],
        "releases": timeline["releases"],
        "denial": denial,
        "residency": residency,
        "appeal": appeal,
        "enclosures": enclosures,
        "dates": {
            "acknowledge_by": dates.acknowledge_by.isoformat() if dates.acknowledge_by else "",
            "acknowledged_on": dates.acknowledged_on.isoformat() if dates.acknowledged_on else "",
            "due": dates.due.isoformat() if dates.due else "",
            "operative_due": operative.isoformat() if operative else "",
            "operative_from": dates.operative_from,
            "operative_passed": bool(operative) and operative < letter_date,
            "produce_by": dates.produce_by.isoformat() if dates.produce_by else "",
            "deemed_denied_on": dates.deemed_denied_on.isoformat() if dates.deemed_denied_on else "",
        },
        "warnings": warnings,
        "appeal_warnings": appeal_notes,
    }
