"""scripts/calibrate_simulator.py: the calibration measurements of a short simulated participant."""
import json

import numpy as np
from phase2_fakes import write_tone_corpus
from script_loading import load_script
from test_neuro import toy_corpus

from n2s_lite import neuro


def test_a_participant_is_measured_at_the_snr_asked_for(tmp_path, capsys):
    script = load_script("calibrate_simulator")
    corpus = write_tone_corpus(tmp_path, 120)
    script.main(["--seeds", "0", "--minutes", "3", "--corpus", corpus, "--snr", "0.0375"])
    report = json.loads(capsys.readouterr().out)
    assert report["settings"]["snr"] == 0.0375 and [run["seed"] for run in report["seeds"]] == [0]
    assert report["task"] == "listening"
    decoding, encoding = report["seeds"][0]["decoding"], report["seeds"][0]["encoding"]
    assert decoding["lags"] == [0, 30]  # 0-300 ms after each frame
    assert -1 <= decoding["spectrogram_correlation"]["mean"] <= 1 and encoding["n_responsive"] > 0
    assert np.isfinite(report["summary"]["encoding_responsive_median"])


def test_a_speaking_participant_is_decoded_with_the_standard_speaking_window():
    script = load_script("calibrate_simulator")
    assert script.SIMULATORS["speaking"] is neuro.simulate_speaking
    rec = neuro.simulate_speaking(toy_corpus(40), minutes=1.0, n_electrodes=16, seed=1)
    decoding = script.decoding_scores(rec)
    assert decoding["lags"] == [-30, 10]  # 300 ms before to 100 ms after each frame, whatever lags.py says
    assert -1 <= decoding["spectrogram_correlation"]["mean"] <= 1
