"""scripts/synth_decoder_supervision.py on tiny autoencoders and a synthetic corpus."""
import json

import pytest
from script_loading import load_script
from test_autoencoder import TINY_SETTINGS, synthetic_corpus

from n2s_lite import autoencoder, corpora


@pytest.fixture
def script(monkeypatch, tmp_path):
    monkeypatch.setenv("N2S_CACHE", str(tmp_path / "cache"))
    # the script registers the spectral-only profile; keep it (and the tiny smoke profile) out of other tests
    monkeypatch.setattr(autoencoder, "PROFILES", dict(autoencoder.PROFILES, smoke=dict(TINY_SETTINGS, max_epochs=2)))
    corpus = synthetic_corpus(40)
    monkeypatch.setattr(corpora, "load", lambda spec: corpus)
    return load_script("synth_decoder_supervision")


def test_every_variant_is_trained_scored_and_written(script, tmp_path, capsys):
    out = tmp_path / "supervision.json"
    assert script.main(["--profile", "smoke", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    supervised, light, pitch_only, spectral = result["variants"]
    assert result["profile"] == "smoke"
    assert [row["variant"] for row in result["variants"]] == ["supervised", "light formants", "pitch only",
                                                              "spectral only"]
    assert autoencoder.PROFILES["smoke-light-formants"]["formant_weight"] == 0.1
    assert autoencoder.PROFILES["smoke-pitch-only"]["formant_weight"] == 0.0
    assert autoencoder.PROFILES["smoke-pitch-only"]["pitch_weight"] == autoencoder.PROFILES["smoke"]["pitch_weight"]
    assert autoencoder.PROFILES["smoke-spectral-only"]["pitch_weight"] == 0.0
    for row in (supervised, light, pitch_only, spectral):
        assert row["epochs"] == 2 and row["held_out_utterances"] > 0
        assert -1 <= row["synth_estoi"] <= 1 and 0 <= row["synth_voicing_accuracy"] <= 1  # ESTOI: a correlation
        assert row["synth_f1_error_semitones"] >= 0
    # the supervision terms are part of the validation loss where they are trained, so the four differ
    assert len({row["best_val_loss"] for row in result["variants"]}) == 4
    printed = capsys.readouterr()
    assert "synth_f2_error_semitones" in printed.out and "autoencoder" in printed.err  # the table; phase 1's bar


def test_chosen_variants_only(script, tmp_path):
    out = tmp_path / "one.json"
    assert script.main(["--profile", "smoke", "--variants", "pitch only", "--out", str(out)]) == 0
    assert [row["variant"] for row in json.loads(out.read_text())["variants"]] == ["pitch only"]


def test_an_existing_output_is_never_replaced(script, tmp_path):
    out = tmp_path / "kept.json"
    out.write_text("mine")
    with pytest.raises(SystemExit):
        script.main(["--profile", "smoke", "--out", str(out)])
    assert out.read_text() == "mine"
