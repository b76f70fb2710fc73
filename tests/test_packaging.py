"""pyproject.toml, constraints.txt, environment.yml and binder/ describe the same dependencies."""
import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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


def _project_dependencies() -> set:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {_name(d) for d in project["dependencies"] + project["optional-dependencies"]["test"]}


def _environment_pip_lines() -> list:
    lines, in_pip = [], False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.strip() == "- pip:":
            in_pip = True
        elif in_pip and line.strip().startswith("- "):
            lines.append(line.strip()[2:])
    return lines


def test_every_dependency_is_pinned_in_constraints():
    constraints = _pins((ROOT / "constraints.txt").read_text().splitlines())
    missing = _project_dependencies() - set(constraints)
    assert not missing, f"constraints.txt lacks pins for {sorted(missing)}"


def test_environment_yml_matches_pyproject_and_constraints():
    constraints = _pins((ROOT / "constraints.txt").read_text().splitlines())
    env = _pins(_environment_pip_lines())
    assert set(env) == _project_dependencies()
    assert {n: constraints[n] for n in env} == env


def test_binder_requirements_match_pyproject_and_constraints():
    constraints = _pins((ROOT / "constraints.txt").read_text().splitlines())
    binder = _pins((ROOT / "binder" / "requirements.txt").read_text().splitlines())
    assert _project_dependencies() <= set(binder)
    assert {n: constraints[n] for n in binder} == binder


def test_system_packages_agree_between_run_script_and_binder():
    script = (ROOT / "run.sh").read_text()
    listed = re.search(r'SYSTEM_PACKAGES="([^"]+)"', script).group(1).split()
    apt = [l.strip() for l in (ROOT / "binder" / "apt.txt").read_text().splitlines() if l.strip()]
    assert sorted(listed) == sorted(apt)


def test_ci_calls_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash run.sh test" in readme and "bash run.sh test" in ci
    assert "bash run.sh figures" in readme


def test_build_backend_is_pinned_and_reads_the_spdx_license():
    """A floating setuptools would change the build under the pins; its table form of `license` is deprecated
    and stops building after 2027-02-18 (setuptools' own warning), the SPDX string is read from 77 on."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (backend,) = pyproject["build-system"]["requires"]
    pins = _pins([backend])
    assert list(pins) == ["setuptools"] and tuple(int(x) for x in pins["setuptools"].split(".")[:2]) >= (77, 0)
    assert isinstance(pyproject["project"]["license"], str)


CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _torch_index(tmp_path, env: dict, gpu: bool) -> str:
    """What run.sh's torch_index prints with `env` set and PATH holding an nvidia-smi that finds a GPU or not."""
    fake = tmp_path / "nvidia-smi"
    fake.write_text(f"#!/bin/sh\n{'echo GPU 0: fake' if gpu else 'echo NVIDIA-SMI has failed >&2; exit 9'}\n")
    fake.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", **env}
    done = subprocess.run(["bash", "-c", f"source '{ROOT / 'run.sh'}' && torch_index"], env=env,
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_run_script_takes_the_cpu_build_of_torch_unless_a_gpu_is_found(tmp_path):
    assert _torch_index(tmp_path, {}, gpu=False) == CPU_INDEX
    assert _torch_index(tmp_path, {}, gpu=True) == ""                       # PyPI's CUDA build
    assert _torch_index(tmp_path, {"N2S_TORCH_INDEX": "https://example.org/cu128"}, gpu=False) \
        == "https://example.org/cu128"
    assert _torch_index(tmp_path, {"N2S_TORCH_INDEX": ""}, gpu=False) == ""


def test_binder_and_conda_take_torch_from_the_cpu_index_as_the_run_script_does():
    """A Binder image has no GPU; without the index pip would install PyPI's CUDA build of torch."""
    assert f'echo "{CPU_INDEX}"' in (ROOT / "run.sh").read_text()
    assert f"--extra-index-url {CPU_INDEX}" in (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    assert f"--extra-index-url {CPU_INDEX}" in _environment_pip_lines()[0]
