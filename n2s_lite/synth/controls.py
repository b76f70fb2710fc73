"""Controls step of the formant synthesizer: unconstrained network outputs -> valid physical parameters.

Every control is a squashed function of one raw channel, so any real input (even +-1e4) lands inside its
documented range, and each map has an exact inverse (`raw_from_controls`) used to initialise fits.

Ranges (all at the 100 Hz frame rate; B = batch, T = frames, K = formants, M = noise bands):

| control              | shape     | range                                  | map from raw             |
|----------------------|-----------|----------------------------------------|--------------------------|
| f0_hz                | (B, T)    | [60, 400] Hz                           | log scale                |
| loudness             | (B, T)    | [1e-4, 1] ~ output RMS ([-80, 0] dB)   | log scale                |
| voicing              | (B, T)    | [0, 1]; 1 harmonic only, 0 noise only  | sigmoid                  |
| formant_freq_hz      | (B, T, K) | FORMANT_RANGES_HZ[k], and at least     | linear, ordered          |
|                      |           | FORMANT_GAP_HZ above formant k - 1     |                          |
| formant_bw_hz        | (B, T, K) | [40, 1000] Hz                          | log scale                |
| formant_amp          | (B, T, K) | [1e-3, 1], relative (voiced path)      | log scale ([-60, 0] dB)  |
| unvoiced_formant_amp | (B, T, K) | [1e-3, 1], relative (noise path)       | log scale                |
| noise_freq_hz        | (B, T, M) | [1000, 7800] Hz                        | linear                   |
| noise_bw_hz          | (B, T, M) | [300, 5000] Hz                         | log scale                |
| noise_amp            | (B, T, M) | [1e-3, 1], relative (noise path)       | log scale                |

FORMANT_RANGES_HZ (F1..F6): 200-1100, 600-3000, 1400-4000, 2400-5000, 3400-6000, 4400-7000 Hz.
The unvoiced path reuses the formant frequencies and bandwidths with its own amplitudes, plus M free
noise bands for frication, after the voiced/unvoiced filter structure of Chen et al. 2024.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..errors import InputError

F0_RANGE_HZ = (60.0, 400.0)
LOUDNESS_RANGE = (1e-4, 1.0)
FORMANT_BW_RANGE_HZ = (40.0, 1000.0)
AMP_RANGE = (1e-3, 1.0)
NOISE_FREQ_RANGE_HZ = (1000.0, 7800.0)
NOISE_BW_RANGE_HZ = (300.0, 5000.0)
# Allowed range of each formant; each upper bound exceeds the previous one by >= FORMANT_GAP_HZ, so the
# ordered map below always has room.
FORMANT_RANGES_HZ = ((200.0, 1100.0), (600.0, 3000.0), (1400.0, 4000.0),
                     (2400.0, 5000.0), (3400.0, 6000.0), (4400.0, 7000.0))
FORMANT_GAP_HZ = 100.0


@dataclass(frozen=True)
class LogRange:
    """value = lo * (hi / lo) ** sigmoid(raw): equal raw steps are equal ratios (dB steps for gains)."""

    lo: float
    hi: float

    def value(self, raw: torch.Tensor) -> torch.Tensor:
        return self.lo * (self.hi / self.lo) ** torch.sigmoid(raw)

    def raw(self, value: torch.Tensor) -> torch.Tensor:
        fraction = torch.log(value / self.lo) / torch.log(torch.tensor(self.hi / self.lo))
        return torch.logit(fraction.clamp(1e-6, 1 - 1e-6))


@dataclass(frozen=True)
class LinearRange:
    """value = lo + (hi - lo) * sigmoid(raw)."""

    lo: float
    hi: float

    def value(self, raw: torch.Tensor) -> torch.Tensor:
        return self.lo + (self.hi - self.lo) * torch.sigmoid(raw)

    def raw(self, value: torch.Tensor) -> torch.Tensor:
        return torch.logit(((value - self.lo) / (self.hi - self.lo)).clamp(1e-6, 1 - 1e-6))


SCALAR_MAPS = {"f0_hz": LogRange(*F0_RANGE_HZ), "loudness": LogRange(*LOUDNESS_RANGE),
               "voicing": LinearRange(0.0, 1.0)}
VECTOR_MAPS = {"formant_bw_hz": LogRange(*FORMANT_BW_RANGE_HZ), "formant_amp": LogRange(*AMP_RANGE),
               "unvoiced_formant_amp": LogRange(*AMP_RANGE), "noise_freq_hz": LinearRange(*NOISE_FREQ_RANGE_HZ),
               "noise_bw_hz": LogRange(*NOISE_BW_RANGE_HZ), "noise_amp": LogRange(*AMP_RANGE)}
CONTROL_NAMES = ("f0_hz", "loudness", "voicing", "formant_freq_hz", *VECTOR_MAPS)


def raw_layout(n_formants: int, n_noise_bands: int) -> dict[str, slice]:
    """Which raw channels drive which control: name -> slice of the last raw axis."""
    widths = {"f0_hz": 1, "loudness": 1, "voicing": 1, "formant_freq_hz": n_formants, "formant_bw_hz": n_formants,
              "formant_amp": n_formants, "unvoiced_formant_amp": n_formants, "noise_freq_hz": n_noise_bands,
              "noise_bw_hz": n_noise_bands, "noise_amp": n_noise_bands}
    layout, start = {}, 0
    for name in CONTROL_NAMES:
        layout[name] = slice(start, start + widths[name])
        start += widths[name]
    return layout


def ordered_formants(raw: torch.Tensor) -> torch.Tensor:
    """(B, T, K) raw -> (B, T, K) Hz, F(k) in FORMANT_RANGES_HZ[k] and F(k) >= F(k-1) + FORMANT_GAP_HZ."""
    freqs, previous = [], None
    for k in range(raw.shape[-1]):
        lo, hi = FORMANT_RANGES_HZ[k]
        floor = torch.full_like(raw[..., k], lo) if previous is None else (previous + FORMANT_GAP_HZ).clamp(min=lo)
        previous = floor + (hi - floor) * torch.sigmoid(raw[..., k])
        freqs.append(previous)
    return torch.stack(freqs, dim=-1)


def ordered_formants_raw(freqs: torch.Tensor) -> torch.Tensor:
    """Inverse of `ordered_formants` for (B, T, K) Hz that satisfy its constraints."""
    raws = []
    for k in range(freqs.shape[-1]):
        lo, hi = FORMANT_RANGES_HZ[k]
        floor = torch.full_like(freqs[..., k], lo) if k == 0 else (freqs[..., k - 1] + FORMANT_GAP_HZ).clamp(min=lo)
        raws.append(torch.logit(((freqs[..., k] - floor) / (hi - floor)).clamp(1e-6, 1 - 1e-6)))
    return torch.stack(raws, dim=-1)


def controls_from_raw(raw: torch.Tensor, layout: dict[str, slice]) -> dict[str, torch.Tensor]:
    """(B, T, n_raw) unconstrained tensor -> dict of controls in the ranges of the module table."""
    n_raw = max(s.stop for s in layout.values())
    if not torch.is_tensor(raw) or raw.ndim != 3 or raw.shape[-1] != n_raw:
        got = f"shape {tuple(raw.shape)}" if torch.is_tensor(raw) else type(raw).__name__
        raise InputError("<raw controls>", "raw", f"a (batch, time, {n_raw}) tensor", got)
    controls = {name: m.value(raw[..., layout[name]].squeeze(-1)) for name, m in SCALAR_MAPS.items()}
    controls["formant_freq_hz"] = ordered_formants(raw[..., layout["formant_freq_hz"]])
    controls.update({name: m.value(raw[..., layout[name]]) for name, m in VECTOR_MAPS.items()})
    return controls


def raw_from_controls(controls: dict[str, torch.Tensor]) -> torch.Tensor:
    """Inverse of `controls_from_raw`: dict of in-range controls -> (B, T, n_raw) raw tensor."""
    check_controls(controls)
    parts = {name: m.raw(controls[name]).unsqueeze(-1) for name, m in SCALAR_MAPS.items()}
    parts["formant_freq_hz"] = ordered_formants_raw(controls["formant_freq_hz"])
    parts.update({name: m.raw(controls[name]) for name, m in VECTOR_MAPS.items()})
    return torch.cat([parts[name] for name in CONTROL_NAMES], dim=-1)


def check_controls(controls: dict) -> None:
    """Raise InputError unless `controls` holds every control as a tensor."""
    missing = [name for name in CONTROL_NAMES if not torch.is_tensor(controls.get(name))]
    if missing:
        raise InputError("<controls>", ", ".join(missing), "a tensor for every control in " + ", ".join(CONTROL_NAMES),
                         "missing or not a tensor")
