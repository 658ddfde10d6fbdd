"""Themes on words we never used: the command's contract, abstention, learning, negation, decoys."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from services.consultation.adapters import catalogue
from services.consultation.domain.themes import THEME_IDS
from services.consultation.domain.themes.classifier import Example, ThemeClassifier
from services.consultation.domain.themes.learning import InvalidCorrection, correction, fold_in
from services.consultation.domain.themes.wordpiece import WordPiece
from services.consultation.entrypoints import cli


def test_the_command_reads_id_question_text_lines_and_writes_id_and_themes() -> None:
    source = io.StringIO(
        json.dumps({"id": "a1", "question": "g", "text": "I can never get a GP appointment."})
        + "\n\n"
        + json.dumps({"id": 7, "question": "g", "text": "Nothing to add."})
        + "\n"
    )
    sink = io.StringIO()
    assert cli.theme_stream(source, sink) == 2
    first, second = (json.loads(line) for line in sink.getvalue().splitlines())
    assert first["id"] == "a1" and first["themes"] == ["health_access"]
    assert second["id"] == 7 and second["themes"] == []
    assert 0 <= first["confidence"] <= 1 and isinstance(first["needs_person"], bool)


def test_a_line_that_is_not_json_stops_the_command_naming_the_line() -> None:
    with pytest.raises(SystemExit, match="line 2"):
        cli.theme_stream(io.StringIO('{"id": 1, "text": "x"}\n{not json\n'), io.StringIO())


def test_an_answer_the_model_cannot_call_is_sent_to_a_person_and_a_clear_one_is_not() -> None:
    model = catalogue.shipped_classifier()
    clear, murky = model.assign(
        [
            "I am so lonely and isolated, I have no friends left and nobody to talk to.",
            "It's hard sometimes, you know, with everything.",
        ]
    )
    assert clear.confidence > murky.confidence
    assert not clear.needs_person and murky.needs_person
    murky_probabilities = list(murky.scores.values())
    assert murky.needs_person == (murky.confidence < 0.3)
    assert all(0 <= p <= 1 for p in murky_probabilities)


def test_a_word_piece_splits_unknown_words_into_known_pieces() -> None:
    pieces = WordPiece(["[UNK]", "care", "##rs", "kn", "##acker", "##ed"])
    assert pieces.encode("Carers knackered") == [1, 2, 3, 4, 5]
    assert pieces.encode("zzz") == [0]


def test_learned_examples_written_by_retraining_change_that_answers_themes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file adapter end to end: what retraining writes, the next classifier learns."""
    answer = "The lamp posts on Hinckley Road flicker."
    monkeypatch.setenv("CONSULTATION_THEMES_CORRECTIONS", str(tmp_path / "corrections.jsonl"))
    monkeypatch.setenv("CONSULTATION_THEMES_LEARNED", str(tmp_path / "learned.jsonl"))
    catalogue.shipped_classifier.cache_clear()
    try:
        assert "young_carers" not in catalogue.shipped_classifier().predict([answer])[0]
        store = catalogue.LearnedExamplesFile.from_environment()
        store.write([Example(answer, frozenset({"young_carers"}))])
        assert store.read() == [Example(answer, frozenset({"young_carers"}))]
        assert "young_carers" in catalogue.shipped_classifier().predict([answer])[0]
    finally:
        catalogue.shipped_classifier.cache_clear()


def test_the_old_corrections_file_is_read_and_a_bad_line_is_named(tmp_path: Path) -> None:
    old = tmp_path / "corrections.jsonl"
    old.write_text('{"text": "No buses", "themes": ["cost"]}\n\n[1]\n')
    store = catalogue.LearnedExamplesFile(tmp_path / "learned.jsonl", old)
    with pytest.raises(InvalidCorrection, match=r"corrections\.jsonl:3"):
        store.file_corrections()
    old.write_text('{"text": "No buses", "themes": ["cost"]}\n')
    assert store.file_corrections() == [Example("No buses", frozenset({"cost"}))]
    assert catalogue.LearnedExamplesFile(tmp_path / "none", tmp_path / "none").read() == []


def test_a_later_correction_of_the_same_answer_wins_and_bad_ones_name_the_field() -> None:
    first = Example("No buses on Sunday", frozenset({"cost"}))
    second = Example("no buses  on sunday", frozenset({"out_of_hours"}))
    assert fold_in([first], [second]) == [second]
    with pytest.raises(InvalidCorrection, match="themes"):
        correction({"text": "x", "themes": ["parking"]})
    with pytest.raises(InvalidCorrection, match="text"):
        correction({"themes": []})


# Written for this test, in voices the shipped examples do not use: the first of each pair
# names the theme's subject only to set it aside (the theme must not be given), the second
# is a decoy sharing a word with the theme but about something else.
NEGATIONS_AND_DECOYS = {
    "recognition": (
        "Being appreciated doesn't matter to me, I just want the bathroom adapted.",
        "I recognised the building from the photo in the strategy.",
    ),
    "respite": (
        "A break isn't what we need, we manage fine on that front. The bills are crippling.",
        "My wrist break has healed now, thank you.",
    ),
    "loneliness": (
        "I'm not lonely at all, my sisters visit daily. I can't afford the taxi fares though.",
        "The lonely road past the farm needs a street light.",
    ),
    "information": (
        "Information is not the problem, I know where everything is. I need a GP who listens.",
        "Our information technology at work was upgraded.",
    ),
    "out_of_hours": (
        "The night-time service is fine for us. What I miss is meeting other carers.",
        "The shop's opening hours changed last week.",
    ),
    "support_groups": (
        "I don't want a support group. I want someone to sit with mum so I can rest.",
        "The football group on Saturdays is very popular with the boys.",
    ),
    "cost": (
        "Money isn't an issue for us. Getting a doctor's appointment is.",
        "The cost of the new town hall sign was in the paper.",
    ),
    "health_access": (
        "Our GP is excellent, no problems with appointments. I feel very alone in the evenings.",
        "The health centre car park has a new barrier.",
    ),
    "young_carers": (
        "My children are grown up and don't help with caring. I want a break.",
        "The school fete raised money for a new library.",
    ),
}


NEGATION_MISSES: dict[str, str] = {}
"""None today; "a break isn't what we need" scores 0.90 for respite, but its answer goes to a
person anyway (another theme is too close to call)."""
DECOY_MISSES = {
    "information": "'information technology' is themed information: the word outweighs the sense",
    "out_of_hours": "'the shop's opening hours' is themed out_of_hours with confidence",
}
STATIC_NEGATION_MISSES = {
    "respite": "'a break isn't what we need' scores 0.72 for respite: vectors still see 'break'",
}


def _per_theme(misses: dict[str, str]) -> list[object]:
    """Every theme, the ones that fail today marked (strict: a fix must unmark them)."""
    return [
        pytest.param(t, marks=pytest.mark.xfail(reason=misses[t], strict=True))
        if t in misses
        else t
        for t in THEME_IDS
    ]


@pytest.fixture(scope="module")
def static_fallback() -> ThemeClassifier:
    """The classifier as shipped when the contextual model is not installed."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CONSULTATION_THEMES_MODEL", "static")
        catalogue.theme_model.cache_clear()
        catalogue.shipped_classifier.cache_clear()
        model = catalogue.shipped_classifier()
    catalogue.theme_model.cache_clear()
    catalogue.shipped_classifier.cache_clear()
    assert model.encoder is catalogue.static_encoder()
    return model


@pytest.mark.parametrize("theme", _per_theme(NEGATION_MISSES))
def test_a_theme_named_only_to_be_dismissed_is_not_given_confidently(theme: str) -> None:
    """The contextual model reads "isn't lonely" close to "lonely": most dismissed themes land
    just over the threshold (0.51-0.55), too close to call, so a person decides."""
    negation, _ = NEGATIONS_AND_DECOYS[theme]
    [negated] = catalogue.shipped_classifier().assign([negation], explain=False)
    assert theme not in negated.themes or negated.needs_person


@pytest.mark.parametrize("theme", _per_theme(STATIC_NEGATION_MISSES))
def test_the_static_fallback_does_not_give_a_dismissed_theme(
    theme: str, static_fallback: ThemeClassifier
) -> None:
    negation, _ = NEGATIONS_AND_DECOYS[theme]
    [negated] = static_fallback.predict([negation])
    assert theme not in negated


@pytest.mark.parametrize("theme", _per_theme(DECOY_MISSES))
def test_a_decoy_sharing_a_themes_word_is_not_given_it_confidently(theme: str) -> None:
    _, decoy = NEGATIONS_AND_DECOYS[theme]
    [decoyed] = catalogue.shipped_classifier().assign([decoy], explain=False)
    assert theme not in decoyed.themes or decoyed.needs_person


def test_the_model_is_deterministic() -> None:
    texts = ["we r skint and shattered", "nobody at school knows i look after my mum"]
    examples = catalogue.shipped_examples()
    one = catalogue.classifier_for(examples).probabilities(texts)
    two = catalogue.classifier_for(examples).probabilities(texts)
    assert (one == two).all()


def test_an_answers_meaning_does_not_depend_on_the_answers_beside_it() -> None:
    """Batches are padded to their longest answer; the padding must not leak into a vector."""
    encoder = catalogue.theme_model().encoder
    texts = [e.text for e in catalogue.labelled_examples()[:24]] + ["ok"]
    together = encoder.encode(texts)
    alone = np.vstack([encoder.encode([t]) for t in texts])
    assert np.abs(together - alone).max() < 1e-5
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
