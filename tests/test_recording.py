import numpy as np
import pytest

from n2s_lite.errors import InputError
from n2s_lite.recording import Recording, electrode_table, trial_table


def _recording(frames=300, electrodes=4) -> Recording:
    rng = np.random.default_rng(0)
    return Recording(
        audio=(0.1 * rng.standard_normal(frames * 160)).astype(np.float32),
        high_gamma=rng.standard_normal((frames, electrodes)).astype(np.float32),
        electrodes=electrode_table([f"E{i}" for i in range(electrodes)], rng.random((electrodes, 2)),
                                   bad=[False] * (electrodes - 1) + [True]),
        trials=trial_table([0, 100, 200], [90, 190, 290], ["a b", "c d", "e f"], ["train", "val", "test"]),
    )


def test_valid_recording_passes_and_reports_its_shape():
    rec = _recording().validate()
    assert (rec.n_frames, rec.n_electrodes, rec.duration) == (300, 4, 3.0)
    assert rec.mel().shape == (300, 80)
    assert rec.good_electrodes().tolist() == [True, True, True, False]
    assert list(rec.trials_in("test")["text"]) == ["e f"]


@pytest.mark.parametrize("change, field", [
    (lambda r: r.replace(high_gamma=r.high_gamma[:, 0]), "high_gamma"),
    (lambda r: r.replace(high_gamma=np.where(np.eye(300, 4) > 0, np.nan, r.high_gamma)), "high_gamma"),
    (lambda r: r.replace(audio=r.audio[:-16000]), "high_gamma"),
    (lambda r: r.replace(electrodes=r.electrodes.iloc[:3]), "electrodes"),
    (lambda r: r.replace(trials=r.trials.assign(end=[90, 190, 400])), "trials"),
    (lambda r: r.replace(trials=r.trials.assign(split=["train", "dev", "test"])), "trials.split"),
    (lambda r: r.replace(trials=r.trials.assign(stimulus_id=["s1", "s2", "s1"])), "trials.stimulus_id"),
])
def test_each_broken_contract_names_its_field(change, field):
    with pytest.raises(InputError) as error:
        change(_recording()).validate(source="demo.h5")
    assert error.value.field == field and "demo.h5" in str(error.value)
