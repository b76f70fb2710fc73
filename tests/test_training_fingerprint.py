"""scripts/training_fingerprint.py: a short seeded training run whose weight hash identifies the CPU kernels."""
import json

import torch
from script_loading import load_script


def test_the_same_machine_and_threads_give_the_same_hash_and_another_seed_another(capsys):
    threads_before = torch.get_num_threads()
    script = load_script("training_fingerprint")
    assert script.main(["--steps", "2", "--threads", "1"]) == 0
    printed = json.loads(capsys.readouterr().out)
    again = script.fingerprint(steps=2, threads=1)
    assert printed == again and printed["threads"] == 1 and len(printed["weights_sha256"]) == 16
    assert script.fingerprint(steps=2, threads=1, seed=1)["weights_sha256"] != printed["weights_sha256"]
    assert torch.get_num_threads() == threads_before  # the caller's thread count is left as it was
