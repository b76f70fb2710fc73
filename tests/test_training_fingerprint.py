"""scripts/training_fingerprint.py: the machine's kernels, processor and the hash of a short seeded training."""
import json

import torch
from script_loading import load_script

from n2s_lite import machine


def test_prints_the_machine_and_a_seeded_runs_hash_and_leaves_the_caller_alone(capsys):
    script = load_script("training_fingerprint")
    threads_before = torch.get_num_threads()
    torch.manual_seed(123)
    expected_draw = torch.rand(3)
    torch.manual_seed(123)
    runs = []
    for seed in (0, 0, 1):
        assert script.main(["--steps", "1", "--threads", "1", "--seed", str(seed), "--profile", "smoke"]) == 0
        runs.append(json.loads(capsys.readouterr().out))
    assert torch.equal(torch.rand(3), expected_draw) and torch.get_num_threads() == threads_before
    first, again, other_seed = runs
    assert first["cpu_capability"] == machine.cpu_capability() and first["cpu"] == machine.cpu_model()
    assert (first["profile"], first["threads"], first["steps"]) == ("smoke", 1, 1) and first["seconds"] > 0
    assert len(first["weights_sha256"]) == 16 and first["weights_sha256"] == again["weights_sha256"]
    assert other_seed["weights_sha256"] != first["weights_sha256"]
