"""scripts/training_fingerprint.py: a short seeded training run whose weight hash identifies the CPU kernels."""
import importlib.util
import json
from pathlib import Path

import torch

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "training_fingerprint.py"


def test_the_same_machine_and_threads_give_the_same_hash_and_another_seed_another(capsys):
    threads_before = torch.get_num_threads()
    spec = importlib.util.spec_from_file_location("training_fingerprint", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(["--steps", "2", "--threads", "1"]) == 0
    printed = json.loads(capsys.readouterr().out)
    again = script.fingerprint(steps=2, threads=1)
    assert printed == again and printed["threads"] == 1 and len(printed["weights_sha256"]) == 16
    assert script.fingerprint(steps=2, threads=1, seed=1)["weights_sha256"] != printed["weights_sha256"]
    assert torch.get_num_threads() == threads_before  # the caller's thread count is left as it was
