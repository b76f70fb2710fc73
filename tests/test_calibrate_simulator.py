"""scripts/calibrate_simulator.py: the calibration measurements of a short simulated participant."""
import json

import numpy as np
from phase2_fakes import write_tone_corpus
from script_loading import load_script


def test_a_participant_is_measured_at_the_snr_asked_for(tmp_path, capsys):
    script = load_script("calibrate_simulator")
    corpus = write_tone_corpus(tmp_path, 120)
    script.main(["--seeds", "0", "--minutes", "3", "--corpus", corpus, "--snr", "0.0375"])
    report = json.loads(capsys.readouterr().out)
    assert report["settings"]["snr"] == 0.0375 and [run["seed"] for run in report["seeds"]] == [0]
    decoding, encoding = report["seeds"][0]["decoding"], report["seeds"][0]["encoding"]
    assert -1 <= decoding["spectrogram_correlation"]["mean"] <= 1 and encoding["n_responsive"] > 0
    assert np.isfinite(report["summary"]["encoding_responsive_median"])
