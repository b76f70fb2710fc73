import json

import numpy as np
import pandas as pd
import pytest
import torch
from phase2_fakes import fake_recording, tiny_autoencoder
from script_loading import load_script

from n2s_lite import bench, cache, comparison, io, leakage, refine
from n2s_lite import vocoder as V
from n2s_lite import experiment as X
from n2s_lite.cli import main


@pytest.fixture(scope="module")
def smoke_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "results.json"
    assert main(["bench", "--profile", "smoke", "--out", str(out)]) == 0
    return json.loads(out.read_text())


@pytest.mark.slow
def test_smoke_bench_reports_every_method_seed_and_metric(smoke_results):
    r = smoke_results
    assert r["profile"] == "smoke" and r["seeds"] == list(X.PROFILES["smoke"]["seeds"])
    (p,) = r["participants"]
    assert set(p["methods"]) == set(X.METHODS)
    n_test = p["data"]["trials"]["test"]
    for name, method in p["methods"].items():
        for seed in r["seeds"]:
            run = method["seeds"][str(seed)]
            assert set(run["means"]) == set(X.METRICS)
            assert all(len(run["per_sentence"][m]) == n_test for m in X.METRICS)
            assert run["n_parameters"] > 0 and run["train_seconds"] >= 0
            assert all(-1 <= run["neural_vocoder"][m]["mean"] <= 1 and run["neural_vocoder"][m]["n"] == n_test
                       for m in ("stoi", "estoi"))  # ESTOI is a correlation: an untrained smoke decoder's can be < 0
        assert set(method["across_seeds"]) >= set(X.METRICS)
        assert set(method["across_seeds"]["neural_vocoder"]["estoi"]) == {"mean", "std", "n"}


@pytest.mark.slow
def test_smoke_bench_reports_margins_ceilings_timing_and_provenance(smoke_results):
    r = smoke_results
    (p,) = r["participants"]
    assert set(p["margins"]) == set(X.METHODS) - {"transfer"}
    assert set(p["margins"]["ridge"]) == set(bench.MARGIN_METRICS)
    assert p["ceilings"]["griffin_lim"]["spectrogram_r"]["mean"] == pytest.approx(1.0)
    assert 0 < r["autoencoder_resynthesis"]["estoi"]["n"]
    synth_only = {column for column in X.QUALITY_COLUMNS if column.startswith("synth_")}
    assert synth_only >= {"synth_stoi", "synth_estoi", "synth_f0_error_semitones", "synth_voicing_accuracy",
                          "synth_f1_error_semitones", "synth_f3_error_semitones"}
    assert set(r["autoencoder_resynthesis"]) == set(X.QUALITY_COLUMNS) - synth_only  # a mel decoder
    assert p["ceilings"]["neural_vocoder"]["spectrogram_r"]["mean"] == pytest.approx(1.0)  # the true mel, vocoded
    assert 0 < p["ceilings"]["neural_vocoder"]["estoi"]["mean"] <= 1
    assert r["vocoder"]["parameters"] > 0 and r["vocoder"]["epochs"] >= 1 and "vocoder" in r["stage_seconds"]
    assert {"autoencoder", "total"} <= set(r["stage_seconds"])
    assert r["compute"]["device"] == "cpu" and r["compute"]["torch_threads"] >= 1  # where its stages ran
    assert {"participant", "ceilings", "table_runs", "train/transfer"} <= set(p["stage_seconds"])
    assert r["machine"]["cpu_count"] >= 1 and r["versions"]["packages"]["torch"] and r["versions"]["n2s_lite"]
    assert "fingerprint" not in r["machine"]  # the bench records the machine; it trains nothing to hash it
    assert p["sentence_comparisons"] == comparison.by_sentence(p["methods"])
    assert set(p["sentence_comparisons"]) == set(X.METHODS) - {"transfer"}
    assert r["corpora"] == {"pretrain": "asterisk", "stimuli": "asterisk"}
    assert p["source"]["kind"] == "simulated" and p["task"] == "listening"
    assert p["lag_window"]["frames"] == [-10, 30] and p["lag_window"]["causal"]["frames"] == [-40, 0]
    assert p["pretraining_overlap"]["checked"] == "transcripts" and p["pretraining_overlap"]["shared"] == 0
    for name in ("transfer", "mlp"):
        assert p["methods"][name]["seeds"][str(r["seeds"][0])]["threads"] == r["schedule"]["threads_per_job"]


def _run(spectrogram_r, estoi):
    return dict(means=dict(spectrogram_r=spectrogram_r, estoi=estoi))


def test_margin_counts_as_real_only_when_it_exceeds_the_across_seed_spread():
    runs = {"transfer": {"0": _run(0.60, 0.30), "1": _run(0.62, 0.34)},
            "ridge": {"0": _run(0.50, 0.31), "1": _run(0.50, 0.33)}}
    margins = bench._margins(runs)["ridge"]
    assert margins["spectrogram_r"]["margin"] == pytest.approx(0.11)
    assert margins["spectrogram_r"]["spread"] == pytest.approx(0.02 / 2 ** 0.5)  # sample std of 0.60, 0.62
    assert margins["spectrogram_r"]["exceeds_spread"]
    assert margins["estoi"]["margin"] == pytest.approx(0.0) and not margins["estoi"]["exceeds_spread"]
    assert margins["spectrogram_r"]["paired"] == pytest.approx([0.10, 0.12])


def test_seed_spread_is_the_sample_standard_deviation_and_zero_for_one_seed():
    assert bench.seed_spread(np.array([0.60, 0.62, 0.67])) == pytest.approx(np.std([0.60, 0.62, 0.67], ddof=1))
    assert bench.seed_spread(np.array([0.60])) == 0.0
    neural = lambda value: {m: dict(mean=value) for m in ("stoi", "estoi")}
    stats = bench._across_seeds({"0": dict(means=dict.fromkeys(X.METRICS, 0.5), n_parameters=3, train_seconds=1.0,
                                           neural_vocoder=neural(0.4)),
                                 "1": dict(means=dict.fromkeys(X.METRICS, 0.7), n_parameters=3, train_seconds=3.0,
                                           neural_vocoder=neural(0.6))})
    assert stats["estoi"]["std"] == pytest.approx(0.2 / 2 ** 0.5) and stats["train_seconds"] == 2.0
    assert stats["neural_vocoder"]["estoi"] == dict(mean=pytest.approx(0.5), std=pytest.approx(0.2 / 2 ** 0.5), n=2)


def test_seed_argument_forms():
    assert bench._seeds(None, (0, 1, 2)) == [0, 1, 2]
    assert bench._seeds(2, (0, 1, 2)) == [0, 1]
    assert bench._seeds([5, 7], (0,)) == [5, 7]


def test_runs_are_scheduled_longest_first_and_a_deterministic_method_once():
    tasks = bench._tasks(("ridge", "mlp", "transfer", "scratch"), [0, 1])
    assert tasks == [("scratch", 0), ("scratch", 1), ("transfer", 0), ("transfer", 1), ("mlp", 0), ("mlp", 1),
                     ("ridge", 0)]
    runs = bench._assemble({task: dict(task=task) for task in tasks}, ("ridge", "mlp"), [0, 1])
    assert list(runs) == ["ridge", "mlp"] and runs["ridge"]["1"] is runs["ridge"]["0"]
    assert runs["mlp"]["1"]["task"] == ("mlp", 1)


def test_results_are_written_atomically_and_readably(tmp_path):
    out = bench.write_json({"value": 1.5}, tmp_path / "sub" / "r.json")
    assert json.loads(out.read_text()) == {"value": 1.5}
    assert [p.name for p in out.parent.iterdir()] == ["r.json"]


def test_bench_gives_phase_1_and_the_participant_their_own_corpora(tmp_path, fake_phase_1):
    asked = fake_phase_1
    out = tmp_path / "r.json"
    bench.run_bench("smoke", out, seeds=[0], methods=("transfer", "ridge"), jobs=1,
                    pretrain_corpus=["asterisk", "asterisk-fr"], stimulus_corpus=["tts"])
    written = json.loads(out.read_text())
    assert written["corpora"] == {"pretrain": ["asterisk", "asterisk-fr"], "stimuli": "tts"}
    assert written["participants"][0]["pretraining_overlap"]["pretrain_corpus"] == ["asterisk", "asterisk-fr"]
    assert written["seeds"] == written["settings"]["seeds"] == [0]  # the seeds that ran, not the profile's
    assert set(asked) == {("participant", "tts"), ("autoencoder", ("asterisk", "asterisk-fr")),
                          ("vocoder", ("asterisk", "asterisk-fr")), ("held-out speech", ("asterisk", "asterisk-fr")),
                          ("pretraining sentences", ("asterisk", "asterisk-fr"))}


def test_bench_says_which_products_it_made_and_which_it_loaded_from_the_cache(tmp_path, fake_phase_1):
    (tmp_path / "cache" / "decoder").mkdir(parents=True)
    (tmp_path / "cache" / "decoder" / ".half-written.pt.part").write_bytes(b"")  # not a product
    cache.resume_path("decoder", {"any": "training"}).write_bytes(b"")  # nor an interrupted training
    runs = [bench.run_bench("smoke", tmp_path / f"r{i}.json", seeds=[0, 1], methods=("transfer", "ridge"), jobs=1)
            for i in range(2)]
    # transfer seeds 0 and 1; ridge is not cached
    nothing = {"participant": 0, "autoencoder": 0, "vocoder": 0, "refined_autoencoder": 0, "decoder": 0}
    assert runs[0]["cache"]["built"] == dict(nothing, decoder=2)
    assert runs[1]["cache"]["built"] == nothing
    assert runs[1]["cache"]["directory"] == str(tmp_path / "cache")
    assert runs[0]["cache"]["empty_at_start"] and not runs[1]["cache"]["empty_at_start"]  # the first ran cold
    # the loaded network is the trained one (ESTOI's sums may differ in the last digits between processes)
    assert runs[1]["participants"][0]["methods"]["transfer"]["seeds"]["1"]["means"] == pytest.approx(
        runs[0]["participants"][0]["methods"]["transfer"]["seeds"]["1"]["means"], rel=1e-9)
    assert cache.count_products(bench.CACHED_KINDS) == dict(nothing, decoder=2)


def test_bench_compares_transfer_onto_a_brain_refined_phase_1_when_asked_for(tmp_path, fake_phase_1, monkeypatch):
    monkeypatch.setitem(refine.PROFILES, "smoke", dict(refine.PROFILES["smoke"], head_epochs=1, joint_epochs=1))
    results = bench.run_bench("smoke", tmp_path / "r.json", seeds=[0], methods=("transfer", "transfer_refined"),
                              jobs=1)
    (p,) = results["participants"]
    assert list(p["methods"]) == ["transfer", "transfer_refined"] and list(p["margins"]) == ["transfer_refined"]
    assert results["cache"]["built"]["refined_autoencoder"] == 1 and results["cache"]["built"]["decoder"] == 2
    r = {name: p["methods"][name]["across_seeds"]["spectrogram_r"]["mean"] for name in p["methods"]}
    assert np.isfinite(list(r.values())).all() and r["transfer_refined"] != r["transfer"]  # another latent


@pytest.mark.slow
def test_the_results_tables_name_every_method_margin_and_stage(smoke_results, tmp_path, capsys):
    bench_table = load_script("bench_table")
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(smoke_results))
    bench_table.main(str(path))
    out = capsys.readouterr().out
    (p,) = smoke_results["participants"]
    assert all(f"| {name} | " in out for name in p["methods"])
    assert "| ceiling: griffin_lim | | 1.000 |" in out
    assert "Training s: mean over seeds; every run in one of" in out and "Phase 2 alone" not in out
    built = smoke_results["cache"]["built"]
    assert f"Products this run made in the cache: participant {built['participant']}, " in out
    assert "| ceiling: neural_vocoder | | 1.000 |" in out
    assert "| transfer | " in out.split("vocoded by Griffin-Lim and by the neural vocoder")[1]
    assert "On held-out real speech, ESTOI through the neural vocoder: autoencoder resynthesis " in out
    margin = p["margins"]["scratch"]["estoi"]
    assert f"| scratch | estoi | {margin['margin']:+.3f} | {margin['spread']:.3f} | " in out  # the margins table
    assert "| scratch | estoi | " in out.split("Sentence by sentence")[1]  # the sentence-by-sentence table
    assert "Participant simulated: participant " in out  # its stage times
    # two participants: a heading each
    path.write_text(json.dumps(dict(smoke_results, participants=[p, dict(p, name="NY001.h5", task="speaking")])))
    bench_table.main(str(path))
    out = capsys.readouterr().out
    assert "### Participant simulated (listening)" in out and "### Participant NY001.h5 (speaking)" in out


def test_bench_refuses_an_existing_results_file_before_running_anything(tmp_path, fake_phase_1, capsys):
    out = tmp_path / "r.json"
    out.write_text("results of last week")
    with pytest.raises(FileExistsError):
        bench.run_bench("smoke", out, seeds=[0], methods=("ridge",), jobs=1)
    assert main(["bench", "--out", str(out)]) == 2
    assert "pass --overwrite" in capsys.readouterr().err
    assert fake_phase_1 == [] and out.read_text() == "results of last week"
    bench.run_bench("smoke", out, seeds=[0], methods=("ridge",), jobs=1, overwrite=True)
    assert json.loads(out.read_text())["seeds"] == [0]


@pytest.mark.parametrize("seeds", [0, -1, [], [0, -2]])
def test_bench_refuses_no_seeds_or_negative_ones(tmp_path, fake_phase_1, seeds):
    with pytest.raises(ValueError, match="seeds"):
        bench.run_bench("smoke", tmp_path / "r.json", seeds=seeds, methods=("ridge",), jobs=1)
    assert fake_phase_1 == []
