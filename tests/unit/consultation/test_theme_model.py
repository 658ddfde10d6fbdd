"""Which sentence model the shipped classifier reads meaning with, and its fallback.

The contextual model (all-MiniLM-L6-v2 through ONNX Runtime) is what ``scripts/bootstrap``
installs; these tests fail, not skip, when it is missing, as CI must.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from services.consultation.adapters import catalogue, theme_model
from services.consultation.adapters.sentence_encoder import OnnxSentenceEncoder
from services.consultation.domain.themes.semantic import StaticEncoder

VOCAB = catalogue._static_vectors()[0]


def test_the_shipped_classifier_reads_answers_with_the_contextual_model() -> None:
    model = catalogue.theme_model()
    assert model.name == "contextual", f"run scripts/bootstrap: {model.why}"
    assert isinstance(model.encoder, OnnxSentenceEncoder)
    assert model.semantic_share == theme_model.CONTEXTUAL_SHARE == 0.6
    assert catalogue.shipped_classifier().semantic_share == 0.6


def test_the_graph_is_built_from_the_installed_weights_on_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONSULTATION_MODEL_DIR", str(tmp_path / "models"))
    assert not theme_model.graph_path().exists()
    chosen = theme_model.choose(catalogue.static_encoder(), VOCAB)
    assert chosen.name == "contextual" and not chosen.why
    assert theme_model.graph_path().exists()
    assert theme_model.graph_path().parent == tmp_path / "models"
    assert list((tmp_path / "models").glob("*.partial")) == []
    [vector] = chosen.encoder.encode(["I never get a break from caring for my dad."])
    [same] = catalogue.theme_model().encoder.encode(["I never get a break from caring for my dad."])
    assert abs(vector - same).max() < 1e-5


def test_without_the_weights_the_static_vectors_are_used_and_the_reason_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONSULTATION_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("CONSULTATION_MINILM_DIR", str(tmp_path / "nothing"))
    chosen = theme_model.choose(catalogue.static_encoder(), VOCAB)
    assert chosen.name == "static" and isinstance(chosen.encoder, StaticEncoder)
    assert chosen.semantic_share == theme_model.STATIC_SHARE == 0.5
    assert "not installed" in chosen.why and "scripts/bootstrap" in chosen.why


def test_weights_that_are_not_the_published_ones_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = theme_model.weights_dir()
    assert real is not None
    forged = tmp_path / "model"
    forged.mkdir()
    shutil.copy(real / "vocab.txt", forged / "vocab.txt")
    weights = bytearray((real / "model.safetensors").read_bytes())
    weights[-1] ^= 1  # one bit of one weight
    (forged / "model.safetensors").write_bytes(bytes(weights))
    monkeypatch.setenv("CONSULTATION_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("CONSULTATION_MINILM_DIR", str(forged))
    chosen = theme_model.choose(catalogue.static_encoder(), VOCAB)
    assert chosen.name == "static"
    assert "not the published all-MiniLM-L6-v2 weights" in chosen.why
    assert not theme_model.graph_path().exists()


def test_the_static_model_can_be_asked_for_and_a_wrong_name_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONSULTATION_THEMES_MODEL", "static")
    chosen = theme_model.choose(catalogue.static_encoder(), VOCAB)
    assert (chosen.name, chosen.why) == ("static", "")
    monkeypatch.setenv("CONSULTATION_THEMES_MODEL", "gpt")
    with pytest.raises(ValueError, match="CONSULTATION_THEMES_MODEL"):
        theme_model.choose(catalogue.static_encoder(), VOCAB)


def test_a_share_outside_nought_to_one_is_refused() -> None:
    from services.consultation.domain.themes.classifier import ThemeClassifier

    with pytest.raises(ValueError, match="semantic_share"):
        ThemeClassifier(catalogue.load_themes(), semantic_share=1.5)


def test_the_contextual_model_gives_the_vector_its_publishers_document() -> None:
    """sentence-transformers' model card for all-MiniLM-L6-v2 shows the start of this
    sentence's embedding; our graph, built without PyTorch, must reproduce it."""
    [vector] = catalogue.theme_model().encoder.encode(["This is an example sentence"])
    published = [0.0677, 0.0635, 0.0487, 0.0793, 0.0374]
    assert [round(float(x), 4) for x in vector[:5]] == pytest.approx(published, abs=2e-4)


def test_the_command_names_the_model_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from services.consultation.entrypoints import cli

    cli.main(["themes", "model"])
    said = json.loads(capsys.readouterr().out)
    assert said["model"] == "contextual" and said["why"] is None
    assert said["semantic_share"] == 0.6 and Path(said["graph"]).exists()


def test_the_share_decides_how_much_the_sentence_vectors_count() -> None:
    """Share 0 is the words' model alone; share 1 the vectors' alone; between, the blend."""
    from services.consultation.domain.themes.classifier import ThemeClassifier

    themes, examples = catalogue.load_themes(), catalogue.shipped_examples()
    encoder = catalogue.static_encoder()
    texts = ["we r skint and shattered", "nobody at school knows i look after my mum"]

    def probabilities(share: float) -> np.ndarray:
        model = ThemeClassifier(themes, encoder=encoder, semantic_share=share)
        return model.fit(examples).probabilities(texts)

    words = ThemeClassifier(themes).fit(examples).probabilities(texts)
    vectors_only, blended = probabilities(1.0), probabilities(0.6)
    assert (probabilities(0.0) == words).all()
    assert not (vectors_only == words).all()
    assert abs(blended - (0.4 * words + 0.6 * vectors_only)).max() < 1e-6  # float32 vectors
