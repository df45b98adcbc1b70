"""Letters in each statute's own terms: duty, fees, consequence, residency, and the appeal to the
right body, read back from the PDF (pypdf) and the DOCX (python-docx)."""
import io

import pytest

from foia import documents, laws, letters, requests
from tests.test_letters import (DAY, REQUESTER, assert_same_paragraphs, both, docx_text, flat, ldb,  # noqa: F401
                                make_request, pdf_text, wclient, web)


def texts(db, request_id, template=None, options=None):
    letter, pdf, docx_bytes = both(db, request_id, template, options)
    assert_same_paragraphs(pdf, docx_bytes)
    return letter, flat(pdf_text(pdf)), flat(docx_text(docx_bytes))


def denied(db, state, on="2026-09-01", **data):
    request_id = make_request(db, state, tracking_number="R-9", filed_on="2026-08-03")
    requests.add_event(db, request_id, "denied", on, data=data or {"reason": "The records are exempt."})
    return request_id


# --- the wording table ------------------------------------------------------------------------


def test_every_wording_row_names_real_law_columns_and_jurisdictions():
    table = letters.language.read()
    assert {"US", "CA", "TX", "NY", "PA", "IL", "NJ"} <= set(table)
    for jurisdiction, fields in table.items():
        for field, sentences in fields.items():
            for sentence in sentences:
                assert field in letters.language.FIELDS
                if jurisdiction != "*" and field not in ("statute", "cite"):
                    assert sentence.basis, f"line {sentence.line}: a legal sentence must name its basis"


def test_an_unverified_basis_falls_back_to_neutral_wording_with_a_note():
    law = next(law for law in laws.read_csv() if law.jurisdiction == "CO")
    assert "appeals.court_route" in dict(law.unverified)
    wording, notes = letters.language.wording(law)
    assert wording["presuit_notice"] == ""  # the 14-day notice rests on an unverified clause
    assert "not verified" in notes["presuit_notice"]
    florida = next(law for law in laws.read_csv() if law.jurisdiction == "FL")
    # Florida's cell leaves § 119.11 unverified, not the § 119.12 clause the notice relies on.
    assert "§ 119.12(1)(b)" in letters.language.wording(florida)[0]["presuit_notice"]


def test_a_bad_wording_row_names_its_line(tmp_path):
    path = tmp_path / "language.csv"
    path.write_text("jurisdiction,field,basis,text\nPA,duty,no_such_column,Text.\n", encoding="utf-8")
    with pytest.raises(letters.language.Invalid, match="line 2: 'no_such_column' is not a column"):
        letters.language.read(path)


# --- request letters --------------------------------------------------------------------------


def test_texas_never_claims_a_ten_day_production_duty(ldb):
    _, pdf, docx_text_ = texts(ldb, make_request(ldb, "TX"))
    for text in (pdf, docx_text_):
        assert flat("Under the Texas Public Information Act, Tex. Gov’t Code ch. 552, I request") in text
        assert flat("to produce public information promptly (Tex. Gov’t Code § 552.221(a))") in text
        assert flat("within 10 business days, as") not in text
        assert flat("response within 10 business days") not in text
        assert flat("§ 552.301(d) requires") in text  # a copy of any request for an AG ruling
        assert flat("presumed public and must be released (§ 552.302)") in text
        assert flat("waived or reduced (Tex. Gov’t Code § 552.267(a))") in text


def test_new_york_makes_no_fee_waiver_claim(ldb):
    letter, pdf, docx_text_ = texts(ldb, make_request(ldb, "NY"))
    for text in (pdf, docx_text_):
        assert flat("(Public Officers Law § 87(1)(b)(iii))") in text
        assert flat("I ask that the records be sent by e-mail, which costs nothing to reproduce.") in text
        assert flat("be waived") not in text and flat("waive all") not in text and flat("fee waiver") not in text
        assert flat("in the public interest") not in text
    assert any("no fee-waiver provision" in w for w in letter.warnings)


def test_illinois_states_the_consequence_of_a_missed_deadline(ldb):
    _, pdf, _ = texts(ldb, make_request(ldb, "IL"))
    assert flat("5 ILCS 140/3(d) requires your office to comply with or deny this request within five business "
                "days") in pdf
    assert flat("may not charge for the copies, and may not treat the request as unduly burdensome "
                "(5 ILCS 140/3(d))") in pdf
    assert flat("under 5 ILCS 140/6(c)") in pdf


def test_federal_letter_sets_out_the_fee_waiver_factors_and_certifies_expedited_processing(ldb):
    request_id = make_request(ldb, "US", name="Federal Bureau of Investigation")
    options = {"expedited": True, "expedited_reason": "A council vote on the contract is near."}
    letter, pdf, docx_text_ = texts(ldb, request_id, options=options)
    for text in (pdf, docx_text_):
        assert flat("under 5 U.S.C. § 552(a)(4)(A)(iii)") in text
        for factor in ("The subject of the request.", "The informative value of the records.",
                       "The contribution to public understanding.", "The significance of the contribution.",
                       "No commercial interest."):
            assert flat(factor) in text
        assert flat("I certify that the statements in this section are true and correct to the best of my "
                    "knowledge and belief (5 U.S.C. § 552(a)(6)(E)(vi)).") in text


@pytest.mark.parametrize("state, residence, statement", [
    ("PA", "PA", "I am a legal resident of the United States (65 P.S. § 67.102)."),
    ("KY", "KY", "I am a resident of the Commonwealth within the meaning of KRS 61.870(10)."),
    ("VA", "VA", "I am a resident of Virginia."),
])
def test_residency_states_carry_the_statement(ldb, state, residence, statement):
    letters.save_requester(ldb, dict(REQUESTER, residence=residence))
    letter, pdf, docx_text_ = texts(ldb, make_request(ldb, state))
    assert flat(statement) in pdf and flat(statement) in docx_text_
    assert not any("residents" in w for w in letter.warnings)


def test_a_requester_who_is_not_a_resident_is_warned_and_claims_nothing(ldb):
    letters.save_requester(ldb, dict(REQUESTER, residence="PA"))
    letter, pdf, _ = texts(ldb, make_request(ldb, "KY"))
    assert flat("I am a resident") not in pdf
    assert any("the requester settings give Pennsylvania" in w for w in letter.warnings)


def test_new_jersey_letter_carries_the_request_form_fields(ldb):
    _, pdf, docx_text_ = texts(ldb, make_request(ldb, "NJ"))
    for text in (pdf, docx_text_):
        assert flat("Under the New Jersey Open Public Records Act, N.J.S.A. 47:1A-1 et seq., I request") in text
        for field in ("Requester: Jane Doe", "Telephone: 215-555-0100", "Preferred delivery:",
                      "this request is not for a commercial purpose", "in connection with a legal proceeding"):
            assert flat(field) in text


# --- appeals: one document per route ----------------------------------------------------------


def test_pennsylvania_denial_is_appealed_to_the_office_of_open_records(ldb):
    letter, pdf, docx_text_ = texts(ldb, denied(ldb, "PA"), "appeal")
    for text in (pdf, docx_text_):
        assert flat("Via e-mail to openrecords@pa.gov") in text
        assert flat("Pennsylvania Office of Open Records 555 Walnut Street, Suite 605 Harrisburg, PA 17101") in text
        assert flat("Re: Appeal to the Office of Open Records: the September 1, 2026 denial") in text
        assert flat("brought under 65 P.S. § 67.1101(a)(1)") in text
        # 15 business days from Tuesday, September 1 (Labor Day, September 7, skipped)
        assert flat("within the 15 business days the law allows, which end on September 23, 2026") in text
        assert flat("direct the Springfield Police Department PA to release them") in text
        assert flat("Copy: Springfield Police Department PA") in text
    assert letter.texts()[5] != "Springfield Police Department PA"
    assert any("district attorney" in w for w in letter.warnings)


def test_illinois_appeal_is_a_request_for_review_to_the_public_access_counselor(ldb):
    letter, pdf, docx_text_ = texts(ldb, denied(ldb, "IL"), "appeal")
    for text in (pdf, docx_text_):
        assert flat("Public Access Counselor Public Access Bureau Office of the Illinois Attorney General") in text
        assert flat("Re: Request for Review: the September 1, 2026 denial") in text
        assert flat("Dear Public Access Counselor:") in text
        assert flat("brought under 5 ILCS 140/9.5(a)") in text
        assert flat("which end on November 2, 2026") in text  # 60 days: October 31 is a Saturday
        assert flat("Enclosures: my request of August 3, 2026") in text
    # The counselor's address is unverified in the law table: not printed, and the preview says so.
    assert flat("500 S. Second Street") not in pdf
    assert any("Unverified" in w and "body contact" in w for w in letter.warnings)


def test_texas_offers_the_attorney_general_or_district_attorney_complaint_and_no_appeal(ldb):
    letter, pdf, docx_text_ = texts(ldb, denied(ldb, "TX"), "appeal")
    for text in (pdf, docx_text_):
        assert flat("Re: Information presumed public: request for release: the September 1, 2026 denial") in text
        assert flat("complain to the Attorney General (Tex. Gov’t Code § 552.328) or to the county or district "
                    "attorney (§ 552.3215)") in text
        assert flat("Unless your office asked the Attorney General for a decision within 10 business days of receiving "
                    "my request, the information is presumed public and must be released (Tex. Gov’t Code § 552.302)") \
            in text
        assert flat("I appeal") not in text and flat("This appeal") not in text
        assert flat("Dear Officer for Public Information:") in text


def test_court_only_state_asks_for_reconsideration_and_gives_the_pre_suit_notice(ldb):
    _, pdf, _ = texts(ldb, denied(ldb, "FL"), "appeal")
    assert flat("Re: Request for reconsideration: the September 1, 2026 denial") in pdf
    assert flat("the next step open to me is a civil action in the circuit court") in pdf
    assert flat("at least five business days before any civil action is filed (Fla. Stat. § 119.12(1)(b))") in pdf


def test_silence_past_the_deadline_is_appealed_as_a_deemed_denial(ldb):
    request_id = make_request(ldb, "NY", tracking_number="R-3", filed_on="2026-06-01")
    _, pdf, _ = texts(ldb, request_id, "appeal")
    assert flat("Re: FOIL appeal: the June 9, 2026 deemed denial") in pdf
    assert flat("which the law treats as a denial from June 9, 2026") in pdf
    assert flat("A failure to respond within these times is a denial of access") in pdf
    assert flat("a note that no response was received") in pdf


def test_a_stored_request_letter_is_listed_as_enclosed(ldb, app):
    files = app.extensions["foia"].store
    request_id = denied(ldb, "PA")
    letters.generate(ldb, request_id, "pdf", files, today=DAY)
    letter = letters.render(ldb, request_id, "appeal", today=DAY)
    context = letters.build_context(ldb, request_id, today=DAY)
    assert context["enclosures"][0]["stored"] is True
    assert not any("my request" in w and "not stored" in w for w in letter.warnings)
    assert any("not stored in the app (the Springfield Police Department PA" in w for w in letter.warnings)


# --- the letter form --------------------------------------------------------------------------


def test_an_invalid_field_is_shown_as_typed_with_its_error_beside_it(wclient, ldb):
    request_id = make_request(ldb, "PA")
    form = {"template": "ring-partnership", "options_form": "1", "categories": ["agreement"],
            "fee_ceiling": "about forty", "date_from": "2019-01-01", "search_terms": "Ring\nFlock Safety",
            "domains": "ring.com, example.org", "residency": "I live in Harrisburg.", "rolling": "1"}
    page = wclient.get(f"/requests/{request_id}/letters/preview", query_string=form)
    assert page.status_code == 422
    html = page.data.decode()
    assert 'name="fee_ceiling" inputmode="decimal" value="about forty"' in html
    assert 'aria-invalid="true" aria-describedby="fee_ceiling-error"' in html
    assert 'id="fee_ceiling-error" role="alert"' in html
    # The other fields keep what was typed, not the stored options.
    assert 'name="date_from" value="2019-01-01"' in html
    assert ">Ring\nFlock Safety</textarea>" in html
    assert 'name="domains" value="ring.com, example.org"' in html
    assert 'value="I live in Harrisburg."' in html
    assert 'name="preservation" value="1" checked' not in html
    assert 'name="rolling" value="1" checked' in html
    assert 'value="metrics" checked' not in html and 'value="agreement" checked' in html


def test_requester_state_of_residence_is_saved_and_checked(wclient, ldb):
    bad = wclient.post("/settings/requester", data=dict(REQUESTER, residence="Pennsylvania"))
    assert bad.status_code == 422 and b'id="residence-error"' in bad.data
    assert b'value="Pennsylvania"' in bad.data
    ok = wclient.post("/settings/requester", data=dict(REQUESTER, residence="pa"))
    assert ok.status_code == 303 and letters.requester(ldb)["residence"] == "PA"


def test_the_agencys_decision_is_enclosed_while_stored_and_not_once_removed(ldb, app):
    files = app.extensions["foia"].store
    request_id = make_request(ldb, "PA", tracking_number="R-9", filed_on="2026-08-03")
    event_id = requests.add_event(ldb, request_id, "denied", "2026-09-01", data={"reason": "The records are exempt."})
    doc = documents.add_document(ldb, files, request_id, io.BytesIO(b"Your request is denied."), "denial.txt",
                                 event_id=event_id)
    decision = [e for e in letters.build_context(ldb, request_id, today=DAY)["enclosures"] if e["what"] == "decision"]
    assert decision[0]["stored"] is True and decision[0]["document_id"] == doc.id
    documents.remove(ldb, doc.id)
    decision = [e for e in letters.build_context(ldb, request_id, today=DAY)["enclosures"] if e["what"] == "decision"]
    assert decision[0]["stored"] is False and decision[0]["document_id"] is None
