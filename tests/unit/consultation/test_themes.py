"""The theme model: the nine themes, dismissals, reasons, new clusters and sign-off rules."""

from __future__ import annotations

import pytest

from services.consultation.adapters.catalogue import load_themes, shipped_classifier
from services.consultation.domain.themes import THEME_IDS
from services.consultation.domain.themes.emergent import find_clusters
from services.consultation.domain.themes.features import cue_matches, is_dismissive, negation_marked
from services.consultation.domain.themes.review import (
    IllegalDecision,
    ProposedTheme,
    decide,
    report,
)


def test_the_catalogue_has_the_nine_themes_of_paragraph_22_in_the_contract_order() -> None:
    assert tuple(t.id for t in load_themes()) == THEME_IDS
    assert THEME_IDS == ("recognition", "respite", "loneliness", "information", "out_of_hours",
                         "support_groups", "cost", "health_access", "young_carers")  # fmt: skip


def test_a_theme_named_only_to_be_set_aside_is_marked_dismissed() -> None:
    matches = cue_matches("Money isn't the problem, what I need is a break", load_themes())
    assert {(m.theme, m.dismissed) for m in matches} >= {("cost", True), ("respite", False)}
    assert is_dismissive("i'm not lonely") and not is_dismissive("i am so lonely")


def test_negated_words_are_marked_so_not_listened_differs_from_listened() -> None:
    assert negation_marked("I was not listened to.") == "i was not NOT_listened NOT_to"


def test_the_classifier_picks_the_theme_an_answer_is_about_and_not_the_decoy() -> None:
    model = shipped_classifier()
    themes = model.predict(
        [
            "Cost is not an issue for us, but I never get a break from caring.",
            "I can never get an appointment with my GP.",
            "Nothing to add.",
        ]
    )
    assert "respite" in themes[0] and "cost" not in themes[0]
    assert themes[1] == ["health_access"]
    assert themes[2] == []


def test_every_theme_given_comes_with_words_cues_and_neighbours() -> None:
    [assignment] = shipped_classifier().assign(["I feel so lonely and isolated since Mum got ill."])
    assert "loneliness" in assignment.themes
    why = assignment.reasons["loneliness"]
    assert why["cues"] and why["words"] and why["neighbours"]
    assert all(0 <= score <= 1 for score in assignment.scores.values())


def test_answers_no_theme_fits_are_grouped_into_new_themes_with_quotes() -> None:
    transport = [
        "There is no bus to the hospital from our village",
        "The bus service was cut so we cannot get to the day centre",
        "Transport to appointments is impossible without a bus",
        "No bus on Sundays so we are stuck",
    ]
    housing = [
        "Our housing is not suitable for a wheelchair",
        "Waiting years for housing adaptations like a stairlift",
        "The council housing list ignores wheelchair users",
        "Housing adaptations for wheelchair access take too long",
    ]
    clusters = find_clusters(transport + housing)
    groups = [set(c.members) for c in clusters]
    assert {0, 1, 2, 3} in groups and {4, 5, 6, 7} in groups
    bus = next(c for c in clusters if set(c.members) == {0, 1, 2, 3})
    assert "bus" in bus.words and len(bus.quotes) == 3 and bus.quotes[0] in transport


def test_only_confirmed_themes_are_reported_and_merges_count_each_answer_once() -> None:
    themes = {
        "respite": ProposedTheme("respite", "known", "Respite"),
        "new-bus": ProposedTheme("new-bus", "emergent", "bus, village"),
        "cost": ProposedTheme("cost", "known", "Cost of support"),
    }
    assignments = [
        ("r1:g", "g", "respite"),
        ("r1:g", "g", "new-bus"),
        ("r2:g", "g", "new-bus"),
        ("r3:g", "g", "cost"),
    ]
    assert report(themes, assignments, {"g": 4}) == {"g": []}  # nothing signed off yet

    decide(themes, "respite", "rename", by="officer", label="Breaks from caring")
    decide(themes, "new-bus", "merge", by="officer", into="respite")
    decide(themes, "cost", "reject", by="officer")

    assert report(themes, assignments, {"g": 4}) == {
        "g": [
            {
                "id": "respite",
                "label": "Breaks from caring",
                "kind": "known",
                "count": 2,
                "percent": 50.0,
            }
        ]
    }


def test_a_theme_cannot_be_merged_into_a_rejected_one_or_renamed_to_nothing() -> None:
    themes = {"a": ProposedTheme("a", "known", "A"), "b": ProposedTheme("b", "known", "B")}
    decide(themes, "b", "reject", by="officer")
    with pytest.raises(IllegalDecision, match="into"):
        decide(themes, "a", "merge", by="officer", into="b")
    with pytest.raises(IllegalDecision, match="label"):
        decide(themes, "a", "rename", by="officer", label="  ")
