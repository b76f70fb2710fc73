"""n2s_lite.targets: each target's verdict from a bench's results, and when it holds as stated."""
import pytest

from n2s_lite import bench, cli, targets
from n2s_lite.methods import METHODS


def _margin(margin: float, spread: float) -> dict:
    return dict(margin=margin, spread=spread, exceeds_spread=margin > spread)


def results(**changes) -> dict:
    """The results of a cold standard bench on 2 cores and 3 seeds, with `changes` on top."""
    base = dict(
        profile="standard", seeds=[0, 1, 2], machine=dict(cpu_count=2), methods={name: {} for name in METHODS},
        corpora=dict(pretrain="asterisk", stimuli="asterisk"),
        cache=dict(empty_at_start=True, built=dict(participant=1, autoencoder=1, vocoder=1, decoder=16)),
        autoencoder_resynthesis=dict(estoi=dict(mean=0.886), spectrogram_r=dict(mean=0.988)),
        margins=dict(ridge=dict(spectrogram_r=_margin(0.020, 0.009), estoi=_margin(0.149, 0.004)),
                     mlp=dict(spectrogram_r=_margin(-0.017, 0.009), estoi=_margin(0.085, 0.006)),
                     lstm_cnn=dict(spectrogram_r=_margin(0.002, 0.016), estoi=_margin(0.068, 0.017)),
                     scratch=dict(spectrogram_r=_margin(-0.019, 0.009), estoi=_margin(-0.023, 0.008)),
                     transfer_causal=dict(spectrogram_r=_margin(0.147, 0.009), estoi=_margin(0.171, 0.017))),
        phase2_alone=dict(train_seconds=137.0), stage_seconds=dict(total=2236.0, phase2_alone=140.0))
    return {**base, **changes}


def verdicts(rows: list) -> dict:
    return {row["target"]: row["met"] for row in rows}


def test_every_target_is_judged_against_its_threshold():
    rows = targets.judge(results())
    assert len(rows) == 2 + 2 * len(targets.BASELINES) + 2 and all(row["as_stated"] for row in rows)
    met = verdicts(rows)
    assert met["autoencoder resynthesis estoi >= 0.80"] and met["autoencoder resynthesis spectrogram_r >= 0.90"]
    assert met["transfer beats ridge on spectrogram_r by more than the seed spread"]
    assert not met["transfer beats lstm_cnn on spectrogram_r by more than the seed spread"]  # ahead, within the spread
    assert not met["transfer beats scratch on estoi by more than the seed spread"]
    assert not met["phase 2 alone trains in under 120 s"] and not met["the whole bench runs in under 30 min"]
    assert set(targets.BASELINES) == set(METHODS) - {"transfer", "transfer_causal"}  # the causal one is transfer's
    fast = verdicts(targets.judge(results(phase2_alone=dict(train_seconds=56.3), stage_seconds=dict(total=1202.0))))
    assert fast["phase 2 alone trains in under 120 s"] and fast["the whole bench runs in under 30 min"]
    weak = targets.judge(results(autoencoder_resynthesis=dict(estoi=dict(mean=0.79), spectrogram_r=dict(mean=0.95))))
    assert [row["met"] for row in weak[:2]] == [False, True]
    assert weak[0]["measured"] == 0.79 and weak[0]["threshold"] == 0.80 and weak[0]["kind"] == "resynthesis"


ALL_STATED = dict(resynthesis=True, margin=True, seconds=True, minutes=True)


@pytest.mark.parametrize("changes, stated", [
    (dict(profile="smoke"), dict(resynthesis=False, margin=False, seconds=False, minutes=False)),
    (dict(corpora=dict(pretrain="librispeech:/data/ls", stimuli="asterisk")),
     dict(resynthesis=False, margin=False, seconds=False, minutes=False)),
    (dict(seeds=[0, 1]), dict(ALL_STATED, margin=False, seconds=False, minutes=False)),
    (dict(seeds=[0, 1, 2, 3, 4]), dict(ALL_STATED, seconds=False, minutes=False)),  # not the bench as it comes
    (dict(methods={"transfer": {}, "ridge": {}}), dict(ALL_STATED, seconds=False, minutes=False)),
    (dict(machine=dict(cpu_count=8)), dict(ALL_STATED, seconds=False, minutes=False)),
    (dict(cache=dict(empty_at_start=False, built=dict(participant=0, autoencoder=1, vocoder=1, decoder=16))),
     dict(ALL_STATED, seconds=False, minutes=False)),
    # a JSON from before `empty_at_start`: cold if it made every kind of product and trained phase 2 itself
    (dict(cache=dict(built=dict(participant=1, autoencoder=1, vocoder=1, decoder=16))), ALL_STATED),
    (dict(cache=dict(built=dict(participant=1, autoencoder=1, vocoder=1, decoder=16)),
          stage_seconds=dict(total=1202.0, phase2_alone=26.5)),  # 137 s of training reported, 26.5 s spent: loaded
     dict(ALL_STATED, seconds=False, minutes=False)),
])
def test_a_verdict_holds_as_stated_only_under_the_conditions_of_the_target(changes, stated):
    for row in targets.judge(results(**changes)):
        assert row["as_stated"] == stated[row["kind"]], row["target"]


def test_what_the_bench_did_not_measure_has_no_verdict():
    partial = results(margins=dict(ridge=results()["margins"]["ridge"]), phase2_alone=None)
    rows = {row["target"]: row for row in targets.judge(partial)}
    assert rows["transfer beats ridge on estoi by more than the seed spread"]["met"] is True
    missing = rows["transfer beats mlp on estoi by more than the seed spread"]
    assert missing["met"] is None and missing["measured"] is None and missing["as_stated"] is None
    assert rows["phase 2 alone trains in under 120 s"]["met"] is None


def test_the_table_shows_each_kind_in_its_unit_and_blanks_what_was_not_measured():
    table = targets.markdown(targets.judge(results(phase2_alone=None))).splitlines()
    assert table[:2] == [targets.HEADING, ""]
    assert table[2] == "| target | measured | threshold | met | as stated |" and len(table) == 4 + 12
    assert "| autoencoder resynthesis estoi >= 0.80 | 0.886 | 0.800 | yes | yes |" in table
    assert "| transfer beats mlp on spectrogram_r by more than the seed spread | -0.017 | 0.009 | **no** | yes |" in table
    assert "| phase 2 alone trains in under 120 s |  | 120 s | not measured |  |" in table
    assert "| the whole bench runs in under 30 min | 37.3 min | 30 min | **no** | yes |" in table


def test_n2s_bench_prints_the_verdicts_after_writing_the_results(monkeypatch, capsys, tmp_path):
    judged = dict(results(), targets=targets.judge(results()))
    monkeypatch.setattr(bench, "run_bench", lambda **options: judged)
    assert cli.main(["bench", "--out", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert targets.HEADING in out
    assert "| phase 2 alone trains in under 120 s | 137 s | 120 s | **no** | yes |" in out
