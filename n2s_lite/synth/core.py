"""The formant synthesizer: `get_controls` (raw -> physical parameters) and `get_signal` (parameters -> audio)."""
from __future__ import annotations

import torch

from .. import audio as A
from ..errors import InputError
from . import controls as C
from .melspec import torch_log_mel
from .render import harmonic_source, resonances, shape_and_mix, upsample_linear


class FormantSynthesizer:
    """Voiced harmonics + unvoiced noise, each shaped by formant resonances, mixed by voicing, scaled by loudness.

    speech = loudness * (voicing * H_voiced * harmonics + (1 - voicing) * H_unvoiced * noise), where
    H_voiced sums K resonances with `formant_amp` and H_unvoiced sums the same K resonances with
    `unvoiced_formant_amp` plus M free noise bands (Chen et al. 2024). Amplitudes are relative: both
    sources and both envelopes have unit RMS (envelopes over frequency), so loudness is about the output
    RMS (exactly so for voicing 0 or 1). The synthesizer has no weights; tensors may live on any device.

    Args:
        n_formants: K, 1 to 6 formants.
        n_harmonics: upper limit on the harmonics of f0 (those at or above Nyquist are always dropped).
        sample_rate, frame_rate: audio rate and control rate in Hz; render_mel needs the package's 16000/100.
        n_noise_bands: M, extra resonances of the noise path only.
        n_fft: STFT size of the formant shaping (frequency resolution sample_rate / n_fft).
        seed: seed of the noise source when get_signal is not given one.
    """

    def __init__(self, n_formants: int = 6, n_harmonics: int = 128, sample_rate: int = A.SAMPLE_RATE,
                 frame_rate: int = A.FRAME_RATE, n_noise_bands: int = 2, n_fft: int = 512, seed: int = 0):
        if not 1 <= n_formants <= len(C.FORMANT_RANGES_HZ):
            raise InputError("FormantSynthesizer", "n_formants", f"1 to {len(C.FORMANT_RANGES_HZ)}", str(n_formants))
        if sample_rate % frame_rate:
            raise InputError("FormantSynthesizer", "frame_rate", "a divisor of sample_rate", str(frame_rate))
        if n_fft < 2 * (sample_rate // frame_rate):
            raise InputError("FormantSynthesizer", "n_fft", "at least two hops long", str(n_fft))
        self.n_formants, self.n_harmonics, self.n_noise_bands = n_formants, n_harmonics, n_noise_bands
        self.sample_rate, self.frame_rate, self.n_fft, self.seed = sample_rate, frame_rate, n_fft, seed
        self.hop = sample_rate // frame_rate
        self.layout = C.raw_layout(n_formants, n_noise_bands)
        self.n_raw = max(s.stop for s in self.layout.values())

    def get_controls(self, raw: torch.Tensor) -> dict[str, torch.Tensor]:
        """(B, T, n_raw) unconstrained -> controls at frame rate, in the ranges documented in `synth.controls`."""
        return C.controls_from_raw(raw, self.layout)

    def get_raw(self, controls: dict[str, torch.Tensor]) -> torch.Tensor:
        """Inverse of get_controls: in-range controls -> (B, T, n_raw) raw tensor."""
        return C.raw_from_controls(controls)

    def neutral_controls(self, batch: int, n_frames: int) -> dict[str, torch.Tensor]:
        """Controls of a neutral vowel at -26 dB (schwa: formants at 500, 1500, 2500, ... Hz), constant over time."""
        k = torch.arange(self.n_formants, dtype=torch.float32)
        per_frame = {"f0_hz": torch.tensor(150.0), "loudness": torch.tensor(0.05), "voicing": torch.tensor(0.5),
                     "formant_freq_hz": 500.0 * (2 * k + 1), "formant_bw_hz": 100.0 * (k + 1),
                     "formant_amp": 10 ** (-6 * k / 20), "unvoiced_formant_amp": 0.1 * 10 ** (-6 * k / 20),
                     "noise_freq_hz": torch.linspace(2500.0, 6500.0, self.n_noise_bands),
                     "noise_bw_hz": torch.full((self.n_noise_bands,), 2000.0),
                     "noise_amp": torch.full((self.n_noise_bands,), 0.1)}
        return {name: value.expand(batch, n_frames, *value.shape).clone() for name, value in per_frame.items()}

    def get_signal(self, controls: dict[str, torch.Tensor], seed: int | None = None) -> torch.Tensor:
        """Controls with T frames -> (B, T * hop) waveform, differentiable w.r.t. every control.

        The noise source is drawn from a generator seeded with `seed` (default: self.seed): same seed, same audio.
        """
        C.check_controls(controls)
        f0 = controls["f0_hz"]
        batch, n_frames = f0.shape
        bin_hz = torch.arange(self.n_fft // 2 + 1, device=f0.device, dtype=f0.dtype) * self.sample_rate / self.n_fft
        formants = resonances(controls["formant_freq_hz"], controls["formant_bw_hz"], bin_hz)  # (B, T, F, K)
        noise_bands = resonances(controls["noise_freq_hz"], controls["noise_bw_hz"], bin_hz)  # (B, T, F, M)

        def unit_rms(envelope):  # (B, T, F) -> the same shape scaled to unit RMS over frequency
            return envelope * torch.rsqrt(envelope.pow(2).mean(-1, keepdim=True) + 1e-12)

        def envelope(shapes, amp):  # (B, T, F, K) shapes weighted by (B, T, K) amplitudes -> (B, T, F)
            return (shapes @ amp[..., None]).squeeze(-1)

        voiced_gain = (controls["loudness"] * controls["voicing"])[..., None]  # (B, T, 1)
        unvoiced_gain = (controls["loudness"] * (1 - controls["voicing"]))[..., None]
        voiced = voiced_gain * unit_rms(envelope(formants, controls["formant_amp"]))
        unvoiced = unvoiced_gain * unit_rms(envelope(formants, controls["unvoiced_formant_amp"])
                                            + envelope(noise_bands, controls["noise_amp"]))
        harmonics = harmonic_source(upsample_linear(f0, self.hop), self.sample_rate, self.n_harmonics)
        generator = torch.Generator().manual_seed(self.seed if seed is None else seed)
        noise = torch.randn(batch, n_frames * self.hop, generator=generator).to(device=f0.device, dtype=f0.dtype)
        return shape_and_mix([harmonics, noise], [voiced, unvoiced], self.n_fft, self.hop)

    def render_mel(self, controls: dict[str, torch.Tensor], seed: int | None = None) -> torch.Tensor:
        """Controls with T frames -> (B, T, 80) dB log-mel of the rendered audio (as `audio.log_mel`)."""
        if (self.sample_rate, self.frame_rate) != (A.SAMPLE_RATE, A.FRAME_RATE):
            raise InputError("FormantSynthesizer", "sample_rate/frame_rate",
                             f"{A.SAMPLE_RATE}/{A.FRAME_RATE} for the package log-mel",
                             f"{self.sample_rate}/{self.frame_rate}")
        return torch_log_mel(self.get_signal(controls, seed))
