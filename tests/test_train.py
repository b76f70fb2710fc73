import numpy as np
import pytest
import torch
from weight_checks import same_weights

from n2s_lite import cache
from n2s_lite.train import (TrainConfig, compute_context, fit, learning_rate, load_payload, mixed_precision, save_model,
                            torch_threads)
from n2s_lite.utils import pick_device


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    x = torch.tensor(rng.standard_normal((256, 5)), dtype=torch.float32)
    y = x @ torch.tensor(rng.standard_normal((5, 1)), dtype=torch.float32)
    return x, y


def _run(max_epochs, checkpoint=None, seed=0, schedule="constant", interrupt_at=None, disturb=False, precision="auto"):
    """disturb: draw from torch's global random stream between building the model and training it."""
    x, y = _problem()
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Dropout(0.1), torch.nn.Linear(8, 1))
    if disturb:
        torch.rand(1000)

    def batches(epoch):
        if epoch == interrupt_at:
            raise KeyboardInterrupt
        order = np.random.default_rng([seed, epoch]).permutation(len(x))
        return [order[i:i + 32] for i in range(0, len(x), 32)]

    loss = lambda m, idx: torch.nn.functional.mse_loss(m(x[idx]), y[idx])
    val = lambda m: torch.nn.functional.mse_loss(m(x[:64]), y[:64])
    config = TrainConfig(max_epochs=max_epochs, lr=1e-2, patience=100, seed=seed, device="cpu", progress=False,
                         schedule=schedule, precision=precision)
    return model, fit(model, loss, batches, val, config, checkpoint=checkpoint)


def test_training_lowers_the_validation_loss():
    _, history = _run(10)
    assert history[-1]["val_loss"] < 0.5 * history[0]["val_loss"]


def test_precision_resolves_per_device(monkeypatch):
    assert mixed_precision("cpu").name == "fp32" and not mixed_precision("cpu").enabled  # CPU: no autocast
    assert mixed_precision("cpu", "bf16").dtype == torch.bfloat16 and not mixed_precision("cpu", "bf16").scaled
    assert mixed_precision("cuda:1", "fp16").scaled and mixed_precision("cuda:1", "fp16").device_type == "cuda"
    for supported, expected in ((True, "bf16"), (False, "fp32")):
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: supported)
        assert mixed_precision("cuda").name == expected
    with pytest.raises(ValueError, match="precision"):
        mixed_precision("cpu", "fp8")
    assert compute_context("cpu", threads=2, precision="bf16") == dict(device="cpu", torch_threads=2, precision="bf16")


def test_mixed_precision_trains_on_cpu_with_float32_weights():
    """The GPU's code paths (autocast, and GradScaler for fp16) run on CPU too."""
    reference = [h["train_loss"] for h in _run(5)[1]]
    for precision in ("bf16", "fp16"):
        model, history = _run(5, precision=precision)
        assert history[-1]["val_loss"] < 0.5 * history[0]["val_loss"]
        assert {(h["device"], h["precision"]) for h in history} == {("cpu", precision)}
        assert all(p.dtype == torch.float32 for p in model.parameters())
        assert [h["train_loss"] for h in history] != reference  # autocast did compute in lower precision


def test_same_seed_same_numbers():
    def losses(**kwargs):
        return [h["train_loss"] for h in _run(3, **kwargs)[1]]

    # fit reseeds the dropout masks from config.seed, whatever the caller drew before
    assert losses(seed=0) == losses(seed=0, disturb=True) != losses(seed=1)


def test_resume_after_interruption_matches_an_uninterrupted_run(tmp_path):
    checkpoint = tmp_path / "run.pt"
    _run(3, checkpoint=checkpoint)  # "interrupted" after 3 epochs
    resumed, history = _run(6, checkpoint=checkpoint)
    straight, reference = _run(6)
    assert [h["epoch"] for h in history] == list(range(6))
    assert np.allclose([h["val_loss"] for h in history], [h["val_loss"] for h in reference])
    assert same_weights(resumed, straight)


def test_cosine_schedule_decays_from_lr_towards_zero():
    config = TrainConfig(max_epochs=10, lr=0.01, schedule="cosine")
    rates = [learning_rate(config, epoch) for epoch in range(10)]
    assert rates[0] == 0.01 and abs(rates[5] - 0.005) < 1e-12 and 0 < rates[-1] < 0.0003
    assert all(a > b for a, b in zip(rates, rates[1:]))
    assert learning_rate(TrainConfig(lr=0.01), 7) == 0.01
    with pytest.raises(ValueError, match="schedule"):
        learning_rate(TrainConfig(schedule="step"), 0)


def test_a_cosine_run_interrupted_mid_schedule_resumes_to_the_same_weights(tmp_path):
    checkpoint = tmp_path / "run.pt"
    with pytest.raises(KeyboardInterrupt):
        _run(6, checkpoint=checkpoint, schedule="cosine", interrupt_at=3)
    resumed, history = _run(6, checkpoint=checkpoint, schedule="cosine")
    straight, reference = _run(6, schedule="cosine")
    assert [h["val_loss"] for h in history] == [h["val_loss"] for h in reference]
    assert same_weights(resumed, straight)


def test_saved_model_loads_with_weights_only(tmp_path):
    model, _ = _run(1)
    path = save_model(tmp_path / "m.pt", model, config={"hidden": 8})
    payload = load_payload(path)
    assert payload["config"] == {"hidden": 8}
    assert same_weights(payload["state_dict"], model)


def test_torch_threads_sets_the_count_for_the_block_and_restores_it():
    before = torch.get_num_threads()
    with torch_threads(before + 1):
        assert torch.get_num_threads() == before + 1
        assert compute_context() == dict(device=pick_device(), torch_threads=before + 1)
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), torch_threads(before + 2):
        raise RuntimeError("restored even when the block fails")
    assert torch.get_num_threads() == before
    assert compute_context("cpu", threads=7) == dict(device="cpu", torch_threads=7)


def test_load_model_rebuilds_and_refuses_an_unexpected_field(tmp_path):
    from n2s_lite.errors import InputError
    from n2s_lite.train import load_model

    model = torch.nn.Linear(3, 2)
    path = save_model(tmp_path / "m.pt", model, config={"in_features": 3, "out_features": 2}, kind="toy",
                      mel={"n_mels": 80}, history=[{"epoch": 0}])
    loaded = load_model(path, "toy", "toy.save", torch.nn.Linear, mel={"n_mels": 80})
    assert not loaded.training and loaded.history == [{"epoch": 0}]
    assert same_weights(loaded, model)
    with pytest.raises(InputError, match="mel"):
        load_model(path, "toy", "toy.save", torch.nn.Linear, mel={"n_mels": 64})
    with pytest.raises(InputError, match="kind"):
        load_model(path, "other", "other.save", torch.nn.Linear)


def test_trained_once_trains_on_every_core_once_and_leaves_no_resume_file(monkeypatch, tmp_path):
    from n2s_lite import train as T
    from n2s_lite.train import load_model

    monkeypatch.setenv("N2S_CACHE", str(tmp_path))
    monkeypatch.setattr(T.parallel, "usable_cores", lambda: 3)
    calls = []

    def train(resume):
        calls.append((torch.get_num_threads(), resume))
        torch.manual_seed(len(calls))
        return torch.nn.Linear(2, 1), [{"epoch": 0}]

    def save(model, path, history):
        return save_model(path, model, {"in_features": 2, "out_features": 1}, kind="toy", history=history)

    def load(path):
        return load_model(path, "toy", "save", torch.nn.Linear)

    with torch_threads(1):  # a worker with one thread asks first
        first = T.trained_once("toy", {"size": 2}, (), train, save, load)
    second = T.trained_once("toy", {"size": 2}, (), train, save, load)
    other = T.trained_once("toy", {"size": 3}, (), train, save, load)
    assert [threads for threads, _ in calls] == [3, 3]  # every core, once per configuration
    assert [resume for _, resume in calls] == [cache.resume_path("toy", {"size": n, "compute": compute_context(threads=3)}, ())
                                               for n in (2, 3)]
    assert all(resume.parent == tmp_path / "toy" for _, resume in calls)
    assert same_weights(first, second)
    assert not torch.equal(first.weight, other.weight) and first.history == [{"epoch": 0}]
    assert not list(tmp_path.rglob(f"*{cache.RESUME_SUFFIX}"))


def test_load_model_names_the_file_and_field_of_a_damaged_or_mismatched_checkpoint(tmp_path):
    from n2s_lite.errors import InputError
    from n2s_lite.train import load_model

    load = lambda path: load_model(path, "toy", "toy.save", torch.nn.Linear)  # noqa: E731
    good = save_model(tmp_path / "good.pt", torch.nn.Linear(3, 2), dict(in_features=3, out_features=2), kind="toy")
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (tmp_path / "text.pt").write_text("not a checkpoint at all")
    torch.save(dict(kind="toy", config=dict(in_features=3, out_features=2, colour="red"),
                    state_dict=torch.nn.Linear(3, 2).state_dict()), tmp_path / "config.pt")
    torch.save(dict(kind="toy", config=dict(in_features=4, out_features=2),
                    state_dict=torch.nn.Linear(3, 2).state_dict()), tmp_path / "shapes.pt")
    torch.save(dict(kind="toy", config=dict(in_features=3, out_features=2)), tmp_path / "weightless.pt")
    torch.save([1, 2], tmp_path / "list.pt")
    (tmp_path / "folder.pt").mkdir()
    for name, field in [("truncated", "checkpoint"), ("text", "checkpoint"), ("config", "config"),
                        ("shapes", "state_dict"), ("weightless", "state_dict"), ("list", "checkpoint"),
                        ("folder", "checkpoint")]:
        with pytest.raises(InputError, match=rf"{name}\.pt: field '{field}'") as error:
            load(tmp_path / f"{name}.pt")
        assert "weights_only=False" not in str(error.value)  # never the advice to run a file's code
    assert isinstance(load(good), torch.nn.Linear)
