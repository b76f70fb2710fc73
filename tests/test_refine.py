"""The brain-refined latent: which parameters each training stage moves, and what the refined model gives."""
import numpy as np
import pytest
import torch
from phase2_fakes import DELAY, tiny_autoencoder
from threadpoolctl import threadpool_limits
from weight_checks import same_weights

from n2s_lite import encoding, probes, refine, representations
from n2s_lite.lags import LagWindow
from n2s_lite.train import torch_threads

SMALL = dict(crop_frames=64, batch_size=4, patience=5, head_lr=3e-3, joint_lr=1e-3)
WINDOW = LagWindow(0, 150)  # the fake high-gamma follows the sound by DELAY = 80 ms


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny networks: one torch and BLAS thread each (a busy 2-core machine makes two threads much slower)."""
    with torch_threads(1), threadpool_limits(1, user_api="blas"):
        yield


def test_encoding_head_reads_the_encoding_lags():
    head = refine.EncodingHead(latent_dim=3, n_electrodes=2, stride=2, window=WINDOW)
    assert (head.conv.first, head.conv.last) == (-15, 0) and 0 < DELAY <= 15
    out = head(torch.zeros(1, 10, 3), 19)
    assert out.shape == (1, 19, 2)


def test_stage_one_moves_only_the_head(trials):
    ae = tiny_autoencoder()
    original = {k: v.clone() for k, v in ae.state_dict().items()}
    torch.manual_seed(0)
    untrained = refine.EncodingHead(ae.latent_dim, trials["train"][0].hg.shape[1], ae.stride, WINDOW)
    result = refine.refine(ae, trials["train"], trials["val"], WINDOW, seed=0, head_epochs=2, joint_epochs=0, **SMALL)
    assert len(result.history["stage1"]) == 2 and result.history["stage2"] == []
    assert same_weights(result.autoencoder, original) and same_weights(ae, original)
    assert not same_weights(result.head, untrained)
    before = refine.BrainRefiner(ae, untrained.conv.conv.out_channels, WINDOW)
    before.head = untrained
    best = min(epoch["val_loss"] for epoch in result.history["stage1"])
    assert best < refine._validation(before, trials["val"], result.settings["l2"], 0.0)


def test_stage_two_moves_encoder_decoder_and_head_and_keeps_the_decoder_working(trials):
    ae = tiny_autoencoder()
    original = {k: v.clone() for k, v in ae.state_dict().items()}
    head_only = refine.refine(ae, trials["train"], trials["val"], WINDOW, seed=0, head_epochs=1, joint_epochs=0,
                              **SMALL)
    both = refine.refine(ae, trials["train"], trials["val"], WINDOW, seed=0, head_epochs=1, joint_epochs=2, **SMALL)
    assert same_weights(ae, original)  # the caller's autoencoder is never changed
    for part in ("encoder", "decoder"):
        assert not same_weights(getattr(both.autoencoder, part), getattr(ae, part))
    assert not same_weights(both.head, head_only.head)
    assert not any(p.requires_grad for p in both.autoencoder.parameters())
    # the refined model's latent is a representation like any other: same frames, finite, and still decodable
    test = trials["test"][:2]
    latents = representations.latent(both.autoencoder, test)
    assert all(x.shape == (len(t.mel), ae.latent_dim) and np.isfinite(x).all() for x, t in zip(latents, test))
    predicted = [refine.predict_high_gamma(both, t.mel) for t in test]
    assert np.isfinite(encoding.correlations(test, predicted)).all()
    with torch.no_grad():
        mel = both.autoencoder(torch.from_numpy(test[0].mel)[None])[0].numpy()
    assert mel.shape == test[0].mel.shape and np.isfinite(mel).all()


def test_loss_terms():
    ae = tiny_autoencoder()
    model = refine.BrainRefiner(ae, 3, WINDOW)
    mel, hg = torch.full((1, 40, 80), -30.0), torch.zeros(1, 40, 3)
    neural = refine.refinement_loss(model, hg, mel, l2=0.0, reconstruction=0.0)
    with torch.no_grad():
        expected = model.head(ae.encode(mel), 40).pow(2).mean()
    torch.testing.assert_close(neural, expected)
    penalty = model.head.conv.conv.weight.pow(2).sum()
    torch.testing.assert_close(refine.refinement_loss(model, hg, mel, l2=0.5, reconstruction=0.0),
                               neural + 0.5 * penalty)
    assert refine.refinement_loss(model, hg, mel, l2=0.0, reconstruction=1.0) > neural


def test_probes_find_what_the_representation_holds():
    """Constructed mels: speaker = a level offset, sentence = a pattern shared by two voices, f0 = one column."""
    rng = np.random.default_rng(0)
    identity, blind = (lambda mel: mel[:, :4]), (lambda mel: rng.standard_normal((len(mel), 4)))
    utterances = [(f"s{k}", rng.standard_normal((50, 80)) + 3 * k) for k in range(3) for _ in range(4)]
    assert probes.speaker(identity, utterances) == 1.0
    assert probes.speaker(blind, utterances) < 0.8
    patterns = [rng.standard_normal((60, 80)) for _ in range(8)]
    pairs = [(p, p[::2].repeat(2, axis=0) + 0.3 * rng.standard_normal((60, 80)) + 2.0) for p in patterns]
    assert probes.sentence(identity, pairs) == 1.0
    assert probes.sentence(blind, pairs) < 0.6
    mels = [rng.standard_normal((80, 80)).astype(np.float32) for _ in range(12)]
    tracks = []
    for mel in mels:
        f0 = 120 * 2 ** (0.5 * mel[:, 0])
        tracks.append(np.column_stack([np.where(mel[:, 1] > 0, f0, np.nan), np.full((80, 3), np.nan)]))
    scores = probes.pitch(identity, mels, tracks)
    assert scores["voicing_accuracy"] > 0.95 and scores["f0_r"] > 0.99 and 0.3 < scores["voiced_share"] < 0.7
    assert probes.pitch(blind, mels, tracks)["f0_r"] < 0.3
