"""Tests of the figure machinery: save_figure, notebook helpers, and the papermill runner on tiny notebooks."""
import json
from importlib import metadata

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402

from n2s_lite import machine, plots, reproduce  # noqa: E402


def write_notebook(path, *cells, parameters="profile = 'smoke'\nseed = 0\nfigures_dir = 'unused'"):
    """A notebook with a papermill 'parameters' cell followed by the given code cells."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.write(nb, path)
    return path


def test_save_figure_writes_png_and_pdf(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    paths = plots.save_figure(fig, "fig01_line", tmp_path / "figs")
    assert [p.name for p in paths] == ["fig01_line.png", "fig01_line.pdf"]
    assert paths[0].read_bytes().startswith(b"\x89PNG")
    assert paths[1].read_bytes().startswith(b"%PDF")
    assert not list((tmp_path / "figs").glob("*.part"))


def test_save_figure_pdf_is_byte_identical_when_saved_twice(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    first = plots.save_figure(fig, "fig01_line", tmp_path / "a", formats=("pdf",))[0].read_bytes()
    second = plots.save_figure(fig, "fig01_line", tmp_path / "b", formats=("pdf",))[0].read_bytes()
    assert first == second


@pytest.mark.parametrize("name", ["line", "fig1_line", "fig01-line", "fig01_Line", "fig01_"])
def test_save_figure_rejects_unstable_names(tmp_path, name):
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="figure name"):
        plots.save_figure(fig, name, tmp_path)
    assert not any(tmp_path.iterdir())


def test_start_notebook_and_save_results(tmp_path, capsys):
    run = reproduce.start_notebook("smoke", 3, tmp_path / "figs")
    assert run.profile == "smoke" and run.seed == 3 and run.figures_dir.is_dir()
    assert "profile=smoke seed=3" in capsys.readouterr().out
    path = reproduce.save_results(6, {"table": [{"method": "ridge", "r": 0.5}]}, run)
    saved = json.loads(path.read_text())
    assert path.name == "results_06.json"
    assert saved["profile"] == "smoke" and saved["seed"] == 3
    assert saved["results"]["table"] == [{"method": "ridge", "r": 0.5}]
    assert saved["corpora"] == {"pretrain": "asterisk", "stimuli": "asterisk"} and saved["settings"] == {}


def test_start_notebook_applies_changed_settings_and_records_them_and_the_corpora(tmp_path, capsys):
    from n2s_lite import methods, profiles

    table = profiles.snapshot()
    try:
        run = reproduce.start_notebook("smoke", 0, tmp_path, corpus=["asterisk", "tts"],
                                       settings={"experiment.training.max_epochs": 1})
        assert methods.settings("smoke")["training"]["max_epochs"] == 1  # the kernel trains with it
        assert run.corpora == {"pretrain": ("asterisk", "tts"), "stimuli": ("asterisk", "tts")}
        assert "max_epochs" in capsys.readouterr().out
        saved = json.loads(reproduce.save_results(5, {}, run).read_text())
        assert saved["settings"] == {"experiment.training.max_epochs": 1}
        assert saved["corpora"] == {"pretrain": ["asterisk", "tts"], "stimuli": ["asterisk", "tts"]}
        with pytest.raises(ValueError, match="trainng"):  # a typo is refused, naming it
            reproduce.start_notebook("smoke", 0, tmp_path, settings={"experiment.trainng.max_epochs": 1})
    finally:
        profiles.restore(table)


def test_save_results_writes_strict_json_from_numpy_and_pandas(tmp_path):
    import numpy as np
    import pandas as pd

    run = reproduce.start_notebook("smoke", 0, tmp_path)
    table = pd.DataFrame({"method": ["a", "b"], "r": [np.float32(0.5), np.nan]})
    path = reproduce.save_results(2, {"table": table, "values": np.array([1.0, np.nan]), "where": tmp_path}, run)
    text = path.read_text()
    assert "NaN" not in text
    saved = json.loads(text)["results"]
    assert saved["table"] == [{"method": "a", "r": 0.5}, {"method": "b", "r": None}]
    assert saved["values"] == [1.0, None]
    assert saved["where"] == str(tmp_path)


def test_list_and_select_notebooks(tmp_path):
    for name in ["02_b.ipynb", "01_a.ipynb", "notes.ipynb", "10_c.ipynb"]:
        (tmp_path / name).write_text("{}")
    found = reproduce.list_notebooks(tmp_path)
    assert list(found) == [1, 2, 10]
    assert list(reproduce.select_notebooks(found, [10, 1])) == [1, 10]
    assert reproduce.select_notebooks(found, None) == found
    with pytest.raises(ValueError, match=r"\[7\]"):
        reproduce.select_notebooks(found, [7])


def test_duplicate_notebook_numbers_are_an_error(tmp_path):
    for name in ["01_a.ipynb", "01_b.ipynb"]:
        (tmp_path / name).write_text("{}")
    with pytest.raises(ValueError, match="two notebooks numbered 01"):
        reproduce.list_notebooks(tmp_path)


def test_executed_copies_may_not_go_into_the_source_tree(tmp_path):
    write_notebook(tmp_path / "01_a.ipynb", "x = 1")
    with pytest.raises(ValueError, match="inside the notebooks"):
        reproduce.reproduce("smoke", executed_dir=tmp_path / "out", figures_dir=tmp_path / "figs",
                            notebooks_dir=tmp_path)


def test_manifest_keeps_wall_times_of_notebooks_not_rerun(tmp_path):
    reproduce.write_manifest(tmp_path, "smoke", 0, {"01_a.ipynb": 2.0, "02_b.ipynb": 3.0})
    manifest = reproduce.write_manifest(tmp_path, "smoke", 0, {"02_b.ipynb": 4.0})
    assert manifest["notebook_seconds"] == {"01_a.ipynb": 2.0, "02_b.ipynb": 4.0}
    manifest = reproduce.write_manifest(tmp_path, "standard", 0, {"02_b.ipynb": 5.0})
    assert manifest["notebook_seconds"] == {"02_b.ipynb": 5.0}


@pytest.mark.slow
def test_reproduce_runs_notebooks_and_writes_the_manifest(tmp_path):
    source = tmp_path / "notebooks"
    source.mkdir()
    write_notebook(source / "01_first.ipynb",
                   "from n2s_lite import plots, reproduce\nimport matplotlib.pyplot as plt\n"
                   "run = reproduce.start_notebook(profile, seed, figures_dir)\n"
                   "fig, ax = plt.subplots(); ax.plot([0, 1])\n"
                   "plots.save_figure(fig, 'fig01_line', figures_dir)")
    write_notebook(source / "06_table.ipynb",
                   "from n2s_lite import reproduce\nrun = reproduce.start_notebook(profile, seed, figures_dir)\n"
                   "reproduce.save_results(6, {'table': [{'method': 'm', 'seed': seed}]}, run)")
    before = {p.name: p.read_bytes() for p in source.iterdir()}
    figures = tmp_path / "figs"
    manifest = reproduce.reproduce("smoke", executed_dir=tmp_path / "executed", figures_dir=figures,
                                   seed=7, notebooks_dir=source)
    assert sorted(p.name for p in (tmp_path / "executed").iterdir()) == ["01_first.ipynb", "06_table.ipynb"]
    assert {p.name: p.read_bytes() for p in source.iterdir()} == before
    assert (figures / "fig01_line.png").exists() and (figures / "fig01_line.pdf").exists()
    on_disk = json.loads((figures / "MANIFEST.json").read_text())
    assert on_disk == json.loads(json.dumps(manifest))
    assert manifest["profile"] == "smoke" and manifest["seed"] == 7
    assert manifest["results_table"] == [{"method": "m", "seed": 7}]
    assert set(manifest["notebook_seconds"]) == {"01_first.ipynb", "06_table.ipynb"}
    assert manifest["packages"]["n2s-lite"] == metadata.version("n2s-lite")
    assert manifest["machine"]["cpu_capability"] == machine.cpu_capability()
    assert manifest["machine"]["cpu"] == machine.cpu_model()
    assert "fig01_line.png" in manifest["figures"]


@pytest.mark.slow
def test_a_failing_notebook_stops_the_run_naming_notebook_and_cell(tmp_path):
    source = tmp_path / "notebooks"
    source.mkdir()
    write_notebook(source / "01_broken.ipynb", "x = 1", "values = []\nmean = sum(values) / len(values)")
    write_notebook(source / "02_never.ipynb", "x = 2")
    with pytest.raises(reproduce.NotebookFailed) as caught:
        reproduce.reproduce("smoke", executed_dir=tmp_path / "executed", figures_dir=tmp_path / "figs",
                            notebooks_dir=source)
    message = str(caught.value)
    assert "01_broken.ipynb" in message
    assert "mean = sum(values) / len(values)" in message
    assert "ZeroDivisionError" in message
    executed = nbformat.read(caught.value.executed, as_version=4)
    failing = [c for c in executed.cells if c.get("execution_count") == caught.value.exec_count]
    assert [c.source for c in failing] == ["values = []\nmean = sum(values) / len(values)"]
    assert not (tmp_path / "executed" / "02_never.ipynb").exists()


def test_commit_is_dirty_for_source_edits_not_for_regenerated_figures(tmp_path, monkeypatch):
    import subprocess

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "fig01.png").write_bytes(b"old")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init")
    monkeypatch.setattr(reproduce, "REPO_ROOT", tmp_path.resolve())
    figures = tmp_path / "figures"
    clean = reproduce.git_commit(figures)
    assert len(clean) == 40 and not clean.endswith("-dirty")
    (figures / "fig01.png").write_bytes(b"new")
    assert reproduce.git_commit(figures) == clean
    assert reproduce.git_commit() == clean + "-dirty"  # without outputs every tracked change counts
    (tmp_path / "code.py").write_text("x = 2\n")
    assert reproduce.git_commit(figures) == clean + "-dirty"


def test_only_the_committed_profile_writes_into_figures_by_default(monkeypatch):
    import torch

    from n2s_lite import profiles

    root = reproduce.REPO_ROOT
    assert reproduce.default_figures_dir("standard") == root / "figures"
    assert reproduce.default_figures_dir("smoke") == root / "runs" / "figures-smoke"
    assert reproduce.default_figures_dir("full") == root / "runs" / "figures-full"
    # a recording's figures never replace the committed ones, whatever the profile
    assert reproduce.default_figures_dir("standard", "/data/sub-01.h5") == root / "runs" / "figures-standard-sub-01"
    # nor do those of changed settings
    assert reproduce.default_figures_dir("standard", changed=True) == root / "runs" / "figures-standard-set"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # auto on a GPU machine runs full
    assert reproduce.default_figures_dir(profiles.resolve("auto")) == root / "runs" / "figures-full"


@pytest.mark.slow
def test_a_smoke_run_leaves_git_status_clean(tmp_path, monkeypatch):
    import shutil
    import subprocess

    def git(*args):
        return subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True, text=True).stdout

    # a checkout with the repository's .gitignore and committed figures, and one notebook that writes figures
    shutil.copy(reproduce.REPO_ROOT / ".gitignore", tmp_path / ".gitignore")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "fig01_line.png").write_bytes(b"the standard run's")
    source = tmp_path / "notebooks"
    source.mkdir()
    write_notebook(source / "01_first.ipynb",
                   "from n2s_lite import plots, reproduce\nimport matplotlib.pyplot as plt\n"
                   "run = reproduce.start_notebook(profile, seed, figures_dir)\n"
                   "fig, ax = plt.subplots(); ax.plot([0, 1])\nplots.save_figure(fig, 'fig01_line', figures_dir)\n"
                   "reproduce.save_results(1, {'x': 1}, run)")
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init")
    monkeypatch.setattr(reproduce, "REPO_ROOT", tmp_path.resolve())
    manifest = reproduce.reproduce("smoke", notebooks_dir=source)
    assert (tmp_path / "runs" / "figures-smoke" / "fig01_line.png").exists()
    assert manifest["profile"] == "smoke" and manifest["results"]["results_01"]["results"] == {"x": 1}
    assert git("status", "--porcelain", "--untracked-files=all") == ""
    assert (tmp_path / "figures" / "fig01_line.png").read_bytes() == b"the standard run's"


def reproduce_on(recording, tmp_path, *notebooks: int):
    """`n2s reproduce --profile smoke --recording RECORDING --notebooks ...` into tmp_path/out -> that folder."""
    from n2s_lite import cli

    figures = tmp_path / "out"
    assert cli.main(["reproduce", "--profile", "smoke", "--recording", str(recording), "--figures-dir", str(figures),
                     "--executed-dir", str(tmp_path / "executed"), "--notebooks", *map(str, notebooks)]) == 0
    return figures


@pytest.fixture(scope="module")
def speaking_file(tmp_path_factory):
    """A simulated speaking participant (2 min, 16 electrodes) as an n2s HDF5 file."""
    from n2s_lite import corpora, io, neuro

    _pretrain, stimuli = corpora.pretraining_and_stimuli(corpora.load("asterisk"))
    path = tmp_path_factory.mktemp("speaker") / "speaker.h5"
    io.save(neuro.simulate_speaking(stimuli, minutes=2, n_electrodes=16, seed=5), path)
    return path


@pytest.mark.slow
def test_reproduce_a_speaking_recording_into_its_own_directory(speaking_file, tmp_path):
    import hashlib

    from n2s_lite.lags import LagWindow

    path = speaking_file
    figures = reproduce_on(path, tmp_path, 2, 5)
    identity = dict(path=str(path.resolve()), sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    manifest = json.loads((figures / "MANIFEST.json").read_text())
    assert manifest["recording"] == identity
    for number in (2, 5):
        saved = json.loads((figures / f"results_{number:02d}.json").read_text())
        assert saved["recording"] == identity and saved["profile"] == "smoke"
        assert saved["results"]["task"] == "speaking"
        assert saved["results"]["lags"] == LagWindow.for_task("speaking").to_dict()
    # the adaptor trained in notebook 5 read the speaking window, not the listening one
    read = json.loads((figures / "results_05.json").read_text())["results"]["lag_frames_read"]
    assert read == list(LagWindow.for_task("speaking").frames) != list(LagWindow.for_task("listening").frames)
    assert {"fig02_electrode_maps.png", "fig05_adaptor_learning_curves.png", "fig05_decoded_spectrograms.png"} <= {
        p.name for p in figures.iterdir()}
    assert not (figures / "fig02_signal_chain.png").exists()  # the simulator's demonstration, not this participant's


@pytest.mark.slow
def test_the_representation_notebooks_take_a_recording_with_its_task(speaking_file, tmp_path):
    from n2s_lite import io
    from n2s_lite.lags import LagWindow

    figures = reproduce_on(speaking_file, tmp_path, 10, 11)
    good = int(io.load(speaking_file).good_electrodes().sum())
    encoding = json.loads((figures / "results_10.json").read_text())["results"]
    assert encoding["lags"]["recording"] == LagWindow.for_task("speaking").to_dict()
    scored = [row for row in encoding["per_electrode"]  # bad electrodes have no r (NaN, or null in JSON)
              if row["participant"] == "recording" and row["r"] is not None and row["r"] == row["r"]]
    representations = {row["representation"] for row in scored}
    assert {"mel", "latent", "controls"} <= representations and len(scored) == good * len(representations)
    refined = json.loads((figures / "results_11.json").read_text())["results"]
    assert refined["lags"] == LagWindow.for_task("speaking").to_dict()
    assert len(refined["encoding_per_electrode"]) == good  # this recording's electrodes, not a simulated grid
    assert {row["decoder"] for row in refined["phase2"]} == {"transfer, original latent", "transfer, refined latent",
                                                            "scratch"}


def test_a_recording_runs_only_the_notebooks_that_take_it(tmp_path):
    source = tmp_path / "notebooks"
    source.mkdir()
    write_notebook(source / "01_corpus.ipynb", "x = 1")
    write_notebook(source / "02_participant.ipynb", "x = 2",
                   parameters="profile = 'smoke'\nseed = 0\nfigures_dir = 'unused'\nrecording = None")
    recording = tmp_path / "rec.h5"
    recording.write_bytes(b"not read here")
    with pytest.raises(ValueError, match=r"notebooks \[1\] take no recording"):
        reproduce.reproduce("smoke", only=[1, 2], executed_dir=tmp_path / "executed", figures_dir=tmp_path / "figs",
                            notebooks_dir=source, recording=recording)
    with pytest.raises(FileNotFoundError, match="no such recording"):
        reproduce.reproduce("smoke", executed_dir=tmp_path / "executed", figures_dir=tmp_path / "figs",
                            notebooks_dir=source, recording=tmp_path / "missing.h5")
