"""scripts/phase2_step_times.py: the seconds of each phase-2 training step."""
import json

import torch
from phase2_fakes import fake_recording, tiny_autoencoder
from script_loading import load_script

from n2s_lite import decoding as D
from n2s_lite import experiment as X
from n2s_lite.adaptor import LossWeights, build


def test_one_epoch_is_timed_step_by_step_and_the_network_learns(monkeypatch, capsys):
    script = load_script("phase2_step_times")
    monkeypatch.setattr(X, "participant", lambda profile: fake_recording())
    monkeypatch.setattr(X, "pretrained_autoencoder", lambda profile: tiny_autoencoder())
    threads_before = torch.get_num_threads()
    assert script.main(["--profile", "smoke", "--threads", "1"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["threads"] == 1 and len(printed["step_seconds"]) >= 1
    assert all(s > 0 for s in printed["step_seconds"])
    assert abs(printed["seconds"] - sum(printed["step_seconds"])) < 0.01
    assert set(printed) == {"threads", "step_seconds", "seconds"}
    assert torch.get_num_threads() == threads_before


def test_the_timed_steps_train_the_adaptor():
    script = load_script("phase2_step_times")
    train = X.split_trials(fake_recording())["train"]
    model = build(tiny_autoencoder(), train[0].hg.shape[1], seed=0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    batches = list(D.WindowSampler(train, 64, 4, seed=0, steps=3)(0))
    result = script.step_times(model, batches, LossWeights(), lr=1e-3, threads=1)
    assert len(result["step_seconds"]) == 3
    changed = {k for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert any(k.startswith("adaptor.") for k in changed)
    assert not any(k.startswith("autoencoder.decoder.") for k in changed)  # the pre-trained decoder stays frozen
