"""The set-up script and the descriptions of the environment: pyproject.toml, constraints.txt, environment.yml,
binder/ and run.sh agree, run.sh picks the right torch build, and `bash run.sh lab` serves the notebooks."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip())[0].lower().replace("_", "-")


def _pins(lines) -> dict:
    pins = {}
    for line in lines:
        line = line.strip()
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pins[_name(name)] = version.strip()
    return pins


def _environment_pip_lines() -> list:
    lines, in_pip = [], False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.strip() == "- pip:":
            in_pip = True
        elif in_pip and line.strip().startswith("- "):
            lines.append(line.strip()[2:].split(" #")[0].strip())
    return lines


def test_conda_and_binder_install_every_dependency_at_the_constraints_pin_and_torch_from_the_cpu_index():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    dependencies = {_name(d) for d in project["dependencies"] + project["optional-dependencies"]["test"]}
    constraints = _pins((ROOT / "constraints.txt").read_text().splitlines())
    assert dependencies <= set(constraints), f"constraints.txt lacks {sorted(dependencies - set(constraints))}"
    binder_lines = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    for where, lines in [("environment.yml", _environment_pip_lines()), ("binder/requirements.txt", binder_lines)]:
        pins = _pins(lines)
        assert set(pins) == dependencies, f"{where}: missing {sorted(dependencies - set(pins))}, " \
                                          f"not a dependency {sorted(set(pins) - dependencies)}"
        assert {n: constraints[n] for n in pins} == pins, f"{where} pins another version than constraints.txt"
        # a Binder image has no GPU; without the index pip would install PyPI's CUDA build of torch (GBs)
        assert f"--extra-index-url {CPU_INDEX}" in lines, where


def test_system_packages_agree_between_run_script_and_binder():
    listed = re.search(r'SYSTEM_PACKAGES="([^"]+)"', (ROOT / "run.sh").read_text()).group(1).split()
    apt = [line.strip() for line in (ROOT / "binder" / "apt.txt").read_text().splitlines() if line.strip()]
    assert sorted(listed) == sorted(apt)


def _run_sourced(tmp_path, script: str, env: dict, **kwargs) -> subprocess.CompletedProcess:
    """`script` in bash after sourcing run.sh (which then only defines its functions)."""
    return subprocess.run(["bash", "-c", f"source '{ROOT / 'run.sh'}' && {script}"], env=env, text=True,
                          capture_output=True, **kwargs)


def _torch_index(tmp_path, env: dict, gpu: bool) -> str:
    """What run.sh's torch_index prints with `env` set and PATH holding an nvidia-smi that finds a GPU or not."""
    fake = tmp_path / "nvidia-smi"
    fake.write_text(f"#!/bin/sh\n{'echo GPU 0: fake' if gpu else 'echo NVIDIA-SMI has failed >&2; exit 9'}\n")
    fake.chmod(0o755)
    done = _run_sourced(tmp_path, "torch_index", {"PATH": f"{tmp_path}:/usr/bin:/bin", **env}, check=True)
    return done.stdout.strip()


def test_run_script_takes_the_cpu_build_of_torch_unless_a_gpu_is_found(tmp_path):
    assert _torch_index(tmp_path, {}, gpu=False) == CPU_INDEX
    assert _torch_index(tmp_path, {}, gpu=True) == ""                       # PyPI's CUDA build
    assert _torch_index(tmp_path, {"N2S_TORCH_INDEX": "https://example.org/cu128"}, gpu=False) \
        == "https://example.org/cu128"
    assert _torch_index(tmp_path, {"N2S_TORCH_INDEX": ""}, gpu=False) == ""


# main() with the set-up steps stubbed out: this process's environment is already set up
STUBBED_MAIN = "install_system_packages() { :; }; setup_venv() { :; }; main"


def test_an_unknown_job_prints_the_usage_with_every_job():
    done = _run_sourced(None, f"{STUBBED_MAIN} no-such-job", {"PATH": "/usr/bin:/bin"})
    assert done.returncode == 2
    assert re.search(r"usage: bash run.sh \[test\|lab\|figures\|setup\]", done.stderr), done.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def test_the_lab_job_serves_the_notebooks_in_jupyterlab(tmp_path):
    """`bash run.sh lab --no-browser ...` starts JupyterLab on notebooks/; stopped as soon as it answers."""
    port, token = _free_port(), "n2s-test-token"
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path),
           "N2S_CACHE": str(tmp_path / "cache")}
    arguments = f"--no-browser --ip=127.0.0.1 --port={port} --port-retries=0 --IdentityProvider.token={token}"
    server = subprocess.Popen(["bash", "-c", f"source '{ROOT / 'run.sh'}' && {STUBBED_MAIN} lab {arguments}"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60  # a loaded 2-core machine starts it in a few seconds
        while True:
            assert server.poll() is None, f"jupyter lab exited: {server.stderr.read().decode()[-2000:]}"
            try:
                status, body = _get(f"http://127.0.0.1:{port}/api/contents?token={token}")
                break
            except OSError:
                assert time.monotonic() < deadline, "jupyter lab did not answer within 60 s"
                time.sleep(0.5)
        listed = {item["name"] for item in json.loads(body)["content"]}
        assert {p.name for p in (ROOT / "notebooks").glob("*.ipynb")} <= listed  # rooted at notebooks/
        assert _get(f"http://127.0.0.1:{port}/lab?token={token}")[0] == 200     # the JupyterLab app itself
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:  # it did not stop on SIGTERM
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
