"""scripts/bench_table.py: the tables of a bench JSON, with one participant at its top level or several."""
import json
from pathlib import Path

from script_loading import load_script

COMMITTED = Path(__file__).resolve().parents[1] / "figures" / "bench_standard.json"
PER_PARTICIPANT = ("data", "methods", "margins", "ceilings")


def printed(capsys, bench: dict, tmp_path) -> str:
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(bench))
    load_script("bench_table").main(str(path))
    return capsys.readouterr().out


def test_margins_are_printed_beside_the_seed_spread_and_nothing_is_judged(capsys, tmp_path):
    bench = json.loads(COMMITTED.read_text())
    out = printed(capsys, bench, tmp_path)
    for name, by_metric in bench["margins"].items():
        for metric, m in by_metric.items():
            beyond = "yes" if m["margin"] > m["spread"] else "no"
            assert f"| {name} | {metric} | {m['margin']:+.3f} | {m['spread']:.3f} | {beyond} |" in out
    assert "target" not in out.lower() and "steal" not in out


def test_several_participants_get_a_section_each(capsys, tmp_path):
    old = json.loads(COMMITTED.read_text())
    one = printed(capsys, old, tmp_path)
    shared = {k: v for k, v in old.items() if k not in PER_PARTICIPANT}
    second = {k: old[k] for k in PER_PARTICIPANT}
    second["methods"] = {name: method for name, method in old["methods"].items() if name != "scratch"}
    second["margins"] = {name: margin for name, margin in old["margins"].items() if name != "scratch"}
    participants = [dict({k: old[k] for k in PER_PARTICIPANT}, name="sim", task="listening"),
                    dict(second, name="p2.h5", task="speaking")]
    out = printed(capsys, dict(shared, participants=participants), tmp_path)
    first, rest = out.split("### Participant p2.h5 (speaking)")
    assert "### Participant sim (listening)" in first
    rows = [line for line in one.splitlines() if line.startswith("| scratch |")]
    assert rows and all(row in first for row in rows) and not any(row in rest for row in rows)
