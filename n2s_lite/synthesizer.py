"""Differentiable formant speech synthesizer (after Chen et al. 2024, Nature Machine Intelligence).

Voiced harmonics of a time-varying f0 and unvoiced noise are each shaped by formant resonances (frequency,
bandwidth, amplitude), mixed by a voicing weight and scaled by loudness. As in magenta/ddsp, the controls
step (`FormantSynthesizer.get_controls`: unconstrained network outputs -> valid physical ranges, see
`n2s_lite.synth.controls` for every range) is separate from the signal step (`get_signal`: controls ->
audio). Shapes are [batch, time, channels] at the 100 Hz frame clock.

    from n2s_lite import synthesizer as S
    synth = S.FormantSynthesizer(n_formants=6)
    controls = synth.get_controls(raw)        # raw: (B, T, synth.n_raw)
    wave = synth.get_signal(controls)         # (B, T * 160)
    mel = synth.render_mel(controls)          # (B, T, 80) dB, as audio.log_mel
    result = S.fit_to_speech(wave_np)         # analysis by synthesis
    decoder = S.SynthesizerDecoder(latent_dim=16)

The implementation lives in the `n2s_lite.synth` subpackage; this module is its public face.
"""
from .synth.controls import CONTROL_NAMES
from .synth.core import FormantSynthesizer
from .synth.decoder import SynthesizerDecoder
from .synth.fit import FitResult, fit_to_speech, initial_controls
from .synth.melspec import torch_log_mel

__all__ = ["CONTROL_NAMES", "FormantSynthesizer", "SynthesizerDecoder", "FitResult", "fit_to_speech",
           "initial_controls", "torch_log_mel"]
