import numpy as np
import pytest

from n2s_lite import audio as A
from n2s_lite import metrics as M
from n2s_lite.errors import InputError


def _chirp(seconds=1.0, rate=A.SAMPLE_RATE):
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * (200 + 800 * t) * t)).astype(np.float32)


def test_log_mel_shape_and_frame_clock():
    wave = _chirp(1.234)
    mel = A.log_mel(wave)
    assert mel.shape == (len(wave) // A.HOP, A.N_MELS) == (123, 80)
    assert mel.dtype == np.float32
    assert mel.min() >= 10 * np.log10(A.MEL_FLOOR) - 1e-4
    assert A.log_mel(np.zeros(1600, np.float32)).max() == pytest.approx(10 * np.log10(A.MEL_FLOOR))  # silence: floor


def test_log_mel_peak_follows_tone_frequency():
    rate = A.SAMPLE_RATE
    tone = np.sin(2 * np.pi * 1000 * np.arange(rate) / rate).astype(np.float32)
    peak_bin = A.log_mel(tone)[10:-10].mean(axis=0).argmax()
    assert abs(A.mel_centre_frequencies()[peak_bin] - 1000) < 100


def test_log_mel_rejects_stereo():
    with pytest.raises(InputError, match="wave"):
        A.log_mel(np.zeros((100, 2)))


def _voice(seconds=1.0, f0=140.0, rate=A.SAMPLE_RATE):
    """Harmonic complex with a syllable-rate envelope and a little noise: broadband like speech."""
    t = np.arange(int(seconds * rate)) / rate
    harmonics = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 40) if k * f0 < rate / 2)
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)
    noise = 0.01 * np.random.default_rng(0).standard_normal(t.size)
    return (0.2 * envelope * harmonics + noise).astype(np.float32)


def test_griffin_lim_inverts_the_mel_closely():
    wave = _voice(1.0)
    mel = A.log_mel(wave)
    rebuilt = A.griffin_lim(mel, n_iter=32)
    assert rebuilt.shape == (mel.shape[0] * A.HOP,)
    assert M.spectrogram_correlation(mel, A.log_mel(rebuilt)) > 0.9


def test_load_audio_resamples_and_mixes_down(tmp_path):
    import soundfile as sf

    rate = 44_100
    tone = np.sin(2 * np.pi * 440 * np.arange(rate) / rate)
    sf.write(tmp_path / "x.wav", np.stack([0.5 * tone, 0.1 * tone], axis=1), rate)  # louder on the left
    wave = A.load_audio(tmp_path / "x.wav")
    assert wave.dtype == np.float32 and wave.ndim == 1
    assert abs(len(wave) - A.SAMPLE_RATE) <= 1
    assert np.abs(wave[2000:-2000]).max() == pytest.approx(0.3, abs=0.01)  # the mean of the two channels
    assert abs(np.abs(np.fft.rfft(wave)).argmax() * A.SAMPLE_RATE / len(wave) - 440) <= 2  # still 440 Hz


def test_load_audio_decodes_raw_g722_as_the_asterisk_prompts_are_stored(tmp_path):
    import G722

    tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(A.SAMPLE_RATE // 2) / A.SAMPLE_RATE)
    (tmp_path / "prompt.g722").write_bytes(G722.G722(A.SAMPLE_RATE, A.G722_BITRATE).encode(
        (tone * 32767).astype(np.int16)))
    wave = A.load_audio(tmp_path / "prompt.g722")
    assert wave.dtype == np.float32 and len(wave) == len(tone)
    spectrum = np.abs(np.fft.rfft(wave))
    assert abs(np.argmax(spectrum) * A.SAMPLE_RATE / len(wave) - 440) <= 2  # the codec delays, but keeps, the tone
    assert abs(np.std(wave[800:]) / np.std(tone) - 1) < 0.1
    (tmp_path / "wav.g722").write_bytes(b"RIFF0000WAVEjunk")
    with pytest.raises(InputError, match="wav.g722.*raw G.722"):
        A.load_audio(tmp_path / "wav.g722")


def test_load_audio_names_a_corrupt_file(tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF0000WAVEjunk")
    with pytest.raises(InputError, match="broken.wav"):
        A.load_audio(bad)


@pytest.mark.parametrize("rate", [A.SAMPLE_RATE, 22_050])  # 22.05 kHz: resampled, which NaN used to crash
@pytest.mark.parametrize("bad_value", [np.nan, np.inf])
def test_load_audio_refuses_non_finite_samples_naming_the_file(tmp_path, rate, bad_value):
    import soundfile as sf

    wave = _chirp(0.2, rate)
    wave[100] = bad_value
    sf.write(tmp_path / "glitch.wav", wave, rate, subtype="FLOAT")
    with pytest.raises(InputError, match="glitch.wav") as error:
        A.load_audio(tmp_path / "glitch.wav")
    assert error.value.field == "samples" and "sample 100" in str(error.value)


def test_save_audio_refuses_to_overwrite(tmp_path):
    path = A.save_audio(tmp_path / "out.wav", _chirp(0.1))
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        A.save_audio(path, np.zeros(100, np.float32), overwrite=False)
    assert path.read_bytes() == before


def test_mel_inversion_recovers_a_non_negative_spectrum_the_filterbank_maps_back():
    wave = _voice(0.5)
    import librosa

    power = np.abs(librosa.stft(wave, n_fft=A.N_FFT, hop_length=A.HOP)) ** 2
    mel_power = A.mel_filterbank().astype(np.float64) @ power
    linear = A.mel_to_linear_power(mel_power)
    assert linear.min() >= 0
    rebuilt = A.mel_filterbank() @ linear
    relative_error = np.abs(rebuilt - mel_power).sum() / mel_power.sum()
    assert relative_error < 0.05
