"""The on-disk cache: products keyed by configuration and by the source of the modules that make them."""
import shutil
from pathlib import Path

import pytest

import n2s_lite
from n2s_lite import cache


@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    """A copy of the package's source whose files a test may edit; the fingerprint reads this copy."""
    copy = tmp_path / "n2s_lite"
    shutil.copytree(Path(n2s_lite.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "__file__", str(copy / "cache.py"))
    cache.code_fingerprint.cache_clear()
    yield copy
    cache.code_fingerprint.cache_clear()


def _edit(path: Path) -> None:
    """A change of what the module does (a new module-level constant)."""
    path.write_text(path.read_text() + "\nEDITED = 1\n")


def test_editing_a_module_changes_only_the_fingerprints_that_import_it(package_copy):
    before = {roots: cache.code_fingerprint(*roots) for roots in [("autoencoder",), ("neuro",), ("experiment",)]}
    _edit(package_copy / "adaptor.py")  # phase 2 only: neither the autoencoder nor the simulator imports it
    cache.code_fingerprint.cache_clear()
    after = {roots: cache.code_fingerprint(*roots) for roots in before}
    assert after[("autoencoder",)] == before[("autoencoder",)]
    assert after[("neuro",)] == before[("neuro",)]
    assert after[("experiment",)] != before[("experiment",)]


def test_scoring_code_does_not_key_trained_decoders(package_copy):
    """Trained decoders are keyed by `methods` (what trains them), so editing the evaluation in `experiment`
    keeps them, while editing the training loop or an adaptor re-trains them."""
    before = cache.code_fingerprint("methods")
    _edit(package_copy / "experiment.py")
    cache.code_fingerprint.cache_clear()
    assert cache.code_fingerprint("methods") == before
    for trains_them in ("train.py", "adaptor.py"):
        _edit(package_copy / trains_them)
        cache.code_fingerprint.cache_clear()
        assert cache.code_fingerprint("methods") != before
        before = cache.code_fingerprint("methods")


def test_an_edit_deep_in_the_import_graph_reaches_the_product(package_copy):
    before = cache.code_fingerprint("autoencoder")
    _edit(package_copy / "synth" / "core.py")  # autoencoder -> synthesizer -> synth.decoder -> synth.core
    cache.code_fingerprint.cache_clear()
    assert cache.code_fingerprint("autoencoder") != before


def test_comments_and_docstrings_do_not_change_the_fingerprint(package_copy):
    before = cache.code_fingerprint("autoencoder")
    path = package_copy / "autoencoder.py"
    text = path.read_text()
    edits = [('"""Phase 1:', '"""Edited docstring. Phase 1:'),
             ("\nclass MelEncoder(", "\n# a comment\nclass MelEncoder("),
             ('    """Latent frames per second."""', '    """Edited: latent frames per second."""')]
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    path.write_text(text)
    cache.code_fingerprint.cache_clear()
    assert cache.code_fingerprint("autoencoder") == before
    path.write_text(text.replace("return A.FRAME_RATE / self.stride", "return A.FRAME_RATE / self.stride / 1", 1))
    cache.code_fingerprint.cache_clear()
    assert cache.code_fingerprint("autoencoder") != before


def test_no_roots_fingerprints_every_module(package_copy):
    before = cache.code_fingerprint()
    _edit(package_copy / "widgets.py")
    cache.code_fingerprint.cache_clear()
    assert cache.code_fingerprint() != before


def test_cached_builds_once_and_keys_by_config(tmp_path, monkeypatch):
    monkeypatch.setenv("N2S_CACHE", str(tmp_path))
    builds = []

    def build(path):
        builds.append(path)
        path.write_text("product")

    first = cache.cached("thing", dict(a=1), build, suffix=".txt", code=("audio",))
    again = cache.cached("thing", dict(a=1), build, suffix=".txt", code=("audio",))
    other = cache.cached("thing", dict(a=2), build, suffix=".txt", code=("audio",))
    assert first == again != other and len(builds) == 2
    assert first.read_text() == "product" and first.with_suffix(".json").is_file()


def _build_slowly(args):
    """In a worker process: ask the cache for the product 'thing' whose build takes half a second and counts
    itself in the file `log`; return the product's path."""
    import os
    import time

    folder, log = args
    os.environ["N2S_CACHE"] = folder

    def build(path):
        with open(log, "a") as f:
            f.write(f"{os.getpid()}\n")
        time.sleep(0.5)
        path.write_text("product")

    return str(cache.cached("thing", dict(a=1), build, suffix=".txt", code=("audio",)))


def test_processes_asking_at_once_build_a_product_once(tmp_path, monkeypatch):
    from joblib import Parallel, delayed

    log = tmp_path / "builds.txt"
    paths = Parallel(n_jobs=3, backend="loky")(delayed(_build_slowly)((str(tmp_path / "cache"), str(log)))
                                                for _ in range(3))
    assert len(set(paths)) == 1 and Path(paths[0]).read_text() == "product"
    assert len(log.read_text().split()) == 1  # the other two waited for the lock, then found the product
    monkeypatch.setenv("N2S_CACHE", str(tmp_path / "cache"))
    assert cache.count_products(["thing"]) == {"thing": 1}  # the lock file is not a product
