"""Static checks of the committed notebooks: conventions that nbval cannot see (no kernel is started here)."""
import re
from pathlib import Path

import nbformat
import papermill
import pytest

from n2s_lite import reproduce

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = reproduce.list_notebooks(ROOT / "notebooks")
FIGURE_NAME = re.compile(r"\bfig\d{2}_[a-z0-9_]+[a-z0-9]\b")
SAVED_FIGURE = re.compile(r"save_figure\(\s*\w+\s*,\s*[\"'](fig\d{2}_[a-z0-9_]+)[\"']")
CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"
# Model and training code belongs in the package, never in a notebook.
FORBIDDEN = {"class definition": re.compile(r"^class ", re.M), "torch.nn": re.compile(r"\btorch\.nn\b|\bnn\.Module\b"),
             "optimiser": re.compile(r"\btorch\.optim\b|\.backward\(")}


def read(path):
    return nbformat.read(path, as_version=4)


def code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def saved_figures(nb) -> list[str]:
    return [name for cell in code_cells(nb) for name in SAVED_FIGURE.findall(cell.source)]


def test_notebooks_are_numbered_in_reading_order():
    assert list(NOTEBOOKS) == list(range(1, len(NOTEBOOKS) + 1))
    assert len(NOTEBOOKS) >= 8  # the paper's eight steps, then further analyses


@pytest.mark.parametrize("number", list(NOTEBOOKS))
def test_kernelspec_is_python3(number):
    assert read(NOTEBOOKS[number]).metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("number", list(NOTEBOOKS))
def test_parameters_cell_has_ci_safe_defaults(number):
    nb = read(NOTEBOOKS[number])
    tagged = [cell for cell in nb.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assert 'profile = os.environ.get("N2S_PROFILE", "smoke")' in tagged[0].source
    declared = papermill.inspect_notebook(str(NOTEBOOKS[number]))
    assert {"profile", "seed", "figures_dir"} <= set(declared)
    later = "\n".join(cell.source for cell in code_cells(nb)[code_cells(nb).index(tagged[0]) + 1:])
    assert "reproduce.start_notebook(profile, seed, figures_dir" in later, "records profile and seed"
    assert f"reproduce.save_results({number}," in later, "writes its key numbers for the manifest"


@pytest.mark.parametrize("number", list(NOTEBOOKS))
def test_only_checked_cells_keep_outputs(number):
    for cell in code_cells(read(NOTEBOOKS[number])):
        if CHECK_MARKER not in cell.source:
            assert not cell.outputs, f"cell has outputs but is not checked:\n{cell.source[:200]}"
        else:
            assert cell.outputs, f"checked cell has no stored output to compare with:\n{cell.source[:200]}"


@pytest.mark.parametrize("number", list(NOTEBOOKS))
def test_notebooks_import_logic_instead_of_defining_it(number):
    nb = read(NOTEBOOKS[number])
    source = "\n".join(cell.source for cell in code_cells(nb))
    assert "from n2s_lite import" in source
    for what, pattern in FORBIDDEN.items():
        assert not pattern.search(source), f"{what} in a notebook: move it into n2s_lite"


@pytest.mark.parametrize("number", list(NOTEBOOKS))
def test_each_notebook_saves_its_own_figures(number):
    names = saved_figures(read(NOTEBOOKS[number]))
    assert names, "saves at least one figure through plots.save_figure"
    assert all(name.startswith(f"fig{number:02d}_") for name in names)
    assert len(names) == len(set(names))


def test_every_figure_named_in_the_readme_and_results_page_is_produced_by_a_notebook():
    pages = [ROOT / "README.md", ROOT / "docs" / "results.md"]
    named = {name for page in pages for name in FIGURE_NAME.findall(page.read_text())}
    produced = {name for path in NOTEBOOKS.values() for name in saved_figures(read(path))}
    assert named, "the README and docs/results.md name no figure"
    assert named <= produced, f"named in README.md or docs/results.md but made by no notebook: {sorted(named - produced)}"


PARTICIPANT_NOTEBOOKS = (2, 5, 6, 7, 8, 10, 11)  # those that run on a participant: the simulated one or a recording
CHAPTERS = range(1, 9)  # the paper's steps
COMMIT_HASH = re.compile(r"\bcommits? `?[0-9a-f]{7,40}\b")


def after_parameters(nb) -> str:
    cells = code_cells(nb)
    tagged = next(i for i, cell in enumerate(cells) if "parameters" in cell.metadata.get("tags", []))
    return "\n".join(cell.source for cell in cells[tagged + 1:])


@pytest.mark.parametrize("number", PARTICIPANT_NOTEBOOKS)
def test_participant_notebooks_take_a_recording(number):
    declared = papermill.inspect_notebook(str(NOTEBOOKS[number]))
    assert declared["recording"]["default"] == "None"
    later = after_parameters(read(NOTEBOOKS[number]))
    assert "reproduce.start_notebook(profile, seed, figures_dir, recording," in later, "records the file and its sha256"


@pytest.mark.parametrize("number", list(NOTEBOOKS))
def test_every_notebook_takes_changed_settings_and_its_corpus_through_start_notebook(number):
    declared = papermill.inspect_notebook(str(NOTEBOOKS[number]))
    assert declared["settings"]["default"] == "{}"
    later = after_parameters(read(NOTEBOOKS[number]))
    call = re.search(r"reproduce\.start_notebook\(([^)]*)\)", later)
    assert call and "settings=settings" in call.group(1), "profiles.apply in the kernel, recorded in results_NN.json"
    if "corpus" in declared:
        assert declared["corpus"]["default"] == "None", "None: the profile's corpora"
        assert "corpus=corpus" in call.group(1), "run.corpora resolves and records the corpora"


@pytest.mark.parametrize("number", CHAPTERS)
def test_the_corpus_is_a_parameter_wherever_it_is_used(number):
    nb = read(NOTEBOOKS[number])
    later = after_parameters(nb)
    uses_corpus = re.search(r"corpora\.load\(|pretrained_autoencoder\(|load_participant\(|vocoder\.pretrained\(", later)
    if uses_corpus:
        assert "corpus" in papermill.inspect_notebook(str(NOTEBOOKS[number]))
    assert "experiment.CORPUS" not in later and '"asterisk"' not in later, "the corpus parameter, not a constant"


def test_the_sweep_grids_of_notebook_07_are_parameters():
    declared = papermill.inspect_notebook(str(NOTEBOOKS[7]))
    assert {"minutes", "electrode_counts", "snr_divisors", "methods"} <= set(declared)


@pytest.mark.parametrize("number", list(NOTEBOOKS))
def test_no_commit_hashes_in_notebooks(number):
    text = "\n".join(cell.source for cell in read(NOTEBOOKS[number]).cells)
    assert not COMMIT_HASH.search(text), "a notebook states what its run computes, not which commit once did"
