import json

import numpy as np
import pandas as pd
import pytest
import torch
from phase2_fakes import fake_recording, tiny_autoencoder, write_tone_corpus

from n2s_lite import decoding as D
from n2s_lite import experiment as X
from n2s_lite import methods, parallel
from n2s_lite import vocoder as V
from n2s_lite.autoencoder import reconstruct_mel
from n2s_lite.train import torch_threads


def test_true_mels_score_perfectly_on_every_spectrogram_metric(rec, trials):
    test = trials["test"]
    table = X.evaluate([t.mel for t in test], test, vocode=True, rec=rec, n_iter=4)
    assert len(table) == len(test)
    assert np.allclose(table["spectrogram_r"], 1) and np.allclose(table["flattened_r"], 1)
    assert np.allclose(table["mcd_db"], 0) and table["top1"].eq(1).all()
    assert table["stoi"].between(0, 1).all() and table["estoi"].between(-1, 1).all()


def test_parallel_vocoding_gives_the_same_numbers(rec, trials):
    test = trials["test"][:2]
    mels = [t.mel + 3.0 for t in test]
    one = X.evaluate(mels, test, rec=rec, n_iter=4, workers=1)
    two = X.evaluate(mels, test, rec=rec, n_iter=4, workers=2)
    assert np.allclose(one[["stoi", "estoi"]], two[["stoi", "estoi"]])


def test_evaluate_checks_its_inputs(trials):
    test = trials["test"]
    with pytest.raises(ValueError, match="rec"):
        X.evaluate([t.mel for t in test], test, vocode=True)
    with pytest.raises(ValueError, match="predictions"):
        X.evaluate([test[0].mel], test, vocode=False)


def test_evaluate_refuses_an_empty_trial_list(rec):
    with pytest.raises(ValueError, match="at least one trial"):
        X.evaluate([], [], rec=rec)
    with pytest.raises(ValueError, match="at least one trial"):
        X.evaluate(D.NeuralDecoder("lstm_cnn", torch.nn.Identity()), [], vocode=False)


def test_wrong_decoding_is_ranked_below_the_right_one(trials):
    test = trials["test"]
    shuffled = [np.resize(test[(i + 1) % len(test)].mel, t.mel.shape) for i, t in enumerate(test)]
    table = X.evaluate(shuffled, test, vocode=False)
    assert table["rank"].gt(0).all() and table["spectrogram_r"].mean() < 0.9


def test_ceilings_bound_the_test_set(rec, trials):
    ae = tiny_autoencoder()
    table = X.ceilings(rec, ae, n_iter=4)
    assert set(table["ceiling"]) == {"autoencoder", "griffin_lim"}
    griffin_lim = table[table["ceiling"] == "griffin_lim"]
    assert np.allclose(griffin_lim["spectrogram_r"], 1) and griffin_lim["stoi"].lt(1).all()
    resynthesis = table[table["ceiling"] == "autoencoder"].drop(columns="ceiling").reset_index(drop=True)
    test = trials["test"]
    expected = X.evaluate([reconstruct_mel(ae, t.mel) for t in test], test, rec=rec, n_iter=4)
    pd.testing.assert_frame_equal(resynthesis, expected)  # the autoencoder's own resynthesis of every test trial
    assert resynthesis["spectrogram_r"].lt(0.99).all()  # an untrained autoencoder: not the true mel again


def test_the_neural_vocoder_scores_the_same_mels_through_its_own_waveforms(rec, trials):
    test = trials["test"][:3]
    torch.manual_seed(0)
    inverter = V.SpectralInverter(channels=8, blocks=1)
    mels = [t.mel for t in test]
    griffin_lim = X.evaluate(mels, test, rec=rec, n_iter=4)
    neural = X.evaluate(mels, test, rec=rec, n_iter=4, vocoder=inverter, workers=2)
    assert griffin_lim.drop(columns=["stoi", "estoi"]).equals(neural.drop(columns=["stoi", "estoi"]))
    expected = [X.vocoded_intelligibility(("magnitude", V.linear_magnitude(inverter, t.mel), X.reference_audio(rec, t), 4))
                for t in test]
    assert np.allclose(neural[["stoi", "estoi"]].to_numpy(), expected)
    assert not np.allclose(neural["stoi"], griffin_lim["stoi"])
    bounds = X.ceilings(rec, tiny_autoencoder(), n_iter=4, vocoder=inverter)
    assert set(bounds["ceiling"]) == {"autoencoder", "griffin_lim", "neural_vocoder"}
    assert np.allclose(bounds[bounds["ceiling"] == "neural_vocoder"]["spectrogram_r"], 1)


def test_data_curve_trains_on_growing_prefixes_and_caps_at_what_exists(rec, monkeypatch):
    monkeypatch.setattr(X, "participant", lambda profile, seed=0, corpus=None, snr=None: rec)
    monkeypatch.setattr(X, "pretrained_autoencoder", lambda profile, corpus=None: tiny_autoencoder())
    curve = X.data_curve("smoke", minutes=(0.05, 100), methods=("ridge", "transfer"), seeds=(0, 1), jobs=1)
    assert len(curve) == 8 and set(curve["method"]) == {"ridge", "transfer"}
    assert curve.groupby(["minutes", "method"])["seed"].apply(sorted).tolist() == [[0, 1]] * 4
    transfer = curve[(curve["method"] == "transfer") & (curve["minutes"] == 100)]
    assert transfer["spectrogram_r"].nunique() == 2  # another seed, another network
    used = curve.groupby("minutes")["minutes_used"].first()
    assert used[0.05] <= 0.05 < used[100] == pytest.approx(curve["minutes_available"].iloc[0])
    assert curve["spectrogram_r"].notna().all() and "estoi" not in curve


@pytest.mark.parametrize("budget", X.BUDGETS)
def test_the_steps_budget_gives_less_data_the_full_runs_steps(rec, trials, tmp_path, monkeypatch, budget):
    monkeypatch.setenv("N2S_CACHE", str(tmp_path))  # train every network here, none from an earlier test
    monkeypatch.setattr(X, "participant", lambda profile, seed=0, corpus=None, snr=None: rec)
    monkeypatch.setattr(X, "pretrained_autoencoder", lambda profile, corpus=None: tiny_autoencoder())
    steps, original = {}, X.train_on_trials

    def spy(name, train, val, profile, seed, ae, steps_per_epoch, window):
        steps[len(train)] = steps_per_epoch
        return original(name, train, val, profile, seed, ae, steps_per_epoch, window)

    monkeypatch.setattr(methods, "train_on_trials", spy)
    curve = X.data_curve("smoke", minutes=(0.05, 100), methods=("transfer",), budget=budget, jobs=1)
    assert curve["budget"].eq(budget).all() and len(steps) == 2
    window, batch = (X.settings("smoke")["training"][k] for k in ("window", "batch_size"))
    full_run = D.one_pass_steps(sum(len(t.mel) for t in trials["train"]), window, batch)
    assert full_run > D.one_pass_steps(sum(len(t.mel) for t in X.first_minutes(trials["train"], 0.05)), window, batch)
    # None: one pass over the trials trained on; all training trials are the bench's model either way
    assert steps == {min(steps): full_run if budget == "steps" else None, len(trials["train"]): None}


def test_electrode_curve_trains_on_nested_subsets_and_all(rec, monkeypatch):
    monkeypatch.setattr(X, "participant", lambda profile, seed=0, corpus=None, snr=None: rec)
    monkeypatch.setattr(X, "pretrained_autoencoder", lambda profile, corpus=None: tiny_autoencoder())
    subsets = []
    original = X.train_method

    def spy(name, rec, profile, seed, ae=None, minutes=None, electrodes=None, budget="epochs"):
        subsets.append((name, seed, minutes, electrodes))
        return original(name, rec, profile, seed, ae, minutes, electrodes, budget)

    monkeypatch.setattr(X, "train_method", spy)
    curve = X.electrode_curve("smoke", counts=(2, 5, 100), methods=("ridge", "transfer"), seeds=(0, 1), jobs=1)
    assert curve["electrodes"].tolist() == [2] * 4 + [5] * 4 + [8] * 4  # 100 electrodes: all 8 there are
    assert all(minutes is None for _name, _seed, minutes, _e in subsets)  # every training minute
    assert curve.groupby(["electrodes", "method"])["seed"].apply(sorted).tolist() == [[0, 1]] * 6
    drawn = {8 if e is None else len(e): e for _name, _seed, _minutes, e in subsets}
    assert set(drawn[2]) < set(drawn[5]) and drawn[8] is None  # nested; all electrodes: the bench's model
    transfer = curve[curve["method"] == "transfer"].groupby("electrodes")["n_parameters"].first()
    assert transfer[2] < transfer[5] < transfer[8]  # the adaptor's input layer sees only the kept electrodes
    assert curve["spectrogram_r"].notna().all()


def test_snr_curve_trains_on_noisier_participants_and_the_default_one(monkeypatch):
    from n2s_lite.neuro.simulate import DEFAULT_SNR

    # the same sentences and projection, ten times the noise amplitude: a participant with 1/100 of the snr
    participants = {None: fake_recording(noise=0.3), DEFAULT_SNR / 100: fake_recording(noise=3.0)}
    events, train_method = [], X.train_method

    def participant(profile, seed=0, corpus=None, snr=None):
        events.append(("participant", snr))
        return participants[snr]

    def spy(*args, **keywords):
        events.append(("train", None))
        return train_method(*args, **keywords)

    monkeypatch.setattr(X, "participant", participant)
    monkeypatch.setattr(X, "train_method", spy)
    monkeypatch.setattr(X, "pretrained_autoencoder", lambda profile, corpus=None: tiny_autoencoder())
    curve = X.snr_curve("smoke", snrs=(DEFAULT_SNR / 100,), methods=("ridge", "transfer"), seeds=(0, 1), jobs=1)
    assert curve["snr"].tolist() == [DEFAULT_SNR / 100] * 4 + [DEFAULT_SNR] * 4
    # every participant is made before any training (not by each worker); the default snr is the default
    # participant, the bench's
    assert events[:2] == [("participant", DEFAULT_SNR / 100), ("participant", None)]
    assert curve.groupby(["snr", "method"])["seed"].apply(sorted).tolist() == [[0, 1]] * 4
    ridge = curve[curve["method"] == "ridge"].groupby("snr")["spectrogram_r"].first()
    assert ridge[DEFAULT_SNR / 100] < ridge[DEFAULT_SNR]  # noisier neural data, poorer decoding
    assert curve["spectrogram_r"].notna().all()


def test_another_snr_is_the_same_experiment_with_scaled_noise(tmp_path, monkeypatch):
    monkeypatch.setenv("N2S_CACHE", str(tmp_path / "cache"))
    corpus = write_tone_corpus(tmp_path / "tones", 120)
    default, noisy = X.participant("smoke", corpus=corpus), X.participant("smoke", corpus=corpus, snr=0.01)
    assert noisy.metadata["snr"] == 0.01 != default.metadata["snr"]
    assert noisy.trials.equals(default.trials) and np.array_equal(noisy.audio, default.audio)
    assert np.array_equal(noisy.ground_truth["clean_response"], default.ground_truth["clean_response"])
    assert not np.allclose(noisy.high_gamma, default.high_gamma)
    assert len(list((tmp_path / "cache" / "participant").glob("*.h5"))) == 2
    assert X.participant("smoke", corpus=corpus, snr=0.01) is noisy


def test_a_sweep_scores_each_network_where_it_trained(rec, tmp_path, monkeypatch):
    # a worker has fewer threads than the main process; a network it trained must not be trained again by the
    # main process under its own thread count (another cache key), so each run is scored in its worker
    monkeypatch.setenv("N2S_CACHE", str(tmp_path))
    monkeypatch.setattr(X, "participant", lambda profile, seed=0, corpus=None, snr=None: rec)
    monkeypatch.setattr(X, "pretrained_autoencoder", lambda profile, corpus=None: tiny_autoencoder())
    worker_threads = 1  # and the main process 2 (it trains nothing here: a second thread on one core would cost)

    def in_workers(function, tasks, jobs=None, desc=""):
        with torch_threads(worker_threads):
            return [function(task) for task in tasks]

    monkeypatch.setattr(parallel, "map_in_workers", in_workers)
    with torch_threads(2):
        curve = X.data_curve("smoke", minutes=(100,), methods=("mlp", "transfer"), seeds=(0, 1), jobs=2)
    configs = [json.loads(path.read_text()) for path in (tmp_path / "decoder").glob("*.json")]
    assert len(curve) == len(configs) == 4
    assert {config["compute"]["torch_threads"] for config in configs} == {worker_threads}


def test_a_participant_can_listen_to_several_corpora(tmp_path, monkeypatch):
    monkeypatch.setenv("N2S_CACHE", str(tmp_path / "cache"))
    # 2 x 80 sentences: the stimulus part (40 %) fills 3 min, each twice
    specs = [write_tone_corpus(tmp_path / voice, 80, pitch, voice) for voice, pitch in (("low", 120.0), ("high", 220.0))]
    rec = X.participant("smoke", corpus=specs)
    heard = {stimulus.split("_")[0] for stimulus in rec.trials["stimulus_id"]}
    assert heard == {"low", "high"}
    assert X.participant("smoke", corpus=tuple(specs)) is rec  # the same specs are one participant
    assert len(list((tmp_path / "cache" / "participant").glob("*.h5"))) == 1


def test_experiment_offers_the_methods_names_notebooks_use():
    # notebooks import only `experiment`; the training itself lives in `methods`, whose code keys the networks
    for name in ("train_method", "split_trials", "settings", "PROFILES", "METHODS", "pretrained_autoencoder"):
        assert getattr(X, name) is getattr(methods, name)


def test_held_out_quality_of_a_synth_autoencoder_scores_the_synthesizer_audio(tmp_path):
    from n2s_lite import autoencoder as AE
    from n2s_lite import corpora, metrics
    from n2s_lite.synth.formants import formant_agreement, formant_track
    from n2s_lite.synth.pitch import pitch_agreement, pitch_track

    torch.manual_seed(0)
    ae = AE.SpeechAutoencoder(latent_dim=8, stride=2, channels=16, blocks=1, decoder="synth").eval()
    corpus = write_tone_corpus(tmp_path / "tones", 60)
    table = X.autoencoder_quality(ae, n_utterances=3, n_iter=4, corpus=corpus)
    pretrain, _ = corpora.pretraining_and_stimuli(corpora.load(corpus))
    held_out = list(pretrain.split("test"))[:3]
    assert list(table["id"]) == [u.id for u in held_out]
    for row, u in zip(table.itertuples(), held_out):
        mel = X.A.log_mel(u.audio)
        synthesis = AE.reconstruct_synthesis(ae, mel)
        wave = synthesis["wave"]
        heard = u.audio[:len(mel) * X.A.HOP]
        assert row.synth_stoi == pytest.approx(metrics.stoi(heard, wave))
        assert row.synth_estoi == pytest.approx(metrics.stoi(heard, wave, extended=True))
        reference = pitch_track(u.audio)[0]
        assert np.isfinite(reference).any()  # the tones are voiced, so the f0 error is a number
        assert (row.synth_f0_error_semitones, row.synth_voicing_accuracy) == pytest.approx(
            pitch_agreement(synthesis["controls"]["f0_hz"], synthesis["controls"]["voicing"], reference))
        formant_errors = formant_agreement(synthesis["controls"]["formant_freq_hz"], formant_track(u.audio), reference)
        assert np.isfinite(formant_errors[0])  # a tone has one narrow resonance, F1; the others may be NaN
        assert [row.synth_f1_error_semitones, row.synth_f2_error_semitones, row.synth_f3_error_semitones] == \
            pytest.approx(list(formant_errors), nan_ok=True)
    assert "synth_estoi" not in X.autoencoder_quality(tiny_autoencoder(), n_utterances=2, n_iter=4, corpus=corpus)
