"""The simulator's speaking participant (neuro.simulate_speaking), the cohort keywords of the simulator, and
scripts/lag_windows.py."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from script_loading import load_script
from test_neuro import toy_corpus

from n2s_lite import audio as A
from n2s_lite import io, neuro
from n2s_lite.errors import InputError
from n2s_lite.lags import LagWindow
from n2s_lite.neuro import articulation

LISTENING, ONSET, SUSTAINED = 1, 2, 3


@pytest.fixture(scope="module")
def corpus():
    return toy_corpus()


@pytest.fixture(scope="module")
def speaking(corpus):
    return neuro.simulate_speaking(corpus, minutes=1.0, n_electrodes=64, seed=3)


def peak_lag_ms(activity: np.ndarray, sound: np.ndarray, max_frames: int = 40) -> float:
    """Lag (ms) of the peak correlation of activity (T,) with sound (T,): activity time minus sound time, so
    negative when the activity comes first."""
    a, s = ((x - x.mean()) / x.std() for x in (activity, sound))
    lags = np.arange(-max_frames, max_frames + 1)
    # activity at t against the sound at t - lag
    scores = [np.mean(a[max(0, lag):len(a) + min(0, lag)] * s[max(0, -lag):len(s) - max(0, lag)]) for lag in lags]
    return float(lags[int(np.argmax(scores))] * 1000.0 / A.FRAME_RATE)


def test_articulatory_high_gamma_leads_the_sound_and_auditory_follows_it(speaking):
    loudness = A.log_mel(speaking.audio)[:len(speaking.high_gamma)].mean(axis=1)
    code, good = speaking.ground_truth["type_code"], ~speaking.electrodes["bad"].to_numpy()
    motor = (code == articulation.ARTICULATORY_CODE) & good
    auditory = (code > 0) & (code != articulation.ARTICULATORY_CODE) & good
    assert motor.sum() >= 3 and auditory.sum() >= 3
    lead = peak_lag_ms(speaking.high_gamma[:, motor].mean(axis=1), loudness)
    follow = peak_lag_ms(speaking.high_gamma[:, auditory].mean(axis=1), loudness)
    assert -300 <= lead <= -50 and follow > 0


def test_a_speaking_recording_with_sites_where_the_model_puts_them(speaking, corpus, tmp_path):
    assert speaking.task == "speaking" and speaking.metadata["simulator"] == "n2s_lite.neuro.simulate_speaking"
    truth = neuro.tuning_table(speaking)
    y = truth["y"].to_numpy()
    motor = truth["response_type"] == "articulatory"
    assert (y[motor] >= articulation.SYLVIAN_MM).all()
    assert (y[(truth["type_code"] > 0) & ~motor] < articulation.SYLVIAN_MM).all()
    lead = truth.loc[motor, "lead_ms"]
    assert lead.between(*articulation.LEAD_RANGE_MS).all() and lead.std() > 10  # drawn per site
    io.save(speaking, tmp_path / "speaking.h5")
    assert io.load(tmp_path / "speaking.h5").task == "speaking"


def test_same_seed_same_speaker_and_the_listener_of_that_seed_hears_the_same_session(corpus):
    first = neuro.simulate_speaking(corpus, minutes=0.5, n_electrodes=24, seed=5)
    again = neuro.simulate_speaking(corpus, minutes=0.5, n_electrodes=24, seed=5)
    np.testing.assert_array_equal(first.high_gamma, again.high_gamma)
    listening = neuro.simulate_listening(corpus, minutes=0.5, n_electrodes=24, seed=5)
    np.testing.assert_array_equal(first.audio, listening.audio)
    assert first.trials.equals(listening.trials) and listening.task == "listening"
    assert not np.array_equal(first.high_gamma, listening.high_gamma)


def test_the_default_listening_participant_is_the_one_before_the_cohort_keywords(corpus):
    """Recorded from the simulator before responsive_fraction, bad_fraction and grid_origin_mm existed (0e0439e~1)."""
    rec = neuro.simulate_listening(toy_corpus(20), minutes=0.5, n_electrodes=24, seed=5)
    digest = hashlib.sha256()
    for exact in (rec.audio, rec.ground_truth["type_code"], rec.electrodes["bad"].to_numpy(),
                  rec.trials["start"].to_numpy()):
        digest.update(np.ascontiguousarray(exact).tobytes())
    assert digest.hexdigest()[:16] == "0ae6a9d10afd9e03"
    np.testing.assert_allclose(rec.high_gamma[::401, ::5][:8].ravel()[:6],
                               [0.5594431, -1.1007607, -0.3512443, 0.1348709, -0.8382691, -0.1161979], atol=1e-5)
    np.testing.assert_allclose(rec.ground_truth["clean_response"][300:1800:250, 3:24:4].ravel()[:6],
                               [0.0, -0.7050795, 0.0, -1.656456, 0.0, -1.9361582], atol=1e-5)


def test_the_cohort_keywords_move_what_they_say(corpus):
    small = dict(minutes=0.3, n_electrodes=64, seed=2)
    base = neuro.simulate_listening(corpus, **small)
    more = neuro.simulate_listening(corpus, responsive_fraction=0.5, bad_fraction=0.2, **small)
    assert (base.ground_truth["type_code"] > 0).sum() == 16 and (more.ground_truth["type_code"] > 0).sum() == 32
    assert base.electrodes["bad"].sum() == 3 and more.electrodes["bad"].sum() == 13
    assert more.metadata["responsive_fraction"] == 0.5 and more.metadata["bad_fraction"] == 0.2
    # anterior along STG: sustained sites gain, onset sites lose; the same brain otherwise
    anterior = neuro.simulate_listening(corpus, grid_origin_mm=(28.0, 0.0), **small).ground_truth["type_code"]
    before = base.ground_truth["type_code"]
    assert (anterior == SUSTAINED).sum() > (before == SUSTAINED).sum()
    assert (anterior == ONSET).sum() < (before == ONSET).sum()
    # dorsally by 16 mm: the top four rows are off the speech cortex and none of them responds
    dorsal = neuro.simulate_listening(corpus, grid_origin_mm=(0.0, 16.0), **small)
    off = dorsal.electrodes["y"].to_numpy() + 16.0 > neuro.grid.SPEECH_CORTEX_Y_MM[1]
    assert off.sum() == 32 and (dorsal.ground_truth["type_code"][off] == 0).all()
    # speaking, a grid placed more dorsally lies more over sensorimotor cortex: more articulatory sites
    shares = []
    for y in (-8.0, 0.0):
        code = neuro.simulate_speaking(corpus, grid_origin_mm=(0.0, y), **small).ground_truth["type_code"]
        shares.append(np.mean(code[code > 0] == articulation.ARTICULATORY_CODE))
    assert shares[0] < shares[1]
    with pytest.raises(InputError, match="responsive_fraction"):
        neuro.simulate_speaking(corpus, responsive_fraction=0.0, **small)
    with pytest.raises(InputError, match="grid_origin_mm"):
        neuro.simulate_listening(corpus, grid_origin_mm=(0.0, np.nan), **small)


def test_lag_windows_script_sweeps_and_compares_the_windows(corpus, tmp_path, capsys):
    script = load_script("lag_windows")
    path = tmp_path / "speaker.h5"
    io.save(neuro.simulate_speaking(corpus, minutes=1.0, n_electrodes=8, seed=1), path)
    sweep = script.main(["--recording", str(path), "--sweep"])
    windows = [row["window_ms"] for row in sweep["sweep"]]
    assert windows[0] == [-500, -100] and windows[-1] == [0, 400] and all(b - a == 400 for a, b in windows)
    assert all(-1 <= row["val_spectrogram_r"] <= 1 for row in sweep["sweep"])
    capsys.readouterr()
    out = tmp_path / "lag.json"
    script.main(["--recording", str(path), "--methods", "ridge", "--jobs", "1", "--out", str(out)])
    report = json.loads(out.read_text())
    ridge = report["results"]["ridge"]
    speaking, listening = (LagWindow.for_task(task).first_ms for task in ("speaking", "listening"))
    assert ridge["speaking"]["window"]["first_ms"] == speaking and ridge["listening"]["window"]["first_ms"] == listening
    gain = ridge["speaking"]["spectrogram_r"] - ridge["listening"]["spectrogram_r"]
    assert ridge["speaking_minus_listening"]["spectrogram_r"] == pytest.approx(gain)
    assert report["improved"]["ridge"]["spectrogram_r"] == (gain > 0)
    assert "| ridge |" in capsys.readouterr().out
    with pytest.raises(FileExistsError):  # an existing result is refused before anything runs
        script.main(["--recording", str(path), "--methods", "ridge", "--out", str(out)])
