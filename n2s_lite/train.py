"""One training loop for every model: seeded, resumable, early-stopped on validation, with progress.

Each epoch reseeds torch with (seed, epoch) and asks the caller for that epoch's batches, so a run
resumed from a checkpoint continues with exactly the numbers an uninterrupted run would produce.
Checkpoints hold only tensors and plain Python values: they load with `torch.load(weights_only=True)`.
`save_model` / `load_model` write and rebuild a trained model; `trained_once` makes a phase-1 product (the
autoencoder, the vocoder) once per configuration and machine and serves it from the cache after that.

Devices and precision: `TrainConfig.device` 'auto' trains on CUDA when there is a GPU. `TrainConfig.precision`
'auto' computes the forward pass and loss in bfloat16 under `torch.autocast` on a CUDA GPU that supports it
(float32's exponent range, so no loss scaling), in float32 elsewhere; 'fp16' uses float16 with a `GradScaler`
(for GPUs without bfloat16); 'bf16' forces bfloat16 (also on CPU); 'fp32' turns it off. The weights and the
optimiser stay float32. `torch.compile` is not used: it could not be measured on a GPU here, and on CPU the
models are small enough that compiling costs more than it saves.
"""
from __future__ import annotations

import copy
import math
import pickle
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable

import torch
from tqdm.auto import tqdm

from . import cache, parallel
from .errors import InputError
from .utils import atomic_path, pick_device


@dataclass
class TrainConfig:
    """How to train: epochs, optimiser and early stopping."""

    max_epochs: int = 50
    lr: float = 1e-3
    weight_decay: float = 0.0
    patience: int = 8  # epochs without validation improvement before stopping
    schedule: str = "constant"  # learning rate per epoch: "constant", or "cosine" (lr -> 0 over max_epochs)
    grad_clip: float = 1.0
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"  # "auto", "bf16", "fp16" or "fp32": see `mixed_precision`
    progress: bool = True


PRECISIONS = ("auto", "bf16", "fp16", "fp32")


@dataclass(frozen=True)
class MixedPrecision:
    """How `fit` computes: autocast on `device_type` to `dtype` when enabled; `scaled`: a float16 GradScaler."""

    device_type: str
    dtype: torch.dtype | None
    scaled: bool

    @property
    def enabled(self) -> bool:
        return self.dtype is not None

    @property
    def name(self) -> str:
        return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[self.dtype]


def mixed_precision(device: str, precision: str = "auto") -> MixedPrecision:
    """The autocast of `precision` on `device` ('cuda', 'cpu', 'mps', 'cuda:1', ...): 'auto' is bf16 on a CUDA GPU
    that supports it and fp32 (no autocast) elsewhere; 'fp16' scales the loss (GradScaler) against underflow."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    device_type = torch.device(device).type
    if precision == "auto":
        precision = "bf16" if device_type == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": None}[precision]
    return MixedPrecision(device_type, dtype, scaled=precision == "fp16")


def fit(model: torch.nn.Module, train_loss: Callable[[torch.nn.Module, object], torch.Tensor],
        batches: Callable[[int], Iterable], val_loss: Callable[[torch.nn.Module], float],
        config: TrainConfig, checkpoint: str | Path | None = None, desc: str = "train") -> list[dict]:
    """Train `model` in place; return the history (one dict per epoch) and leave the best weights loaded.

    train_loss(model, batch) -> scalar tensor; batches(epoch) -> iterable of batches for that epoch;
    val_loss(model) -> float, computed without gradients. With `checkpoint`, state is saved atomically
    after every epoch and an existing checkpoint is resumed.
    """
    device = pick_device(config.device)
    model.to(device)
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    amp = mixed_precision(device, config.precision)
    scaler = torch.amp.GradScaler(amp.device_type, enabled=amp.scaled)
    state = dict(epoch=0, history=[], best_val=math.inf, best_state=None, stale=0)
    if checkpoint is not None and Path(checkpoint).exists():
        state = _resume(checkpoint, model, optimiser, config)
    bar = tqdm(range(state["epoch"], config.max_epochs), desc=desc, disable=not config.progress, leave=False)
    for epoch in bar:
        if state["stale"] >= config.patience:
            break
        torch.manual_seed(config.seed * 100_003 + epoch)
        for group in optimiser.param_groups:
            group["lr"] = learning_rate(config, epoch)
        started = time.perf_counter()
        model.train()
        losses = []
        for batch in batches(epoch):
            optimiser.zero_grad(set_to_none=True)
            with torch.autocast(amp.device_type, dtype=amp.dtype, enabled=amp.enabled):
                loss = train_loss(model, batch)
            scaler.scale(loss).backward()  # without fp16 the scaler passes everything through unchanged
            if config.grad_clip:
                scaler.unscale_(optimiser)
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            scaler.step(optimiser)
            scaler.update()
            losses.append(float(loss.detach()))
        model.eval()
        with torch.no_grad():
            val = float(val_loss(model))
        record = dict(epoch=epoch, train_loss=sum(losses) / max(len(losses), 1), val_loss=val,
                      seconds=time.perf_counter() - started, device=device, precision=amp.name)
        state["history"].append(record)
        if val < state["best_val"]:
            state.update(best_val=val, stale=0, best_state=copy.deepcopy(model.state_dict()))
        else:
            state["stale"] += 1
        state["epoch"] = epoch + 1
        bar.set_postfix(train=f"{record['train_loss']:.4f}", val=f"{val:.4f}")
        if checkpoint is not None:
            _save(checkpoint, model, optimiser, config, state)
    if state["best_state"] is not None:
        model.load_state_dict(state["best_state"])
    return state["history"]


def compute_context(device: str = "auto", threads: int | None = None, precision: str = "auto") -> dict:
    """Where a training run computes: {'device': 'cuda' | 'mps' | 'cpu', 'torch_threads': n}, plus 'precision'
    when it is mixed ('bf16' or 'fp16', `mixed_precision`) (threads: None means torch's current thread count).

    Part of the cache key of every trained product: another device or CPU thread count sums the same
    numbers in another order and ends at another network (phase-2 runs moved by about one seed spread
    between 1 and 2 threads), so a cache must not serve one for the other. The OpenMP environment
    (OMP_NUM_THREADS) can move results too and is not part of it: set it the same way to compare runs.
    """
    device = pick_device(device)
    context = dict(device=device, torch_threads=torch.get_num_threads() if threads is None else threads)
    amp = mixed_precision(device, precision)
    return context | dict(precision=amp.name) if amp.enabled else context


@contextmanager
def torch_threads(threads: int):
    """Run the block with torch on `threads` CPU threads, then restore the previous count."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def learning_rate(config: TrainConfig, epoch: int) -> float:
    """The learning rate of `epoch` (a function of the epoch alone, so a resumed run follows the same schedule)."""
    if config.schedule == "constant":
        return config.lr
    if config.schedule == "cosine":
        return config.lr * 0.5 * (1 + math.cos(math.pi * epoch / config.max_epochs))
    raise ValueError(f"TrainConfig.schedule must be 'constant' or 'cosine', got {config.schedule!r}")


def _save(path, model, optimiser, config, state) -> None:
    payload = dict(model=model.state_dict(), optimiser=optimiser.state_dict(), config=asdict(config),
                   epoch=state["epoch"], history=state["history"], best_val=state["best_val"],
                   best_state=state["best_state"], stale=state["stale"])
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def _resume(path, model, optimiser, config) -> dict:
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if payload["config"]["seed"] != config.seed:
        raise ValueError(f"{path}: checkpoint was made with seed {payload['config']['seed']}, not {config.seed}")
    model.load_state_dict(payload["model"])
    optimiser.load_state_dict(payload["optimiser"])
    return dict(epoch=payload["epoch"], history=payload["history"], best_val=payload["best_val"],
                best_state=payload["best_state"], stale=payload["stale"])


def save_model(path, model: torch.nn.Module, config: dict, **extra) -> Path:
    """Save a trained model's weights with the configuration that rebuilds it (atomic; weights_only-loadable)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save(dict(config=config, state_dict=model.state_dict(), **extra), tmp)
    return path


def load_payload(path, kind: str | None = None, writer: str = "save") -> dict:
    """Load what `save_model` wrote (weights_only=True: no code is executed from the file).

    With `kind`, a checkpoint of another kind raises InputError naming `writer`, the function that writes it.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such checkpoint")
    if path.is_dir():
        raise InputError(path, "checkpoint", "a checkpoint file", "a directory")
    expected = "a checkpoint written by n2s-lite (tensors and plain data)"
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise InputError(path, "checkpoint", expected, "a file that does not unpickle as tensors and plain data "
                         "(damaged, not a checkpoint, or holding Python objects, which are never run)") from exc
    except Exception as exc:  # torch's zip reader: truncated or not a torch file at all
        raise InputError(path, "checkpoint", expected,
                         f"a damaged or foreign file ({type(exc).__name__}: {str(exc).split('. ')[0]})") from exc
    if not isinstance(payload, dict):
        raise InputError(path, "checkpoint", expected, f"a {type(payload).__name__}")
    if kind is not None and payload.get("kind") != kind:
        raise InputError(path, "kind", f"a {kind} checkpoint (written by {writer})", repr(payload.get("kind")))
    return payload


def load_model(path, kind: str, writer: str, build: Callable[..., torch.nn.Module], **expected) -> torch.nn.Module:
    """Rebuild a model that `save_model` wrote: build(**its config), its weights, `model.history`; eval mode, CPU.

    expected: fields the checkpoint must hold with exactly these values (e.g. mel=audio.mel_params());
    another value raises InputError naming the file and the field.
    """
    payload = load_payload(path, kind, writer)
    for field, value in expected.items():
        if payload.get(field) != value:
            raise InputError(path, field, f"{field} {value}", str(payload.get(field)))
    for field in ("config", "state_dict"):
        if not isinstance(payload.get(field), dict):
            raise InputError(path, field, f"a dict, as {writer} writes it", repr(type(payload.get(field)).__name__))
    try:
        model = build(**payload["config"])
    except (TypeError, ValueError) as exc:
        raise InputError(path, "config", f"the settings {writer} writes", str(exc)) from exc
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as exc:  # missing, unexpected or mis-shaped tensors
        first_lines = " ".join(line.strip() for line in str(exc).splitlines()[:2])
        raise InputError(path, "state_dict", "weights that fit the model its config builds", first_lines) from exc
    model.history = list(payload.get("history", []))
    return model.eval()


def trained_once(kind: str, config: dict, code: tuple, train: Callable[[Path], tuple],
                 save: Callable, load: Callable[[Path], torch.nn.Module]) -> torch.nn.Module:
    """A phase-1 product (the autoencoder, the vocoder) from the cache, trained first if it is not there.

    It trains on every CPU core this process may use (`parallel.usable_cores`), whichever process asks first (a
    worker of `parallel.map_in_workers` has fewer threads), so every caller on a machine gets the same network.
    Keyed by `config`, where it trains (`compute_context`) and the source of the modules `code`. train(resume)
    -> (model, history) resumes an interrupted training from the checkpoint `resume` in the cache directory;
    save(model, path, history=) writes the product, load(path) reads it.
    """
    threads = parallel.usable_cores()
    config = dict(config, compute=compute_context(threads=threads))
    resume = cache.resume_path(kind, config, code)

    def build_product(path: Path) -> None:
        with torch_threads(threads):
            model, history = train(resume)
        save(model, path, history=history)
        resume.unlink(missing_ok=True)

    return load(cache.cached(kind, config, build_product, suffix=".pt", code=code))
