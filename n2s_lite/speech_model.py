"""A self-supervised speech model (wav2vec 2.0, HuBERT, WavLM, ...) as a frozen feature extractor.

    model = speech_model.load("facebook/wav2vec2-base")       # or a local folder holding it
    feats = model.features(audio, layer=6)                    # (T, D) float32 at 50 Hz
    model.n_layers, model.dim                                 # 12, 768 for wav2vec2-base

`load` reads a folder saved with `save_pretrained` (config.json, the weights, preprocessor_config.json) or a
name on the Hugging Face hub, which the user's machine downloads once into its cache. Without internet it
says what to download and where to put it. Layer 0 is the transformer's input (the projected convolutional
features), layer k the output of transformer block k. Frame t of the output is centred on audio sample
320 t (t * 20 ms), the same instant as frame 2 t of the package's 100 Hz clock; long audio is processed in
chunks with context on both sides, so memory stays bounded and the result barely depends on the chunking.
`tiny_model(path)` saves a small randomly initialised Wav2Vec2Model, for tests and for trying the code
without a download.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import audio as A
from .errors import InputError, N2SError
from .utils import pick_device

DOWNLOAD_HINT = ("on a machine with internet run `hf download {name} --local-dir DIR` (package huggingface_hub; "
                 "older versions: `huggingface-cli download {name} --local-dir DIR`), copy DIR here and pass "
                 "its path as the source")


def _conv_geometry(config) -> tuple[int, int]:
    """(hop, receptive field) in samples of the convolutional feature encoder: 320 and 400 for wav2vec 2.0."""
    hop, field = 1, 1
    for kernel, stride in zip(config.conv_kernel, config.conv_stride):
        field += (kernel - 1) * hop
        hop *= stride
    return hop, field


class SpeechModel:
    """A frozen speech model in eval mode on `device`. Attributes: n_layers (transformer blocks; valid layers
    are 0..n_layers), dim (hidden size), hop (samples per output frame), frame_rate (Hz), source."""

    def __init__(self, model, do_normalize: bool, source: str, device: str = "auto"):
        self.device = pick_device(device)
        self.model = model.to(self.device).eval().requires_grad_(False)
        self.do_normalize, self.source = bool(do_normalize), str(source)
        config = model.config
        self.n_layers, self.dim = int(config.num_hidden_layers), int(config.hidden_size)
        self.hop, self.field = _conv_geometry(config)
        self.frame_rate = A.SAMPLE_RATE / self.hop

    def __repr__(self) -> str:
        return (f"SpeechModel({self.source!r}, {type(self.model).__name__}, n_layers={self.n_layers}, "
                f"dim={self.dim}, {self.frame_rate:g} Hz, {self.device})")

    def features(self, audio: np.ndarray, layer: int, chunk_s: float = 20.0, context_s: float = 1.0,
                 batch_size: int = 4) -> np.ndarray:
        """Hidden states of one layer: audio (N,) float32 at 16 kHz -> (ceil(N / hop), dim) float32.

        Audio longer than `chunk_s` is cut into chunks that each see `context_s` more on both sides;
        chunks of equal length run `batch_size` at a time.
        """
        return self.layers(audio, [layer], chunk_s, context_s, batch_size)[0]

    def layers(self, audio: np.ndarray, layers, chunk_s: float = 20.0, context_s: float = 1.0,
               batch_size: int = 4) -> list[np.ndarray]:
        """`features` of several layers from one pass: a list of (T, dim) float32 arrays, in the order asked."""
        import torch

        audio = self._check(audio, layers)
        n_frames = -(-len(audio) // self.hop)
        if self.do_normalize and len(audio):  # what the model's feature extractor does, over the whole signal
            audio = (audio - audio.mean()) / np.sqrt(audio.var() + 1e-7)
        half = self.field // 2  # frame t then covers padded[hop t : hop t + field], centred on sample hop t
        padded = np.concatenate([np.zeros(half, np.float32), audio, np.zeros(self.field, np.float32)])
        chunk, context = max(1, int(chunk_s * self.frame_rate)), max(0, int(context_s * self.frame_rate))
        jobs = []  # (first output frame, last + 1, first frame computed, last computed + 1)
        for first in range(0, n_frames, chunk):
            last = min(n_frames, first + chunk)
            jobs.append((first, last, max(0, first - context), min(n_frames, last + context)))
        out = [np.zeros((n_frames, self.dim), np.float32) for _ in layers]
        by_length = {}
        for job in jobs:
            by_length.setdefault(job[3] - job[2], []).append(job)
        with torch.inference_mode():
            for length, group in by_length.items():
                for start in range(0, len(group), batch_size):
                    batch = group[start:start + batch_size]
                    segments = np.stack([padded[self.hop * lo:self.hop * (hi - 1) + self.field]
                                         for _, _, lo, hi in batch])
                    hidden = self.model(torch.from_numpy(segments).to(self.device), output_hidden_states=True
                                        ).hidden_states
                    for k, layer in enumerate(layers):
                        states = hidden[layer].float().cpu().numpy()
                        for row, (first, last, lo, _) in enumerate(batch):
                            out[k][first:last] = states[row, first - lo:last - lo]
        return out

    def _check(self, audio, layers) -> np.ndarray:
        audio = np.asarray(audio)
        if audio.ndim != 1 or not np.issubdtype(audio.dtype, np.floating):
            raise InputError("<audio>", "audio", f"mono float samples (N,) at {A.SAMPLE_RATE} Hz",
                             f"{audio.dtype} array of shape {audio.shape}")
        for layer in layers:
            if not 0 <= int(layer) <= self.n_layers:
                raise InputError(self.source, "layer", f"an integer in 0..{self.n_layers}", repr(layer))
        return audio.astype(np.float32)


def load(source, local_files_only: bool | None = None, device: str = "auto") -> SpeechModel:
    """A frozen SpeechModel from a folder saved with `save_pretrained`, or a hub name (e.g.
    "facebook/wav2vec2-base"), which is downloaded unless `local_files_only` (default: only for folders).
    Raises InputError for a folder that holds no model, N2SError saying what to download when offline."""
    from transformers import AutoConfig, AutoFeatureExtractor, AutoModel

    source = str(source)
    folder = Path(source).expanduser()
    is_folder = folder.is_dir()
    if is_folder:
        if not (folder / "config.json").is_file():
            raise InputError(folder, "config.json", "a speech model folder saved with save_pretrained "
                             "(config.json, model weights, preprocessor_config.json)", "no config.json")
        source = str(folder)
    elif any(sep in source for sep in ("./", "~")) or source.startswith("/") or source.count("/") > 1:
        raise InputError(source, "source", "an existing folder or a hub name such as facebook/wav2vec2-base",
                         "no such folder")
    local_only = is_folder if local_files_only is None else bool(local_files_only)
    try:
        config = AutoConfig.from_pretrained(source, local_files_only=local_only)
        model = AutoModel.from_pretrained(source, local_files_only=local_only)
        try:
            do_normalize = getattr(AutoFeatureExtractor.from_pretrained(source, local_files_only=local_only),
                                   "do_normalize", True)
        except (OSError, ValueError):  # no preprocessor_config.json: wav2vec 2.0's default, normalised input
            do_normalize = True
    except OSError as error:
        if is_folder:
            raise InputError(folder, "model weights", "a model saved with save_pretrained",
                             f"{type(error).__name__}: {error}") from error
        raise N2SError(f"speech model {source!r} could not be loaded ({type(error).__name__}: "
                       f"{str(error).splitlines()[0] if str(error) else ''}); " + DOWNLOAD_HINT.format(name=source)
                       ) from error
    if not hasattr(config, "conv_stride") or not hasattr(model.config, "num_hidden_layers"):
        raise InputError(source, "config", "a speech model with a convolutional feature encoder "
                         "(wav2vec 2.0, HuBERT, WavLM, data2vec-audio)", type(config).__name__)
    return SpeechModel(model, do_normalize, source, device)


def tiny_model(path, seed: int = 0, n_layers: int = 2, dim: int = 32) -> Path:
    """Save a small randomly initialised Wav2Vec2Model (+ feature extractor config) into the new or empty
    folder `path`; returns it. Same frame geometry as wav2vec 2.0 (hop 320 samples), untrained weights."""
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    path = Path(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise FileExistsError(f"{path}: exists and is not an empty folder; refusing to write a model there")
    torch.manual_seed(seed)
    config = Wav2Vec2Config(hidden_size=dim, num_hidden_layers=n_layers, num_attention_heads=2,
                            intermediate_size=2 * dim, conv_dim=(16,) * 7, num_conv_pos_embeddings=16,
                            num_conv_pos_embedding_groups=2, vocab_size=8)
    Wav2Vec2Model(config).save_pretrained(path)
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=A.SAMPLE_RATE, padding_value=0.0, do_normalize=True,
                             return_attention_mask=False).save_pretrained(path)
    return path
