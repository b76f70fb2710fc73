"""workflow/Snakefile: a smoke cohort end to end on 2 cores, restarts that redo only what is missing, and the
SLURM profile resolving (a dry run: no sbatch needed)."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEFILE = ROOT / "workflow" / "Snakefile"


def snakemake(workdir: Path, config: dict, *options: str) -> subprocess.CompletedProcess:
    """Run snakemake on the repository's Snakefile with `config`, in workdir (its .snakemake/ goes there)."""
    configfile = workdir / "cohort.yaml"
    configfile.write_text(yaml.safe_dump(config))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")  # n2s, papermill
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE), "--directory", str(workdir),
               "--configfile", str(configfile), *options]
    return subprocess.run(command, capture_output=True, text=True, env=env)


def job_counts(output: str) -> dict:
    """{rule: count} from snakemake's 'Job stats' table."""
    table = output[output.index("Job stats:"):].splitlines()[3:]
    counts = (re.match(r"^(\w+)\s+(\d+)$", line.strip()) for line in table)
    return {m.group(1): int(m.group(2)) for m in counts if m and m.group(1) != "total"}


def cohort_config(tmp_path: Path, **changes) -> dict:
    return dict(dict(profile="smoke", seeds=1, task="listening", simulated=[0, 1], recordings={}, notebooks=[],
                     methods=["transfer", "ridge"],
                     out=str(tmp_path / "cohort"), cache=None), **changes)


def test_slurm_profile_resolves_with_a_gpu_for_every_training_job(tmp_path):
    recording = tmp_path / "mine.h5"
    recording.write_bytes(b"")  # a user's recording: only its path matters in a dry run
    config = cohort_config(tmp_path, recordings={"sub-01": str(recording)}, notebooks=[2, 5])
    result = snakemake(tmp_path, config, "-n", "--profile", str(ROOT / "workflow" / "profiles" / "slurm"))
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-3000:]
    assert job_counts(result.stdout) == dict(phase1=1, simulate=2, bench=3, notebooks=3, group=1, group_notebook=1,
                                             all=1)
    for rule in ("phase1", "bench", "notebooks"):
        blocks = [b for b in result.stdout.split("\nrule ")[1:] if b.startswith(f"{rule}:")]
        assert blocks and all(re.search(r"resources:.*\bgpu=1\b", b) for b in blocks), rule
    assert "--recording " + str(recording) in result.stdout  # a recording of one's own goes straight to the bench


@pytest.mark.slow
def test_two_smoke_participants_end_to_end_and_a_restart_redoes_one(tmp_path):
    config = cohort_config(tmp_path)
    result = snakemake(tmp_path, config, "--cores", "2")
    assert result.returncode == 0, result.stderr[-5000:]
    out = Path(config["out"])
    table = json.loads((out / "group" / "group.json").read_text())
    assert table["participants"] == ["sim-000.h5", "sim-001.h5"] and table["profile"] == "smoke"
    for name in table["participants"]:  # the table holds each participant's own bench numbers
        entry = json.loads((out / "bench" / f"{Path(name).stem}.json").read_text())["participants"][0]
        expected = entry["methods"]["ridge"]["across_seeds"]["spectrogram_r"]["mean"]
        assert table["values"]["ridge"]["spectrogram_r"][name] == pytest.approx(expected)
    row = table["comparisons"]["ridge"]["spectrogram_r"]
    assert row["participants"] == 2 and 0 <= row["ahead"] <= 2 and 0 < row["wilcoxon_p"] <= 1
    assert (out / "group" / "fig09_group.png").stat().st_size > 0
    results = json.loads((out / "group" / "notebook" / "results_09.json").read_text())
    assert results["results"]["participants"] == table["participants"]

    (out / "bench" / "sim-001.json").unlink()  # as a failed bench leaves it: no JSON, hence no group outputs;
    shutil.rmtree(out / "group")               # the rerun redoes that bench and the group, and nothing else
    rerun = snakemake(tmp_path, config, "-n", "--cores", "2")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert job_counts(rerun.stdout) == dict(bench=1, group=1, group_notebook=1, all=1)
