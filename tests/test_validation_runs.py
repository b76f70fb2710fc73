"""scripts/validation_runs.py: settings changes and one validation run on the smoke profile."""
import json

import pytest
import torch
from script_loading import load_script

from n2s_lite import autoencoder, data, experiment, methods


@pytest.fixture
def script(monkeypatch):
    module = load_script("validation_runs")
    # the script registers its variant profile; keep that out of the other tests
    monkeypatch.setattr(methods, "PROFILES", dict(methods.PROFILES))
    monkeypatch.setattr(autoencoder, "PROFILES", dict(autoencoder.PROFILES))
    return module


def test_changes_copy_the_settings_and_reject_typos(script):
    standard = experiment.settings("standard")
    changed = script.with_changes(standard, ["training.max_epochs=60", "adaptor.fine_tune=true", "seeds=none"],
                                  "experiment")
    assert changed["training"]["max_epochs"] == 60 and changed["adaptor"]["fine_tune"] is True
    assert changed["seeds"] is None and standard["training"]["max_epochs"] == 30  # the profile is untouched
    for typo, message in [("trainig.max_epochs=1", "not a section"), ("minuts=3", "unknown experiment setting"),
                          ("training.max_epochs", "KEY=VALUE")]:
        with pytest.raises(SystemExit, match=message):
            script.with_changes(standard, [typo], "experiment")


def test_one_validation_run_appends_a_result_line(script, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    out = tmp_path / "runs.jsonl"
    threads_before = torch.get_num_threads()
    assert script.main(["short", "--profile", "smoke", "--seeds", "0", "--set", "training.max_epochs=1",
                        "--out", str(out)]) == 0
    line = json.loads(out.read_text())
    assert line["name"] == "short" and line["method"] == "transfer" and line["epochs"] == 1
    assert -1 <= line["spectrogram_r"] <= 1 and -1 <= line["estoi"] <= 1  # correlations: a 1-epoch decoder's may be < 0
    assert line["set"] == ["training.max_epochs=1"]
    assert line["pretrain_corpus"] == line["stimulus_corpus"] == ["asterisk"]
    printed = capsys.readouterr()
    assert "short (transfer, validation, seeds [0])" in printed.out
    assert "OMP_NUM_THREADS is None, not 1" in printed.err and line["omp_num_threads"] is None
    assert line["threads"] == 1 and torch.get_num_threads() == threads_before  # the caller's count is back


def test_a_run_on_a_participant_with_category_sites(script, tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    out = tmp_path / "runs.jsonl"
    assert script.main(["categories", "--profile", "smoke", "--method", "ridge", "--seeds", "0",
                        "--category-share", "1.0", "--out", str(out)]) == 0
    line = json.loads(out.read_text())
    assert line["category_share"] == 1.0 and line["method"] == "ridge"
    default = experiment.participant("smoke").ground_truth["type_code"]
    changed = experiment.participant("smoke", category_share=1.0).ground_truth["type_code"]
    assert (default == 1).any() and (changed[default == 1] == 5).all() and not (changed == 1).any()


def test_a_synthesizer_decoder_run_also_scores_the_synthesizers_own_audio(script, tmp_path, capsys, monkeypatch):
    from test_autoencoder import TINY_SETTINGS

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("N2S_CACHE", str(tmp_path / "cache"))  # a tiny synthesizer autoencoder, kept out of the cache
    monkeypatch.setitem(autoencoder.PROFILES, "smoke", dict(TINY_SETTINGS, max_epochs=1, max_utterances=12))
    tracked, with_tracks = [], data.with_reference_tracks  # the trials given tracks for phase 2's supervision

    def spy(rec, trials):
        tracked.extend(trials)
        return with_tracks(rec, trials)

    monkeypatch.setattr(data, "with_reference_tracks", spy)
    out = tmp_path / "runs.jsonl"
    supervision = ["loss.pitch=1.0", "loss.voicing=0.1", "loss.formant=1.0"]
    assert script.main(["synth", "--profile", "smoke", "--seeds", "0", "--decoder", "synth", "--method", "scratch",
                        "--set", "training.max_epochs=1", *supervision, "--out", str(out)]) == 0
    line = json.loads(out.read_text())
    assert line["decoder"] == "synth" and line["method"] == "scratch" and line["epochs"] == 1
    assert line["set"][1:] == supervision
    train_ids = {t.stimulus_id for t in experiment.split_trials(experiment.participant("smoke"))["train"]}
    assert tracked and {t.stimulus_id for t in tracked} == train_ids  # the training trials, and only they
    assert 0 <= line["synth_stoi"] <= 1 and 0 <= line["synth_estoi"] <= 1
    assert line["synth_estoi"] != line["estoi"]  # its own audio, not Griffin-Lim from its mel
    assert "the synthesizer's own audio: ESTOI" in capsys.readouterr().out


def test_a_method_without_an_autoencoder_refuses_a_decoder_choice(script, tmp_path):
    with pytest.raises(SystemExit, match="mlp has no autoencoder"):
        script.main(["x", "--profile", "smoke", "--method", "mlp", "--decoder", "synth", "--out",
                     str(tmp_path / "never.jsonl")])
    assert not (tmp_path / "never.jsonl").exists()


def test_supervising_the_controls_of_a_mel_decoder_is_refused(script, tmp_path):
    with pytest.raises(ValueError, match="decodes log-mels"):
        script.main(["x", "--profile", "smoke", "--set", "loss.pitch=1.0", "--out", str(tmp_path / "never.jsonl")])


def test_autoencoder_quality_alone_scores_the_changed_autoencoder_and_trains_no_phase_2(script, tmp_path,
                                                                                         monkeypatch):
    from test_autoencoder import TINY_SETTINGS

    monkeypatch.setenv("N2S_CACHE", str(tmp_path / "cache"))  # tiny autoencoders, kept out of the cache
    monkeypatch.setitem(autoencoder.PROFILES, "smoke", dict(TINY_SETTINGS, max_epochs=1, max_utterances=12))
    monkeypatch.setattr(experiment, "train_on_trials", lambda *a, **k: pytest.fail("no phase 2 without seeds"))
    out = tmp_path / "runs.jsonl"
    assert script.main(["deep", "--profile", "smoke", "--seeds", "--decoder", "synth", "--autoencoder-quality",
                        "--autoencoder-set", "synth_blocks=2", "--out", str(out)]) == 0
    line = json.loads(out.read_text())
    assert line["kind"] == "autoencoder_quality" and line["autoencoder_set"] == ["synth_blocks=2"]
    assert autoencoder.PROFILES["variant"]["synth_blocks"] == 2 and line["epochs"] == 1
    assert line["held_out_utterances"] > 0 and -1 <= line["spectrogram_r"] <= 1 and -1 <= line["synth_estoi"] <= 1
    with pytest.raises(SystemExit, match="mlp has no autoencoder"):
        script.main(["x", "--profile", "smoke", "--method", "mlp", "--autoencoder-quality", "--out", str(out)])
