"""LibriSpeech: the layout on a tiny copy written here, downloads from a server on 127.0.0.1 (checksum failure,
resume with Range, offline), and the speaker-disjointness of pre-training (train-*) and stimuli (test-clean)."""
from __future__ import annotations

import hashlib
import http.server
import tarfile
import threading

import numpy as np
import pytest
import soundfile as sf

from n2s_lite import corpora
from n2s_lite.audio import SAMPLE_RATE
from n2s_lite.corpora import librispeech
from n2s_lite.corpora.download import ChecksumError, fetch, parse_hash
from n2s_lite.errors import CorpusNotFound, InputError

SPEAKERS = {"dev-clean": (("19", "198"), ("26", "495")), "train-clean-100": (("103", "1240"), ("1034", "121119")),
            "test-clean": (("1089", "134686"), ("121", "121726"))}


@pytest.fixture(autouse=True)
def fresh_cache():
    corpora.clear_cache()
    yield
    corpora.clear_cache()


def make_librispeech(root, subset: str = "dev-clean"):
    """root/LibriSpeech/<subset>/<speaker>/<chapter>/: two speakers, one chapter each, two utterances each
    (noise bursts of 0.3 + 0.2 s and 0.4 + 0.1 s) -> root/LibriSpeech."""
    rng = np.random.default_rng(len(subset))
    for (speaker, chapter), seconds in zip(SPEAKERS[subset], ((0.3, 0.2), (0.4, 0.1))):
        folder = root / "LibriSpeech" / subset / speaker / chapter
        folder.mkdir(parents=True)
        lines = []
        for number, length in enumerate(seconds):
            utterance_id = f"{speaker}-{chapter}-{number:04d}"
            sf.write(folder / f"{utterance_id}.flac", 0.1 * rng.standard_normal(int(length * SAMPLE_RATE)),
                     SAMPLE_RATE)
            lines.append(f"{utterance_id} WORDS OF UTTERANCE {number} BY {speaker}")
        (folder / f"{speaker}-{chapter}.trans.txt").write_text("\n".join(lines) + "\n")
    return root / "LibriSpeech"


def test_layout_root_or_subset_folder(tmp_path):
    root = make_librispeech(tmp_path)
    corpus = corpora.load(f"librispeech:{root}")
    assert corpus.ids == ("19-198-0000", "19-198-0001", "26-495-0000", "26-495-0001")
    assert corpus.speakers == ("19", "26") and corpus[1].text == "WORDS OF UTTERANCE 1 BY 19"
    assert corpus.duration == pytest.approx(1.0)
    assert corpora.load(f"librispeech:{root / 'dev-clean'}").ids == corpus.ids


def test_audio_is_read_from_the_file_each_time_and_never_kept(tmp_path):
    corpus = corpora.load_librispeech(make_librispeech(tmp_path))
    utterance = corpus[2]
    expected, _ = sf.read(utterance.path, dtype="float32")
    np.testing.assert_array_equal(utterance.audio, expected)
    assert not utterance.audio.flags.writeable
    assert "audio" not in vars(utterance)  # nothing decoded is held by the utterance
    assert utterance.duration == pytest.approx(0.4) and utterance.n_samples == len(expected)


def test_missing_flac_is_named(tmp_path):
    root = make_librispeech(tmp_path)
    (root / "dev-clean" / "26" / "495" / "26-495-0001.flac").unlink()
    with pytest.raises(InputError, match="26-495-0001.flac"):
        corpora.load_librispeech(root)


def test_bad_transcript_line_is_named(tmp_path):
    root = make_librispeech(tmp_path)
    (root / "dev-clean" / "19" / "198" / "19-198.trans.txt").write_text("19-198-0000\n")
    with pytest.raises(InputError, match="line 1"):
        corpora.load_librispeech(root)


def test_without_transcripts(tmp_path):
    with pytest.raises(CorpusNotFound, match="trans.txt"):
        corpora.load_librispeech(tmp_path)


def test_pretraining_and_stimulus_subsets_share_no_speaker(tmp_path):
    for subset in ("train-clean-100", "test-clean"):
        make_librispeech(tmp_path, subset)
    pretrain = corpora.load(f"librispeech:{tmp_path / 'LibriSpeech' / 'train-clean-100'}")
    stimuli = corpora.load(f"librispeech:{tmp_path / 'LibriSpeech' / 'test-clean'}")
    corpora.check_disjoint_speakers(pretrain, stimuli)  # the corpus's own design: no error
    assert not set(pretrain.speakers) & set(stimuli.speakers)
    with pytest.raises(InputError, match="1 shared"):  # a pre-training corpus that includes a stimulus voice
        corpora.check_disjoint_speakers(corpora.combine([pretrain, corpora.Corpus("one", stimuli[:1])]), stimuli)


# -------------------------------------------------------------------------------------------- downloads

class ArchiveServer:
    """Serves one file over HTTP on 127.0.0.1, honouring `Range: bytes=N-` unless ranges=False; records the
    Range header of every request."""

    def __init__(self, payload: bytes, ranges: bool = True):
        self.payload, self.ranges, self.requests = payload, ranges, []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                asked = self.headers.get("Range")
                owner.requests.append(asked)
                start = int(asked.removeprefix("bytes=").rstrip("-")) if asked and owner.ranges else 0
                if start >= len(owner.payload) and start:
                    self.send_response(416)
                    self.end_headers()
                    return
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(owner.payload) - start))
                self.end_headers()
                self.wfile.write(owner.payload[start:])

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/dev-clean.tar.gz"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def archive(tmp_path) -> bytes:
    """The bytes of a dev-clean.tar.gz in the real layout (LibriSpeech/dev-clean/... plus a top-level text file)."""
    tree = make_librispeech(tmp_path / "tree")
    (tree / "SPEAKERS.TXT").write_text("; speaker list\n")
    with tarfile.open(tmp_path / "tree" / "dev-clean.tar.gz", "w:gz") as tar:
        tar.add(tree, arcname="LibriSpeech")
    return (tmp_path / "tree" / "dev-clean.tar.gz").read_bytes()


def test_download_checks_unpacks_and_reuses(tmp_path, archive):
    md5 = hashlib.md5(archive).hexdigest()
    with ArchiveServer(archive) as server:
        folder = corpora.download_librispeech("dev-clean", root=tmp_path / "data", url=server.url,
                                              known_hash=f"md5:{md5}", progress=False)
        assert folder == tmp_path / "data" / "LibriSpeech" / "dev-clean"
        assert len(corpora.load(f"librispeech:{folder}")) == 4
        assert (tmp_path / "data" / "LibriSpeech" / "SPEAKERS.TXT").is_file()
        assert not (tmp_path / "data" / "dev-clean.tar.gz").exists()  # deleted after unpacking
        again = corpora.download_librispeech("dev-clean", root=tmp_path / "data", url=server.url, progress=False)
    assert again == folder and len(server.requests) == 1  # an unpacked copy is used, nothing fetched


def test_checksum_failure_keeps_nothing(tmp_path, archive):
    wrong = "md5:" + hashlib.md5(archive + b"x").hexdigest()
    with ArchiveServer(archive) as server, pytest.raises(ChecksumError, match="does not match"):
        corpora.download_librispeech("dev-clean", root=tmp_path / "data", url=server.url, known_hash=wrong,
                                     progress=False)
    assert not list((tmp_path / "data").glob("dev-clean.tar.gz*"))
    assert not (tmp_path / "data" / "LibriSpeech").exists()


def test_interrupted_download_resumes_with_a_range_request(tmp_path, archive):
    target = tmp_path / "dev-clean.tar.gz"
    half = len(archive) // 2
    (tmp_path / "dev-clean.tar.gz.part").write_bytes(archive[:half])  # what an interrupted download left
    with ArchiveServer(archive) as server:
        fetch(server.url, target, "sha256:" + hashlib.sha256(archive).hexdigest(), progress=False)
    assert server.requests == [f"bytes={half}-"]
    assert target.read_bytes() == archive and not (tmp_path / "dev-clean.tar.gz.part").exists()


def test_server_without_ranges_starts_over(tmp_path, archive):
    target = tmp_path / "dev-clean.tar.gz"
    (tmp_path / "dev-clean.tar.gz.part").write_bytes(b"stale bytes of another attempt")
    with ArchiveServer(archive, ranges=False) as server:
        fetch(server.url, target, hashlib.sha256(archive).hexdigest(), progress=False)
    assert target.read_bytes() == archive


def test_complete_part_file_is_finished_without_refetching(tmp_path, archive):
    (tmp_path / "dev-clean.tar.gz.part").write_bytes(archive)
    with ArchiveServer(archive) as server:
        fetch(server.url, tmp_path / "dev-clean.tar.gz", hashlib.sha256(archive).hexdigest(), progress=False)
    assert server.requests == [f"bytes={len(archive)}-"]  # answered 416: nothing more to send
    assert (tmp_path / "dev-clean.tar.gz").read_bytes() == archive


def test_offline_error_says_what_to_fetch_and_where(tmp_path):
    with ArchiveServer(b"") as server:
        url = server.url
    with pytest.raises(CorpusNotFound) as caught:  # the server is gone: the connection is refused
        corpora.download_librispeech("test-clean", root=tmp_path / "data", url=url, progress=False)
    message = str(caught.value)
    assert url in message and str(tmp_path / "data") in message and "LibriSpeech/test-clean" in message


def test_published_checksums_and_hash_forms():
    assert set(librispeech.MD5) == set(librispeech.SIZES)
    assert set(librispeech.PRETRAINING_SUBSETS) | {librispeech.STIMULUS_SUBSET} <= set(librispeech.MD5)
    assert all(len(md5) == 32 and int(md5, 16) >= 0 for md5 in librispeech.MD5.values())
    assert parse_hash("ab12") == ("sha256", "ab12") and parse_hash("md5:ab12") == ("md5", "ab12")
    for bad in ("crc32:ab12", "md5:", "sha256:xyz"):
        with pytest.raises(ValueError, match="known_hash"):
            parse_hash(bad)
    with pytest.raises(ValueError, match="train-clean-100"):
        corpora.download_librispeech("dev-cleaner")


def test_the_full_profile_pretrains_on_train_clean_100_and_plays_test_clean_speakers(tmp_path, monkeypatch):
    from n2s_lite import autoencoder, experiment, profiles

    monkeypatch.setenv("N2S_CACHE", str(tmp_path))
    assert profiles.corpora_of("full") == {"pretrain": "librispeech:train-clean-100", "stimuli": "librispeech:test-clean"}
    assert profiles.corpora_of("standard") == {"pretrain": "asterisk", "stimuli": "asterisk"}
    with pytest.raises(CorpusNotFound, match="train-clean-100"):  # offline and no copy: says what to fetch
        monkeypatch.setattr(librispeech, "OPENSLR_URL", "http://127.0.0.1:9/{subset}.tar.gz")
        corpora.load(profiles.corpora_of("full")["pretrain"])
    for subset in ("train-clean-100", "test-clean"):  # a lab's copies, where the download would put them
        make_librispeech(librispeech.default_root(), subset)
    specs = profiles.corpora_of("full")
    pretrain, stimuli = corpora.load(specs["pretrain"]), corpora.load(specs["stimuli"])
    corpora.check_disjoint_speakers(pretrain, stimuli)
    assert pretrain.speakers == ("103", "1034") and stimuli.speakers == ("1089", "121")
    # the autoencoder of `full` is asked for on train-clean-100, the participant on test-clean
    asked = []
    monkeypatch.setattr(experiment, "_participant", lambda profile, seed, corpus, *rest: asked.append(corpus))
    experiment.participant("full")
    monkeypatch.setattr(autoencoder, "pretrained", lambda profile, corpus, seed, decoder: asked.append(corpus))
    experiment.pretrained_autoencoder("full")
    assert asked == ["librispeech:test-clean", "librispeech:train-clean-100"]


def test_a_subset_name_loads_the_copy_in_the_default_root(tmp_path, monkeypatch):
    monkeypatch.setenv("N2S_CACHE", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    make_librispeech(librispeech.default_root(), "test-clean")  # as download_librispeech leaves it
    corpus = corpora.load("librispeech:test-clean")
    assert corpus.speakers == ("1089", "121") and len(corpus) == 4
