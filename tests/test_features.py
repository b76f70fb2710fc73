"""The on-disk, memory-mapped feature cache (n2s_lite.features) on tiny corpora made here."""
from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile as sf

from n2s_lite import audio as A
from n2s_lite import corpora, features


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("N2S_CACHE", str(tmp_path / "cache"))
    corpora.clear_cache()
    yield
    corpora.clear_cache()


def noise_corpus(lengths=(0.5, 0.08, 0.3), seed=0) -> corpora.Corpus:
    rng = np.random.default_rng(seed)
    return corpora.Corpus("noise", tuple(corpora.Utterance(f"u{i}", "s", f"sentence {i}",
                                                           0.1 * rng.standard_normal(int(s * A.SAMPLE_RATE)))
                                         for i, s in enumerate(lengths)))


def test_log_mels_equal_audio_log_mel_and_are_memory_mapped():
    corpus = noise_corpus()
    store = features.log_mels(corpus, progress=False)
    assert store.ids == corpus.ids and len(store) == 3 and store.dim == A.N_MELS
    for u, mel in zip(corpus, store):
        np.testing.assert_array_equal(mel, A.log_mel(u.audio))
    assert isinstance(store.data, np.memmap) and store.frames == sum(len(A.log_mel(u.audio)) for u in corpus)
    assert [len(m) for m in store.nonempty()] == [50, 8, 30]


def test_built_once_and_never_changed_through_a_view():
    corpus = noise_corpus()
    first = features.log_mels(corpus, progress=False)
    stamp = os.stat(first.path / "frames.bin").st_mtime_ns
    first[0][:] = 99.0  # copy-on-write: the cache file keeps its values
    second = features.log_mels(corpus, progress=False)
    assert second.path == first.path and os.stat(second.path / "frames.bin").st_mtime_ns == stamp
    np.testing.assert_array_equal(second[0], A.log_mel(corpus[0].audio))


def test_other_audio_or_settings_get_another_store():
    base = features.log_mels(noise_corpus(seed=0), progress=False).path
    assert features.log_mels(noise_corpus(seed=1), progress=False).path != base
    squared = features.cached_features("log_mel", noise_corpus(seed=0), lambda w: A.log_mel(w) ** 2,
                                       dict(mel=A.mel_params(), squared=True), code=("features",), progress=False)
    assert squared.path != base and squared[0][0, 0] == pytest.approx(features.log_mels(noise_corpus())[0][0, 0] ** 2)


def test_interrupted_build_leaves_nothing_but_its_lock_file(tmp_path):
    calls = []

    def failing(wave):
        calls.append(len(wave))
        if len(calls) == 2:
            raise RuntimeError("interrupted")
        return A.log_mel(wave)

    with pytest.raises(RuntimeError, match="interrupted"):
        features.cached_features("log_mel", noise_corpus(), failing, {}, code=("features",), progress=False)
    left = [p.name for p in (tmp_path / "cache" / "features").iterdir()]
    assert len(left) == 1 and left[0].startswith(".") and left[0].endswith(".lock")  # no store, no partial one
    with pytest.raises(ValueError, match="features must be"):  # features of inconsistent width are refused
        features.cached_features("bad", noise_corpus(), lambda w: np.zeros((3, 80 + (len(w) > 2000))), {},
                                 code=("features",), progress=False)


def test_file_backed_utterances_are_keyed_by_their_files(tmp_path):
    folder = tmp_path / "LibriSpeech" / "train-clean-100" / "7" / "11"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(3)
    sf.write(folder / "7-11-0000.flac", 0.1 * rng.standard_normal(8000), A.SAMPLE_RATE)
    (folder / "7-11.trans.txt").write_text("7-11-0000 A SENTENCE\n")
    corpus = corpora.load_librispeech(tmp_path / "LibriSpeech")
    store = features.log_mels(corpus, progress=False)
    np.testing.assert_array_equal(store[0], A.log_mel(corpus[0].audio))
    sf.write(folder / "7-11-0000.flac", 0.1 * rng.standard_normal(4800), A.SAMPLE_RATE)  # the file changes
    os.utime(folder / "7-11-0000.flac", ns=(1, 1))
    changed = features.log_mels(corpus, progress=False)
    assert changed.path != store.path and len(changed[0]) == 30
