"""The question pages at their edges (issue 18, mutation testing): the whole order of pages,
each person's page and its fields, the third "yes" that adds nobody, and where an unknown page
leads. ``test_question_pages.py`` states the flow; these pin what a changed constant or
comparison would move."""

from __future__ import annotations

from services.registry.selfservice.domain import questions as flow

BASE = [
    "filling-for", "name", "date-of-birth", "postcode", "nhs-number",
    "cared-for-1", "another-1",
    "support", "your-words", "share", "contact", "contact-by", "contact-details",
]  # fmt: skip


def slugs(answers: dict[str, object]) -> list[str]:
    return [q.slug for q in flow.questions(answers)]


def test_the_pages_for_a_carer_filling_it_in_themselves_in_order() -> None:
    assert slugs({}) == BASE
    assert slugs({"filling-for": "me"}) == BASE


def test_someone_else_adds_only_the_agreed_page_second() -> None:
    assert slugs({"filling-for": "someone-else"}) == [*BASE[:1], "agreed", *BASE[1:]]
    assert slugs({"filling-for": " someone-else "}) == slugs({"filling-for": "someone-else"})


def test_the_first_person_is_asked_who_and_the_others_are_numbered() -> None:
    three = {"cared-1-another": "yes", "cared-2-another": "yes"}
    first, second, third = (flow.question(three, f"cared-for-{n}") for n in (1, 2, 3))
    assert first is not None and second is not None and third is not None
    assert (first.title, first.easy_title) == ("Who do you care for?", "Who do you look after?")
    assert (second.title, second.easy_title) == (
        "Tell us about person 2",
        "Person 2 you look after",
    )
    assert third.title == "Tell us about person 3"
    assert second.fields == ("cared-2-relationship", "cared-2-needs", "cared-2-lives")
    assert not second.optional


def test_the_someone_else_page_asks_one_question_for_that_person() -> None:
    page = flow.question({"cared-1-another": "yes"}, "another-2")
    assert page is not None
    assert page.title == "Do you care for anyone else?"
    assert page.easy_title == "Do you look after anyone else?"
    assert page.fields == ("cared-2-another",)


def test_three_people_at_most_even_after_a_third_yes() -> None:
    yes: dict[str, object] = {f"cared-{n}-another": "yes" for n in (1, 2, 3)}
    assert flow.cared_slots(yes) == 3
    people = [s for s in slugs(yes) if s.startswith(("cared-for", "another"))]
    assert people == ["cared-for-1", "another-1", "cared-for-2", "another-2", "cared-for-3"]


def test_a_no_or_a_gap_stops_the_count() -> None:
    assert flow.cared_slots({"cared-1-another": "no", "cared-2-another": "yes"}) == 1
    assert flow.cared_slots({"cared-1-another": "yes"}) == 2
    assert flow.cared_slots({"cared-1-another": ["yes"]}) == 1, "only a single answer counts"


def test_one_reads_a_single_trimmed_answer_and_nothing_else() -> None:
    assert flow.one({"a": "  yes "}, "a") == "yes"
    assert flow.one({"a": ["yes"]}, "a") == ""
    assert flow.one({}, "a") == ""


def test_an_unknown_page_leads_to_the_first_going_forward_and_the_last_going_back() -> None:
    assert flow.next_page({}, "no-such-page") == "filling-for"
    assert flow.previous_page({}, "no-such-page") == "contact-details"
    assert flow.previous_page({}, "contact-details") == "contact-by"
    assert flow.next_page({}, "contact-by") == "contact-details"


def test_optional_pages_are_those_that_may_be_left_empty() -> None:
    optional = {q.slug for q in flow.questions({}) if q.optional}
    assert optional == {"nhs-number", "support", "your-words", "share"}


def test_an_answer_a_page_does_not_ask_is_never_sent() -> None:
    answers = {"given-name": "Bethan", "surprise": "x", "cared-3-needs": ["other"]}
    assert flow.sendable(answers) == {"given-name": "Bethan"}
    three = {**answers, "cared-1-another": "yes", "cared-2-another": "yes"}
    assert flow.sendable(three)["cared-3-needs"] == ["other"]
