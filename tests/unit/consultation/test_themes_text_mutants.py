"""How an answer's text becomes what the theme models see: BERT's WordPiece recipe, quotes
straightened, clauses, negation marking, cue features and the theme catalogue's checks."""

from __future__ import annotations

import math

import pytest

from services.consultation.domain.themes import THEME_IDS
from services.consultation.domain.themes.catalogue import build_themes
from services.consultation.domain.themes.features import (
    clauses,
    cue_features,
    negation_marked,
    normalise,
)
from services.consultation.domain.themes.wordpiece import MAX_WORD, WordPiece, basic_words

VOCAB = ["[PAD]", "[UNK]", "care", "##rs", "##r", "cafe", "!", ",", "a", "##b", "ab"]


@pytest.mark.parametrize("mark", [*"!/:@[`{~,.'\"-", "\u2014", "\u00bf"])
def test_every_ascii_and_unicode_punctuation_mark_is_a_word_of_its_own(mark: str) -> None:
    assert basic_words(f"carers{mark}day") == ["carers", mark, "day"]


def test_letters_digits_and_symbols_outside_the_punctuation_ranges_stay_in_words() -> None:
    assert basic_words("a0b9c £5") == ["a0b9c", "£5"]


def test_words_are_lower_cased_without_accents_split_at_any_white_space() -> None:
    assert basic_words("  Café\tNAÏVE\ncarers\u200bday  ") == ["cafe", "naive", "carers", "day"]
    assert basic_words("x\x01y") == ["x", "y"]  # control and format characters separate words
    assert basic_words("") == []


def test_each_cjk_character_is_a_word_of_its_own() -> None:
    assert basic_words("ab\u4e00\u9fffcd") == ["ab", "\u4e00", "\u9fff", "cd"]
    assert basic_words("ab\u4dffcd") == ["ab\u4dffcd"]  # just below the range


def test_a_word_is_cut_greedily_into_the_longest_known_pieces() -> None:
    pieces = WordPiece(VOCAB)
    assert pieces.unknown == 1
    assert pieces.pieces("carers") == (2, 3)
    assert pieces.pieces("carer") == (2, 4)
    assert pieces.pieces("abb") == (10, 9)
    assert pieces.pieces("zzz") == (1,)
    assert pieces.pieces("carez") == (1,)  # one unknown piece makes the whole word unknown


def test_a_word_longer_than_the_limit_is_unknown() -> None:
    pieces = WordPiece(["[UNK]", "a", "##a"])
    assert pieces.pieces("a" * MAX_WORD) == (1,) + (2,) * (MAX_WORD - 1)
    assert pieces.pieces("a" * (MAX_WORD + 1)) == (0,)


def test_encode_gives_the_pieces_of_every_word_up_to_the_limit() -> None:
    pieces = WordPiece(VOCAB)
    assert pieces.encode("Carers, café!") == [2, 3, 7, 5, 6]
    assert pieces.encode("carers carers carers", limit=3) == [2, 3, 2]
    assert pieces.encode("carers carers", limit=4) == [2, 3, 2, 3]
    assert len(pieces.encode("a " * 600)) == 510


def test_curly_quotes_are_straightened_and_case_lowered() -> None:
    assert normalise("\u2018Don\u2019t\u2019 \u201cSAY\u201d") == "'don't' \"say\""


def test_answers_split_into_clauses_at_punctuation_and_turning_words() -> None:
    assert clauses("Money isn\u2019t the problem, it\u2019s the loneliness") == [
        "money isn't the problem",
        "it's the loneliness",
    ]
    assert clauses("  ;; ") == []


def test_negation_marks_every_later_word_of_the_clause_only() -> None:
    assert negation_marked("Nobody rang back, I waited") == "nobody NOT_rang NOT_back i waited"
    assert negation_marked("It didn't help") == "it didn't NOT_help"


THEMES_DATA = {
    "themes": [
        {"id": t, "label": t.title(), "description": f"About {t}", "cues": [f"{t[:4]}\\w*"]}
        for t in THEME_IDS
    ]
}


def test_the_catalogue_keeps_the_contract_order_and_matches_cues_at_word_starts() -> None:
    data = {"themes": list(reversed(THEMES_DATA["themes"]))}
    themes = build_themes(data)
    assert [t.id for t in themes] == list(THEME_IDS)
    cost = themes[THEME_IDS.index("cost")]
    assert (cost.label, cost.description) == ("Cost", "About cost")
    assert cost.cues[0].search("the costs") is not None
    assert cost.cues[0].search("outcost") is None  # a cue starts a word


def test_a_catalogue_without_every_theme_or_with_another_is_refused() -> None:
    missing = {"themes": THEMES_DATA["themes"][1:]}
    with pytest.raises(ValueError) as caught:
        build_themes(missing)
    assert str(caught.value) == "themes: missing ['recognition'], unexpected []"
    extra = {"themes": [*THEMES_DATA["themes"], {"id": "x", "label": "X", "description": "X"}]}
    with pytest.raises(ValueError) as caught:
        build_themes(extra)
    assert str(caught.value) == "themes: missing [], unexpected ['x']"


def test_cue_features_count_live_and_dismissed_matches_per_theme_on_a_log_scale() -> None:
    themes = build_themes(THEMES_DATA)
    features = cue_features(
        ["Cost and cost again", "Cost is not the problem", "nothing here"], themes
    )
    assert features.shape == (3, 2 * len(THEME_IDS))
    live, dismissed = 2 * THEME_IDS.index("cost"), 2 * THEME_IDS.index("cost") + 1
    assert features[0, live] == pytest.approx(math.log(2))  # one clause, one match per cue
    assert features[0, dismissed] == 0
    assert (features[1, live], features[1, dismissed]) == (0, pytest.approx(math.log(2)))
    assert features[2].sum() == 0
