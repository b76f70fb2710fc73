"""Regenerate every figure: run the notebooks in order with papermill and write MANIFEST.json beside them.

Each notebook starts with `start_notebook(profile, seed, figures_dir, recording, corpus, settings)` (prints and
records how it runs) and ends with `save_results(number, results, run)` (its key numbers as `results_NN.json` next to its
figures). `reproduce` executes the notebooks into a directory outside the source tree, then gathers those
JSON files, the run's settings and per-notebook wall times into the manifest.

Where the figures go (`default_figures_dir`): the committed figures/ come from the standard profile, so only
a standard run of the simulated participant writes there; any other profile, or a recording file, writes to
runs/figures-PROFILE/ (runs/figures-PROFILE-NAME/ for a recording NAME; a -set suffix when settings are
changed), which git ignores.
"""
from __future__ import annotations

import hashlib
import json
import platform
import re
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from . import __version__, profiles
from .clock import StageClock
from .errors import N2SError
from .machine import describe
from .utils import atomic_path, pick_device, seed_everything

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
NOTEBOOK_NAME = re.compile(r"^(\d{2})_[A-Za-z0-9_]+\.ipynb$")
KERNEL_NAME = "python3"
MANIFEST = "MANIFEST.json"
COMMITTED_PROFILE = "standard"  # the profile the committed figures/ come from
RECORDED_PACKAGES = ("n2s-lite", "torch", "numpy", "scipy", "librosa", "pystoi", "auraloss", "pandas",
                     "matplotlib", "seaborn", "papermill", "nbclient", "ipykernel")


class NotebookFailed(N2SError, RuntimeError):
    """A notebook raised: names the notebook, the failing cell (its source, and its execution count
    `In [n]` as shown in the executed copy) and the error."""

    def __init__(self, notebook: str, exec_count: int, source: str, ename: str, evalue: str, executed: Path):
        self.notebook, self.exec_count, self.source = notebook, exec_count, source
        self.ename, self.evalue, self.executed = ename, evalue, executed
        indented = "\n".join("    " + line for line in source.splitlines())
        super().__init__(f"notebook {notebook} failed in cell In [{exec_count}]:\n{indented}\n{ename}: {evalue}\n"
                         f"(the executed copy with the full traceback is {executed})")


# ------------------------------------------------------------------------------------ inside a notebook
@dataclass(frozen=True)
class NotebookRun:
    """How a notebook runs: resolved profile, seed, where its figures go, device, package version, the
    participant (`recording`: {path, sha256} of a recording file, or None for the profile's simulated one),
    the speech corpora ({'pretrain': spec, 'stimuli': spec}, `profiles.corpora_of`) and the changed settings."""

    profile: str
    seed: int
    figures_dir: Path
    device: str
    recording: dict | None = None
    corpora: dict | None = None
    settings: dict | None = None
    version: str = __version__

    def __str__(self) -> str:
        participant = "simulated" if self.recording is None else f"{self.recording['path']} (sha256 {self.recording['sha256'][:12]})"
        corpora = self.corpora or {}
        changed = f" settings={self.settings}" if self.settings else ""
        return (f"profile={self.profile} seed={self.seed} participant={participant} "
                f"phase 1 on {corpora.get('pretrain')}, stimuli from {corpora.get('stimuli')}{changed} "
                f"n2s_lite={self.version} device={self.device} figures_dir={self.figures_dir}")


def start_notebook(profile: str, seed: int, figures_dir, recording=None, corpus=None, settings=None) -> NotebookRun:
    """Resolve the profile, apply changed settings, seed every random source, create figures_dir, print and
    return how the notebook runs.

    recording: the path of the participant's recording file (None: the profile's simulated participant);
    the run records its absolute path and sha256 (`source_identity`). corpus: spec(s) of phase 1's speech and
    the simulated participant's (None: the profile's, `run.corpora`). settings: changes to the profile's
    settings for this kernel and the workers it starts ({'experiment.training.max_epochs': 1}, `profiles.apply`)."""
    profile, settings = profiles.resolve(profile), dict(settings or {})
    if settings:
        profiles.apply(profile, settings)
    run = NotebookRun(profile=profile, seed=int(seed), figures_dir=Path(figures_dir), device=pick_device(),
                      recording=None if recording is None else source_identity(recording),
                      corpora=profiles.corpora_of(profile, corpus), settings=settings)
    seed_everything(run.seed)
    run.figures_dir.mkdir(parents=True, exist_ok=True)
    print(run)
    return run


def source_identity(path) -> dict:
    """{path (absolute), sha256} of a recording: of the file's bytes, or for a directory (an iBIDS root) of
    every file's relative path and bytes in sorted order. The file is only read."""
    path = Path(path).resolve()
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such recording file or directory")
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        if path.is_dir():
            digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return dict(path=str(path), sha256=digest.hexdigest())


def save_results(number: int, results: dict, run: NotebookRun) -> Path:
    """Write a notebook's key numbers as figures_dir/results_NN.json, with profile, seed, the participant
    (`recording`: {path, sha256} of its file, or None for the simulated participant), corpora and changed settings.

    numpy values, pandas tables (as lists of rows) and paths are converted; NaN becomes null (strict JSON).
    """
    path = run.figures_dir / f"results_{int(number):02d}.json"
    payload = dict(notebook=int(number), profile=run.profile, seed=run.seed, recording=run.recording,
                   corpora=run.corpora, settings=run.settings or {}, version=run.version, results=results)
    plain = json.loads(json.dumps(payload, default=_jsonable), parse_constant=lambda _constant: None)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(plain, indent=2, sort_keys=True, allow_nan=False))
    return path


def _jsonable(value):
    """numpy scalars and arrays, pandas objects and paths -> JSON-serialisable values."""
    if hasattr(value, "to_dict"):
        return value.to_dict(orient="records") if hasattr(value, "columns") else value.to_dict()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


# ------------------------------------------------------------------------------------------ the runner
def list_notebooks(notebooks_dir=NOTEBOOKS_DIR) -> dict[int, Path]:
    """Notebooks named NN_<what>.ipynb in notebooks_dir, by number, in reading order."""
    notebooks_dir = Path(notebooks_dir)
    if not notebooks_dir.is_dir():
        raise FileNotFoundError(f"{notebooks_dir}: no notebooks directory (n2s reproduce runs from a source checkout)")
    found = {}
    for path in sorted(notebooks_dir.glob("*.ipynb")):
        match = NOTEBOOK_NAME.match(path.name)
        if match:
            number = int(match.group(1))
            if number in found:
                raise ValueError(f"{notebooks_dir}: two notebooks numbered {number:02d}: {found[number].name}, {path.name}")
            found[number] = path
    return dict(sorted(found.items()))


def select_notebooks(notebooks: dict[int, Path], only=None) -> dict[int, Path]:
    """The notebooks numbered in `only` (all when None or empty); unknown numbers are an error."""
    if not only:
        return notebooks
    unknown = sorted(set(only) - set(notebooks))
    if unknown:
        raise ValueError(f"no notebook numbered {unknown}; available: {sorted(notebooks)}")
    return {n: notebooks[n] for n in sorted(set(only))}


def default_figures_dir(profile: str, recording=None, changed: bool = False) -> Path:
    """Where a run writes its figures unless told otherwise: the repository's figures/ for the committed
    profile's simulated participant with unchanged settings only; runs/figures-PROFILE/ for another profile (git
    ignores runs/), runs/figures-PROFILE-NAME/ for a recording file NAME.* (whatever the profile: its figures never
    replace the committed ones), and a '-set' suffix when settings are changed. profile must be resolved ('auto'
    is not a profile here)."""
    name = f"figures-{profile}" + ("" if recording is None else f"-{Path(recording).stem}") + ("-set" if changed else "")
    if recording is None and not changed and profile == COMMITTED_PROFILE:
        return REPO_ROOT / "figures"
    return REPO_ROOT / "runs" / name


def reproduce(profile: str = "auto", only=None, executed_dir=None, figures_dir=None, seed: int = 0,
              notebooks_dir=NOTEBOOKS_DIR, recording=None, settings=None) -> dict:
    """Execute the notebooks in order with papermill; write figures and figures_dir/MANIFEST.json; return it.

    Parameters passed to each notebook (those it declares): profile (resolved: 'auto' is 'full' on a
    GPU, else 'standard'), seed, figures_dir (absolute), interactive=False and, given a recording, recording
    (absolute path), and given changed settings ({'section.key': value} or ['section.key=value', ...]),
    settings. figures_dir None: `default_figures_dir(profile, recording, changed)`. With a recording, only the
    notebooks that declare a `recording` parameter run (the others do not depend on the participant), and
    naming one that does not in `only` is an error. Executed copies go to executed_dir (None:
    runs/executed-PROFILE of the checkout), which must lie outside notebooks_dir. The first failing
    notebook stops the run with NotebookFailed.
    """
    import papermill
    from tqdm.auto import tqdm

    profile = profiles.resolve(profile)
    settings = profiles.checked_changes(profile, settings)  # before any notebook runs; each kernel applies them
    if recording is not None:
        recording = source_identity(recording)["path"]  # absolute, and an error now if it does not exist
    figures_dir = default_figures_dir(profile, recording, bool(settings)) if figures_dir is None else figures_dir
    executed_dir = REPO_ROOT / "runs" / f"executed-{profile}" if executed_dir is None else executed_dir
    notebooks_dir, executed_dir, figures_dir = (Path(p).resolve() for p in (notebooks_dir, executed_dir, figures_dir))
    if executed_dir == notebooks_dir or notebooks_dir in executed_dir.parents:
        raise ValueError(f"executed_dir {executed_dir} is inside the notebooks' source directory; choose another")
    selected = select_notebooks(list_notebooks(notebooks_dir), only)
    declared = {n: papermill.inspect_notebook(str(path)) for n, path in selected.items()}
    if recording is not None:
        refusing = [n for n in selected if "recording" not in declared[n]]
        if only and refusing:
            raise ValueError(f"notebooks {refusing} take no recording (they do not depend on the participant); "
                             f"those that do: {[n for n in selected if n not in refusing]}")
        selected = {n: path for n, path in selected.items() if n not in refusing}
    executed_dir.mkdir(parents=True, exist_ok=True)
    figures_dir.mkdir(parents=True, exist_ok=True)
    offered = dict(profile=profile, seed=int(seed), figures_dir=str(figures_dir), interactive=False)
    if recording is not None:
        offered["recording"] = recording
    if settings:
        offered["settings"] = settings
    clock = StageClock()
    bar = tqdm(selected.items(), desc=f"n2s reproduce ({profile})", unit="notebook")
    for number, source in bar:
        bar.set_postfix_str(source.name)
        parameters = {k: v for k, v in offered.items() if k in declared[number]}
        executed = executed_dir / source.name
        try:
            with clock.stage(source.name):
                papermill.execute_notebook(str(source), str(executed), parameters=parameters,
                                           kernel_name=KERNEL_NAME, cwd=str(notebooks_dir), progress_bar=False)
        except papermill.PapermillExecutionError as exc:
            raise NotebookFailed(source.name, exc.exec_count, exc.source, exc.ename, exc.evalue, executed) from None
    return write_manifest(figures_dir, profile, int(seed), clock.seconds, recording, settings)


def write_manifest(figures_dir, profile: str, seed: int, wall_times: dict, recording=None, settings=None) -> dict:
    """Gather results_NN.json and the run's provenance into figures_dir/MANIFEST.json; return the manifest.

    recording: the participant's recording file (its path and sha256 are recorded), None for the simulated one;
    settings: the changed settings ({'section.key': value}) the notebooks ran with.
    wall_times: {notebook: seconds} (`clock.StageClock`). Those of notebooks not run this time are kept from an earlier manifest of
    the same profile and seed (e.g. after `--only 6`), so the manifest always describes the figures there.
    """
    figures_dir = Path(figures_dir)
    previous = _read_json(figures_dir / MANIFEST)
    identity = None if recording is None else source_identity(recording)
    settings = dict(settings or {})
    if (previous.get("profile"), previous.get("seed"), previous.get("recording"), previous.get("settings", {})) == \
            (profile, seed, identity, settings):
        wall_times = {**previous.get("notebook_seconds", {}), **wall_times}
    results = {path.stem: _read_json(path) for path in sorted(figures_dir.glob("results_*.json"))}
    manifest = dict(
        profile=profile, seed=seed, recording=identity, settings=settings, commit=git_commit(figures_dir),
        device=pick_device(), machine=describe(), python=platform.python_version(), packages=package_versions(),
        notebook_seconds=dict(sorted(wall_times.items())),
        figures=sorted(p.name for p in figures_dir.iterdir() if p.name.startswith("fig")),
        results_table=results.get("results_06", {}).get("results", {}).get("table"),
        results=results,
    )
    with atomic_path(figures_dir / MANIFEST) as tmp:
        tmp.write_text(json.dumps(manifest, indent=2, default=str))
    return manifest


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def git_commit(outputs=None) -> str | None:
    """HEAD commit of the source checkout, with '-dirty' when tracked files changed; None outside git.

    outputs: a directory the run itself rewrites (reproduce's figures_dir); changes there do not count.
    """
    status = ["git", "status", "--porcelain", "--untracked-files=no", "--", "."]
    if outputs is not None and Path(outputs).resolve().is_relative_to(REPO_ROOT):
        status.append(f":(exclude){Path(outputs).resolve().relative_to(REPO_ROOT).as_posix()}")
    try:
        run = dict(cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=10)
        commit = subprocess.run(["git", "rev-parse", "HEAD"], **run).stdout.strip()
        dirty = subprocess.run(status, **run).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("-dirty" if dirty else "")


def package_versions() -> dict:
    """Installed version of each package in RECORDED_PACKAGES (None when absent)."""
    versions = {}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions
