""" "Tell us you are a carer" question pages (issue 17): which pages the answers call for, in
which order, and that each page is judged on its own answers only."""

from __future__ import annotations

from services.registry.selfservice.domain import questions as flow
from services.registry.selfservice.entrypoints.forms import (
    identification_from_form,
    question_errors,
)

ALL: dict[str, object] = {
    "filling-for": "me",
    "given-name": "Bethan",
    "family-name": "Hughes",
    "dob-day": "3",
    "dob-month": "7",
    "dob-year": "1975",
    "postcode": "LE11 3TU",
    "cared-1-relationship": "parent",
    "cared-1-needs": ["dementia"],
    "cared-1-another": "no",
    "contact": "yes",
    "channel": "sms",
    "mobile": "07700 900123",
}


def slugs(answers: dict[str, object]) -> list[str]:
    return [q.slug for q in flow.questions(answers)]


def test_the_agreed_page_is_asked_only_of_someone_filling_it_in_for_a_carer() -> None:
    assert "agreed" not in slugs({"filling-for": "me"})
    assert slugs({"filling-for": "someone-else"})[:2] == ["filling-for", "agreed"]


def test_each_yes_to_someone_else_adds_a_person_up_to_three() -> None:
    people = lambda answers: [s for s in slugs(answers) if s.startswith(("cared", "another"))]  # noqa: E731
    assert people({}) == ["cared-for-1", "another-1"]
    assert people({"cared-1-another": "yes"}) == [
        "cared-for-1", "another-1", "cared-for-2", "another-2",
    ]  # fmt: skip
    three = {"cared-1-another": "yes", "cared-2-another": "yes"}
    assert people(three)[-1] == "cared-for-3", "no fourth person: the story can say more"
    assert flow.question(three, "another-3") is None


def test_next_and_previous_follow_the_answers_and_the_last_page_leads_to_the_check() -> None:
    assert flow.next_page({"filling-for": "someone-else"}, "filling-for") == "agreed"
    assert flow.next_page({"filling-for": "me"}, "filling-for") == "name"
    assert flow.next_page({"cared-1-another": "yes"}, "another-1") == "cared-for-2"
    assert flow.next_page({}, "contact-details") is None
    assert flow.previous_page({}, "filling-for") is None
    assert flow.previous_page({}, "name") == "filling-for"


def test_the_first_unanswered_page_is_where_a_change_that_added_pages_goes() -> None:
    done = [q.slug for q in flow.questions(ALL)]
    assert flow.first_unanswered(ALL, done) is None
    more = {**ALL, "cared-1-another": "yes"}
    assert flow.first_unanswered(more, done) == "cared-for-2"


def test_what_is_sent_leaves_out_people_the_carer_no_longer_describes() -> None:
    answers = {**ALL, "cared-2-relationship": "child", "cared-2-needs": ["other"], "_done": []}
    sent = flow.sendable(answers)
    assert "cared-2-relationship" not in sent and "_done" not in sent
    body, errors = identification_from_form(sent, easy=False)
    assert errors == [] and len(body["caring_for"]) == 1


def test_a_page_names_only_its_own_problems() -> None:
    fields = ("given-name", "family-name")
    errors = question_errors({"given-name": "", "family-name": "Hughes"}, fields, easy=False)
    assert [(e.control_id, e.message) for e in errors] == [("given-name", "Enter your first name")]
    # An email channel without an email is the details page's problem, not the channel page's.
    assert question_errors({"channel": "email"}, ("channel", "easy-read"), easy=False) == []
    details = question_errors({"channel": "email", "email": ""}, ("email", "mobile"), easy=False)
    assert [e.control_id for e in details] == ["email"]


def test_the_contracts_own_rules_are_applied_page_by_page() -> None:
    bad = question_errors({"postcode": "not a postcode"}, ("postcode",), easy=False)
    assert [e.control_id for e in bad] == ["postcode"]
    mobile = question_errors({"mobile": "12345"}, ("email", "mobile"), easy=False)
    assert [e.control_id for e in mobile] == ["mobile"]
    person_two = ("cared-2-relationship", "cared-2-needs", "cared-2-lives")
    empty = question_errors({"cared-1-another": "yes"}, person_two, easy=False)
    assert [e.message for e in empty] == ["Select who person 2 is to you"]
