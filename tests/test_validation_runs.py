"""scripts/validation_runs.py: settings changes, and validation runs on the smoke profile."""
import json

import numpy as np
import pytest
import torch
from script_loading import load_script

from n2s_lite import audio, autoencoder, data, experiment, profiles
from n2s_lite.synth import formants


@pytest.fixture
def script():
    saved = profiles.snapshot()
    yield load_script("validation_runs")
    profiles.restore(saved)  # the script registers its variant profile; keep that out of the other tests


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


def test_a_run_scores_the_asked_participant_on_validation_trials_and_appends_a_line(script, tmp_path, capsys,
                                                                                   monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    asked, participant = [], experiment.participant

    def spy(profile, **options):  # the default participant stands in for the one asked for (test_neuro's job)
        asked.append(options)
        return participant(profile)

    monkeypatch.setattr(experiment, "participant", spy)
    scored, evaluate = [], experiment.evaluate
    monkeypatch.setattr(experiment, "evaluate", lambda decoder, trials, **k: scored.append(trials) or
                        evaluate(decoder, trials, **k))
    out = tmp_path / "runs.jsonl"
    threads_before = torch.get_num_threads()
    assert script.main(["categories", "--profile", "smoke", "--method", "ridge", "--seeds", "0",
                        "--category-share", "1.0", "--out", str(out)]) == 0
    assert [options["category_share"] for options in asked] == [1.0]
    validation = experiment.split_trials(participant("smoke"))["val"]
    assert [[t.stimulus_id for t in trials] for trials in scored] == [[t.stimulus_id for t in validation]]
    (line,) = [json.loads(text) for text in out.read_text().splitlines()]
    assert line["name"] == "categories" and line["method"] == "ridge" and line["seed"] == 0
    assert line["category_share"] == 1.0 and line["pretrain_corpus"] == line["stimulus_corpus"] == "asterisk"
    assert -1 <= line["spectrogram_r"] <= 1 and -1 <= line["estoi"] <= 1
    printed = capsys.readouterr()
    assert "categories (ridge, validation, seeds [0])" in printed.out
    assert "OMP_NUM_THREADS is None, not 1" in printed.err and line["omp_num_threads"] is None
    assert line["threads"] == 1 and torch.get_num_threads() == threads_before  # the caller's count is back


def test_a_synthesizer_decoder_variant_is_scored_alone_then_trained_with_supervised_controls(script, tmp_path,
                                                                                            capsys, monkeypatch):
    from test_autoencoder import TINY_SETTINGS

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("N2S_CACHE", str(tmp_path / "cache"))  # a tiny synthesizer autoencoder, kept out of the cache
    monkeypatch.setitem(autoencoder.PROFILES, "smoke", dict(TINY_SETTINGS, max_epochs=1, max_utterances=12))

    def plausible_tracks(wave):  # pYIN and LPC have tests of their own; here they would take most of the time
        tracks = np.full((len(audio.log_mel(wave)), 4), np.nan, np.float32)
        tracks[::2] = (150.0, 500.0, 1500.0, 2500.0)  # every other frame voiced
        return tracks

    monkeypatch.setattr(formants, "reference_tracks", plausible_tracks)
    out = tmp_path / "runs.jsonl"
    variant = ["--profile", "smoke", "--decoder", "synth", "--method", "scratch", "--autoencoder-set",
               "synth_blocks=2", "--out", str(out)]
    trained = []
    train_on_trials = experiment.train_on_trials
    monkeypatch.setattr(experiment, "train_on_trials", lambda *a, **k: trained.append(a[0]) or train_on_trials(*a, **k))

    # the changed autoencoder's quality alone: no seeds, no phase 2
    assert script.main(["deep", "--seeds", "--autoencoder-quality", *variant]) == 0
    quality = json.loads(out.read_text())
    assert quality["kind"] == "autoencoder_quality" and quality["autoencoder_set"] == ["synth_blocks=2"]
    assert autoencoder.PROFILES["variant"]["synth_blocks"] == 2 and quality["epochs"] == 1
    assert quality["held_out_utterances"] > 0 and -1 <= quality["synth_estoi"] <= 1 and not trained

    # then phase 2 on it, its controls supervised by the tracks of the training trials, and only theirs
    tracked, with_tracks = [], data.with_reference_tracks
    monkeypatch.setattr(data, "with_reference_tracks", lambda rec, trials: tracked.extend(trials) or
                        with_tracks(rec, trials))
    supervision = ["loss.pitch=1.0", "loss.voicing=0.1", "loss.formant=1.0"]
    assert script.main(["synth", "--seeds", "0", "--set", "training.max_epochs=1", *supervision, *variant]) == 0
    line = json.loads(out.read_text().splitlines()[-1])
    assert line["decoder"] == "synth" and line["method"] == "scratch" and line["epochs"] == 1
    assert line["set"][1:] == supervision and trained == ["scratch"]
    train_ids = {t.stimulus_id for t in experiment.split_trials(experiment.participant("smoke"))["train"]}
    assert tracked and {t.stimulus_id for t in tracked} == train_ids
    assert -1 <= line["synth_stoi"] <= 1 and -1 <= line["synth_estoi"] <= 1  # correlations: may be < 0 after 1 epoch
    assert line["synth_estoi"] != line["estoi"]  # its own audio, not Griffin-Lim from its mel
    assert "the synthesizer's own audio: ESTOI" in capsys.readouterr().out


def test_options_that_need_an_autoencoder_are_refused_for_a_method_without_one(script, tmp_path):
    for option in (["--decoder", "synth"], ["--autoencoder-quality"]):
        with pytest.raises(SystemExit, match="mlp has no autoencoder"):
            script.main(["x", "--profile", "smoke", "--method", "mlp", *option, "--out", str(tmp_path / "never.jsonl")])
    assert not (tmp_path / "never.jsonl").exists()
