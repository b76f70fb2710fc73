"""scripts/training_fingerprint.py: prints the machine's kernels, processor and training fingerprint."""
import json

from script_loading import load_script

from n2s_lite import machine


def test_prints_one_json_line_with_the_fingerprint_of_the_given_steps_and_threads(capsys):
    script = load_script("training_fingerprint")
    assert script.main(["--steps", "2", "--threads", "1"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["cpu_capability"] == machine.cpu_capability() and printed["cpu"] == machine.cpu_model()
    fingerprint = machine.training_fingerprint(steps=2, threads=1)
    assert printed["threads"] == 1 and printed["steps"] == 2
    assert printed["weights_sha256"] == fingerprint["weights_sha256"] and printed["loss"] == fingerprint["loss"]
