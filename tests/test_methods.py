"""n2s_lite.methods: the trials each method trains on, the training of every method, and its cache."""
import numpy as np
import pytest
import torch
from phase2_fakes import tiny_autoencoder, write_tone_corpus
from test_autoencoder import TINY_SETTINGS
from weight_checks import same_weights

from n2s_lite import audio as A
from n2s_lite import autoencoder as AE
from n2s_lite import methods as M
from n2s_lite import refine
from n2s_lite.train import torch_threads


def test_splits_are_disjoint_by_sentence(trials):
    ids = {split: {t.stimulus_id for t in ts} for split, ts in trials.items()}
    assert not ids["test"] & (ids["train"] | ids["val"]) and not ids["val"] & ids["train"]


def test_phase1_shows_its_progress_while_it_pretrains(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("N2S_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(AE.PROFILES, "smoke", dict(TINY_SETTINGS, max_epochs=1))
    corpus = write_tone_corpus(tmp_path / "tones", 20)
    M.pretrained_autoencoder("smoke", corpus=corpus)
    assert "autoencoder" in capsys.readouterr().err  # the tqdm bar of phase 1's epochs
    M.pretrained_autoencoder("smoke", corpus=corpus)  # cached: loads without training, so no bar
    assert "autoencoder" not in capsys.readouterr().err


def test_first_minutes_takes_a_prefix_within_the_budget(trials):
    train = trials["train"]
    minutes = sum(len(t.mel) for t in train[:5]) / A.FRAME_RATE / 60 + 1e-9
    chosen = M.first_minutes(train, minutes)
    assert [t.start for t in chosen] == sorted(t.start for t in train)[:5]
    assert len(M.first_minutes(train, 1e-6)) == 1


@pytest.mark.parametrize("method", M.METHODS)
def test_every_method_trains_on_train_and_val_only_and_predicts_mels(rec, trials, method, monkeypatch, tmp_path):
    monkeypatch.setenv("N2S_CACHE", str(tmp_path))  # an empty cache: every network is trained here, under the spy
    seen = []
    original = M.train_on_trials

    def spy(name, train, val, *args, **kwargs):
        seen.extend(t.stimulus_id for t in train + val)
        return original(name, train, val, *args, **kwargs)

    monkeypatch.setattr(M, "train_on_trials", spy)
    decoder = M.train_method(method, rec, "smoke", seed=0, ae=tiny_autoencoder())
    assert set(seen) == {t.stimulus_id for t in trials["train"] + trials["val"]}  # and none of the test trials
    assert decoder.n_parameters > 0
    assert decoder.predict(trials["test"][0].hg).shape == trials["test"][0].mel.shape


def test_transfer_refined_refines_phase_1_on_its_own_training_trials_and_maps_onto_the_refined_latent(
        rec, trials, monkeypatch, tmp_path):
    monkeypatch.setenv("N2S_CACHE", str(tmp_path))
    monkeypatch.setitem(refine.PROFILES, "smoke", dict(refine.PROFILES["smoke"], head_epochs=1, joint_epochs=1))
    refined_on, adaptor_onto = [], []
    refine_once, train_once = refine.refine, M.train_on_trials

    def refine_spy(ae, train, val, *args, **kwargs):
        refined_on.append(({t.stimulus_id for t in train}, {t.stimulus_id for t in val}))
        return refine_once(ae, train, val, *args, **kwargs)

    def train_spy(name, train, val, profile, seed, ae, *args, **kwargs):
        adaptor_onto.append(ae)
        return train_once(name, train, val, profile, seed, ae, *args, **kwargs)

    monkeypatch.setattr(refine, "refine", refine_spy)
    monkeypatch.setattr(M, "train_on_trials", train_spy)
    ae, minutes = tiny_autoencoder(), M.minutes_of(trials["train"]) / 2
    original = {k: v.clone() for k, v in ae.state_dict().items()}
    decoder = M.train_method("transfer_refined", rec, "smoke", seed=0, ae=ae, minutes=minutes)
    # refined on the same first minutes the adaptor trains on, stopped on the validation trials, never the test
    assert refined_on == [({t.stimulus_id for t in M.first_minutes(trials["train"], minutes)},
                           {t.stimulus_id for t in trials["val"]})]
    refined = M.refined_autoencoder(rec, ae, "smoke", seed=0, minutes=minutes)  # cached: not refined again
    assert len(refined_on) == 1 and {e["stage"] for e in refined.history} == {1, 2}
    assert same_weights(adaptor_onto[0], refined) and not same_weights(refined, ae) and same_weights(ae, original)
    assert decoder.predict(trials["test"][0].hg).shape == trials["test"][0].mel.shape
    # plain transfer maps onto the autoencoder it is given
    M.train_method("transfer", rec, "smoke", seed=0, ae=ae, minutes=minutes)
    assert same_weights(adaptor_onto[-1], ae)


def test_trials_get_reference_tracks_only_where_the_phase2_loss_supervises_controls(rec, trials, monkeypatch):
    train = trials["train"][:3]
    assert M.with_tracks_if_supervised("transfer", "smoke", rec, train) is train  # the profile's loss does not
    monkeypatch.setitem(M.PROFILES, "smoke", dict(M.PROFILES["smoke"], loss=dict(pitch=1.0, voicing=0.1)))
    assert M.with_tracks_if_supervised("mlp", "smoke", rec, train) is train  # a baseline has no controls
    for name in M.USES_AUTOENCODER:
        tracked = M.with_tracks_if_supervised(name, "smoke", rec, train)
        assert [t.tracks.shape for t in tracked] == [(len(t.mel), 4) for t in train]
        assert all(np.array_equal(a.hg, b.hg) for a, b in zip(tracked, train))


def test_unknown_method_and_profile_are_rejected(trials):
    with pytest.raises(ValueError, match="transfer_refined"):  # the error lists the optional methods too
        M.train_on_trials("svm", trials["train"], trials["val"])
    with pytest.raises(ValueError, match="profile"):
        M.settings("huge")


def test_unknown_budget_is_rejected(rec):
    with pytest.raises(ValueError, match="budget"):
        M.train_method("mlp", rec, "smoke", budget="hours")


def test_keep_electrodes_cuts_columns_and_none_keeps_all(trials):
    train = trials["train"]
    kept = M.keep_electrodes(train, [5, 1])
    assert all(np.array_equal(k.hg, t.hg[:, [5, 1]]) and k.mel is t.mel for k, t in zip(kept, train))
    assert M.keep_electrodes(train, None) is train


@pytest.mark.parametrize("method", ["mlp", "transfer"])
def test_trained_decoders_are_cached_and_reloaded_identically(rec, trials, tmp_path, monkeypatch, method):
    monkeypatch.setenv("N2S_CACHE", str(tmp_path))
    ae = tiny_autoencoder()
    first = M.train_method(method, rec, "smoke", seed=0, ae=ae)
    cached = list((tmp_path / "decoder").glob("*.pt"))
    again = M.train_method(method, rec, "smoke", seed=0, ae=ae)
    assert len(cached) == 1 and list((tmp_path / "decoder").glob("*.pt")) == cached
    hg = trials["test"][0].hg
    assert np.array_equal(first.predict(hg), again.predict(hg))
    assert again.train_seconds == first.train_seconds > 0 and again.history == first.history
    M.train_method(method, rec, "smoke", seed=1, ae=ae)  # another seed is another product
    assert len(list((tmp_path / "decoder").glob("*.pt"))) == 2
    fewer = M.train_method(method, rec, "smoke", seed=1, ae=ae, electrodes=[0, 3])  # so are fewer electrodes
    assert len(list((tmp_path / "decoder").glob("*.pt"))) == 3 and fewer.predict(hg[:, [0, 3]]).shape == (len(hg), 80)
    threads = torch.get_num_threads()
    with torch_threads(threads - 1 if threads > 1 else 2):  # and another thread count: it sums in another order
        M.train_method(method, rec, "smoke", seed=0, ae=ae)
    assert len(list((tmp_path / "decoder").glob("*.pt"))) == 4


def test_corpus_spec_keeps_one_spec_a_string_and_makes_several_a_tuple():
    # one spec must stay a string: the default participant's and autoencoder's cache keys hold one
    assert M.corpus_spec("asterisk") == M.corpus_spec(["asterisk"]) == "asterisk"
    assert M.corpus_spec(["asterisk", "tts"]) == ("asterisk", "tts")
