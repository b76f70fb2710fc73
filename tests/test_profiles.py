"""n2s_lite.profiles: one table of every profile's settings, changed from code, the command line or workers."""
import os

import pytest

from n2s_lite import autoencoder, cli, methods, parallel, profiles, refine, vocoder


@pytest.fixture(autouse=True)
def table_restored():
    saved = profiles.snapshot()
    yield
    profiles.restore(saved)


def smoke_epochs(_task) -> int:
    """A worker task: the smoke profile's phase-2 epochs as the worker sees them."""
    return methods.settings("smoke")["training"]["max_epochs"]


def test_every_module_reads_its_section_of_the_one_table():
    for profile in profiles.PROFILES:
        row = profiles.SETTINGS[profile]
        assert set(row) == set(profiles.SECTIONS)
        assert methods.settings(profile) is row["experiment"]
        assert autoencoder.PROFILES[profile] is row["autoencoder"] and vocoder.PROFILES[profile] is row["vocoder"]
        assert refine.settings(profile) is row["refinement"]
    assert sorted(autoencoder.PROFILES) == sorted(profiles.PROFILES)


def test_a_variant_registered_by_one_module_gets_a_row_of_its_own():
    autoencoder.PROFILES["smoke-light"] = dict(autoencoder.PROFILES["smoke"], formant_weight=0.1)
    assert profiles.SETTINGS["smoke-light"] == {"autoencoder": autoencoder.PROFILES["smoke-light"]}
    assert "smoke-light" not in methods.PROFILES and "smoke-light" not in vocoder.PROFILES
    del autoencoder.PROFILES["smoke-light"]
    assert "smoke-light" not in profiles.SETTINGS


def test_apply_changes_nested_settings_and_refuses_a_typo_before_changing_anything():
    before = profiles.snapshot()
    profiles.apply("smoke", ["experiment.training.max_epochs=1", "vocoder.lr=5e-4", "experiment.adaptor.fine_tune=true",
                             "refinement.joint_epochs=0"])
    assert methods.settings("smoke")["training"]["max_epochs"] == 1 and vocoder.PROFILES["smoke"]["lr"] == 5e-4
    assert refine.settings("smoke")["joint_epochs"] == 0
    assert methods.settings("smoke")["adaptor"]["fine_tune"] is True  # a new key inside an existing section
    profiles.apply("smoke", {"autoencoder.max_utterances": None})
    assert autoencoder.PROFILES["smoke"]["max_utterances"] is None
    assert profiles.SETTINGS["standard"] == before["standard"]  # other profiles untouched
    changed = profiles.snapshot()
    for typo, message in [(["experiment.trainig.max_epochs=1"], "not a section"), (["vocodr.lr=1"], "SECTION.KEY"),
                          (["vocoder.lrr=1"], "unknown smoke vocoder setting"),
                          (["experiment.training.max_epochs"], "KEY=VALUE"), ({"autoencoder.x.y": 1}, "not a section")]:
        with pytest.raises(ValueError, match=message):
            profiles.apply("smoke", typo)
    with pytest.raises(ValueError, match="profile must be one of"):
        profiles.apply("smok", {})
    assert profiles.SETTINGS == changed


def test_values_are_parsed_by_their_look():
    assert [profiles.parse_value(v) for v in ("60", "0.5", "True", "none", "cosine")] == [60, 0.5, True, None, "cosine"]


def test_the_command_line_changes_the_settings_of_what_it_trains(monkeypatch, tmp_path):
    seen = []

    def pretrained(profile, corpus, seed):
        seen.append(dict(vocoder.PROFILES[profile]))
        raise ValueError("stop before training")

    monkeypatch.setattr(vocoder, "pretrained", pretrained)
    assert cli.main(["train-vocoder", "--set", "vocoder.max_epochs=1", "vocoder.blocks=2", "--out",
                     str(tmp_path / "v.pt")]) == 2
    assert seen[0]["max_epochs"] == 1 and seen[0]["blocks"] == 2
    assert cli.main(["train-vocoder", "--set", "vocoder.blokcs=2", "--out", str(tmp_path / "v.pt")]) == 2
    assert len(seen) == 1  # a typo stops before anything runs


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two CPU cores")
def test_workers_get_the_changed_settings():
    profiles.apply("smoke", {"experiment.training.max_epochs": 7})
    assert parallel.map_in_workers(smoke_epochs, [0, 1], jobs=2) == [7, 7]
