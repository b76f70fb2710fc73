"""n2s_lite.cohort: brains drawn within the calibrated ranges, one file per participant, listening or speaking."""
import numpy as np
import pytest

from n2s_lite import cohort, io
from n2s_lite.cli import main
from n2s_lite.errors import InputError
from n2s_lite.methods import settings


def test_draws_stay_in_their_ranges_and_differ_between_participants():
    draws = [cohort.draw(seed) for seed in range(40)]
    assert draws[3] == cohort.draw(3)  # a participant is its seed, whatever cohort holds it
    for name, (low, high) in dict(responsive_fraction=cohort.RESPONSIVE_FRACTION, snr=cohort.SNR,
                                  bad_fraction=cohort.BAD_FRACTION).items():
        values = np.array([d[name] for d in draws])
        assert values.min() >= low - 1e-3 and values.max() <= high + 1e-3
        assert values.std() > 0.2 * (high - low) / np.sqrt(12)  # spread over the range, not one value
    origins = np.array([d["grid_origin_mm"] for d in draws])
    assert np.all(np.abs(origins) <= 4.0) and origins.std(axis=0).min() > 1.0
    snr = np.log([d["snr"] for d in draws])  # log-uniform: about as many below the geometric centre as above
    assert 10 <= np.sum(snr < np.mean(np.log(cohort.SNR))) <= 30


@pytest.mark.parametrize("task", ["listening", "speaking"])
def test_each_participant_is_its_own_file_with_its_draws(tmp_path, capsys, task):
    if task == "listening":  # through the command line
        command = ["simulate", "--participants", "1", "--seed", "4", "--profile", "smoke", "--out", str(tmp_path)]
        assert main(command) == 0
        assert "sim-004.h5" in capsys.readouterr().out
        paths = [tmp_path / "sim-004.h5"]
    else:
        paths = cohort.simulate_cohort(1, task, "smoke", tmp_path, seed=4)
    assert [p.name for p in paths] == ["sim-004.h5"]
    rec = io.load(paths[0])
    drawn = cohort.draw(4)
    assert rec.task == task and rec.metadata["seed"] == 4
    assert rec.n_electrodes == settings("smoke")["n_electrodes"]
    for key in ("snr", "responsive_fraction", "bad_fraction"):
        assert rec.metadata[key] == pytest.approx(drawn[key])
    assert tuple(rec.metadata["grid_origin_mm"]) == pytest.approx(drawn["grid_origin_mm"])
    assert int(rec.electrodes["bad"].sum()) == round(drawn["bad_fraction"] * rec.n_electrodes)


def test_existing_files_are_refused_before_anything_is_simulated(tmp_path):
    (tmp_path / "sim-001.h5").write_bytes(b"user data")
    with pytest.raises(FileExistsError):
        cohort.simulate_cohort(2, "listening", "smoke", tmp_path, seed=0)
    assert not (tmp_path / "sim-000.h5").exists() and (tmp_path / "sim-001.h5").read_bytes() == b"user data"


@pytest.mark.parametrize("n, task, field", [(0, "listening", "n"), (1, "reading", "task")])
def test_bad_requests_are_input_errors(tmp_path, n, task, field):
    with pytest.raises(InputError) as error:
        cohort.simulate_cohort(n, task, "smoke", tmp_path)
    assert error.value.field == field


def test_cli_participants_refuses_settings_the_cohort_draws(tmp_path, capsys):
    assert main(["simulate", "--participants", "2", "--snr", "0.2", "--out", str(tmp_path / "other")]) == 2
    assert "--snr" in capsys.readouterr().err and not (tmp_path / "other").exists()
