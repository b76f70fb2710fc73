"""Tests of n2s_lite.corpora on tiny corpora made here (G.722 prompts, folders, LibriSpeech: tests/test_librispeech.py)."""
from __future__ import annotations

import gzip
import shutil

import G722
import numpy as np
import pytest
import soundfile as sf

from n2s_lite import cli, corpora, io
from n2s_lite.audio import SAMPLE_RATE
from n2s_lite.corpora import asterisk, tts
from n2s_lite.errors import CorpusNotFound, InputError


@pytest.fixture(autouse=True)
def fresh_cache():
    corpora.clear_cache()
    yield
    corpora.clear_cache()


def tone(seconds: float, rate: int = SAMPLE_RATE, frequency: float = 440.0, amplitude: float = 0.25) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def dominant_frequency(wave: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(wave))
    return float(np.fft.rfftfreq(len(wave), 1 / SAMPLE_RATE)[spectrum.argmax()])


def fake_corpus(n: int, name: str = "fake") -> corpora.Corpus:
    """n utterances of 10 ms, each its own sentence."""
    return corpora.Corpus(name, [corpora.Utterance(f"utt{i:04d}", f"spk{i % 3}", f"Sentence number {i}.",
                                                   np.zeros(160, np.float32)) for i in range(n)])


# ---------------------------------------------------------------- Utterance, Corpus, splits

def test_utterance_audio_is_read_only_float32_copy():
    source = np.zeros(320, np.float64)
    utterance = corpora.Utterance("a", "s", "hi", source)
    assert utterance.audio.dtype == np.float32 and utterance.duration == pytest.approx(320 / SAMPLE_RATE)
    with pytest.raises(ValueError):
        utterance.audio[0] = 1.0
    source[0] = 1.0
    assert utterance.audio[0] == 0.0


def test_utterance_rejects_multichannel_audio():
    with pytest.raises(InputError, match="'audio'"):
        corpora.Utterance("stereo", "s", "hi", np.zeros((10, 2), np.float32))


def test_duplicate_ids_are_rejected():
    utterance = corpora.Utterance("same", "s", "hi", np.zeros(10, np.float32))
    with pytest.raises(InputError, match="same"):
        corpora.Corpus("dup", [utterance, utterance])


def test_duration_and_summary():
    corpus = corpora.Corpus("two", [corpora.Utterance("a", "x", "one", np.zeros(24_000, np.float32)),
                                    corpora.Utterance("b", "y", "two", np.zeros(72_000, np.float32))],
                            license="CC0", source="made here")
    assert corpus.duration == pytest.approx(6.0)
    assert corpus.summary() == dict(name="two", n_utterances=2, n_speakers=2, minutes=0.1, license="CC0",
                                    source="made here", n_skipped=0)
    assert [u.id for u in corpus] == ["a", "b"] and corpus[1].text == "two" and len(corpus) == 2


def test_split_is_deterministic_disjoint_and_complete():
    corpus = fake_corpus(200)
    parts = {name: corpus.split(name) for name in ("train", "val", "test")}
    assert [u.id for u in corpus.split("train")] == [u.id for u in parts["train"]]
    # the same parts in every process and on every machine (a hash of the sentence, not Python's salted hash)
    assert parts["test"].ids[:6] == ("utt0011", "utt0013", "utt0042", "utt0051", "utt0055", "utt0084")
    ids = [set(part.ids) for part in parts.values()]
    assert sum(map(len, ids)) == len(set.union(*ids)) == 200
    for name, fraction in (("train", 0.8), ("val", 0.1), ("test", 0.1)):
        assert abs(len(parts[name]) / 200 - fraction) < 0.08, name
    assert parts["test"].name == "fake/test"


def test_split_does_not_depend_on_order_or_on_other_utterances():
    corpus = fake_corpus(200)
    reordered = corpora.Corpus("fake", reversed(corpus.utterances[:150]))
    assert set(reordered.split("test").ids) == set(corpus.split("test").ids) & set(reordered.ids)


def test_unknown_split_name():
    with pytest.raises(ValueError, match="train"):
        fake_corpus(5).split("training")


def test_partition_fractions_and_salt():
    corpus = fake_corpus(200)
    parts = corpus.partition({"a": 0.6, "b": 0.4}, salt="one")
    assert abs(len(parts["a"]) / 200 - 0.6) < 0.1 and len(parts["a"]) + len(parts["b"]) == 200
    assert not set(parts["a"].ids) & set(parts["b"].ids)
    assert set(corpus.partition({"a": 0.6, "b": 0.4}, salt="two")["a"].ids) != set(parts["a"].ids)


def test_partition_may_leave_a_remainder_out():
    parts = fake_corpus(200).partition({"small": 0.2}, salt="x")
    assert 0.1 < len(parts["small"]) / 200 < 0.3


@pytest.mark.parametrize("fractions", [{"a": 0.7, "b": 0.4}, {"a": -0.1, "b": 1.1}, {}])
def test_partition_rejects_bad_fractions(fractions):
    with pytest.raises(ValueError, match="fractions"):
        fake_corpus(5).partition(fractions, salt="x")


def test_recordings_of_one_sentence_stay_together():
    texts = ["Thank you.", "thank you", "Thank  you!"] + [f"Sentence {i}." for i in range(60)]
    corpus = corpora.Corpus("rep", [corpora.Utterance(f"u{i}", "s", text, np.zeros(16, np.float32))
                                    for i, text in enumerate(texts)])
    for parts in (corpus.partition({"x": 0.5, "y": 0.5}, salt=salt) for salt in ("split", "role", "z")):
        assert sum({"u0", "u1", "u2"} <= set(part.ids) for part in parts.values()) == 1


def test_pretraining_on_one_corpus_never_hears_the_stimuli_of_another():
    """Two corpora sharing half their sentences (other speakers, other punctuation): whatever one pre-trains
    on is never a stimulus of the other, because each sentence's side is decided by its words alone."""
    def corpus(name, texts):
        return corpora.Corpus(name, [corpora.Utterance(f"{name}{i}", name, text, np.zeros(16, np.float32))
                                     for i, text in enumerate(texts)])

    shared = [f"Shared sentence {i}" for i in range(100)]
    first = corpus("a", shared + [f"Only in a {i}" for i in range(100)])
    second = corpus("b", [text.upper() + "!" for text in shared] + [f"Only in b {i}" for i in range(100)])
    pretrained = {u.sentence for u in corpora.pretraining_and_stimuli(first)[0]}
    heard = {u.sentence for u in corpora.pretraining_and_stimuli(second)[1]}
    assert len(heard & {u.sentence for u in first}) > 20  # the stimuli do include shared sentences ...
    assert not pretrained & heard  # ... but never one that was pre-trained on


def test_pretraining_and_stimuli_are_disjoint():
    corpus = fake_corpus(200)
    pretrain, stimuli = corpora.pretraining_and_stimuli(corpus)
    assert not set(pretrain.ids) & set(stimuli.ids)
    assert not {u.sentence for u in pretrain} & {u.sentence for u in stimuli}
    assert len(pretrain) + len(stimuli) == 200 and abs(len(stimuli) / 200 - 0.4) < 0.1
    assert set(stimuli.ids) == set(corpus.partition({"p": 0.6, "s": 0.4}, salt="role")["s"].ids)
    fewer_stimuli = corpora.pretraining_and_stimuli(corpus, pretrain=0.8, stimuli=0.2)[1]
    assert len(fewer_stimuli) < len(stimuli)


def test_unknown_spec_lists_the_kinds():
    with pytest.raises(ValueError, match="folder:PATH") as error:
        corpora.load("timit")
    assert all(kind.split(":")[0].split("[")[0] in str(error.value) for kind in corpora.KINDS)
    with pytest.raises(ValueError, match="folder:PATH"):
        corpora.load("folder")


# ---------------------------------------------------------------- asterisk

def write_g722(path, wave: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(G722.G722(SAMPLE_RATE, 64_000).encode((wave * 32767).astype(np.int16)))


@pytest.fixture
def asterisk_dir(tmp_path):
    """Two spoken prompts (one in a subfolder), a tone, and a file without transcript."""
    root = tmp_path / "en_US_f_Allison"
    write_g722(root / "hello.g722", tone(0.5, frequency=440))
    write_g722(root / "digits" / "1.g722", tone(0.25, frequency=1000))
    write_g722(root / "beep.g722", tone(0.1))
    write_g722(root / "orphan.g722", tone(0.1))
    transcript = ("; Core sounds\n\nhello: Hello there [friendly].\ndigits/1: one\nbeep: [a beep tone]\n"
                  "not-recorded: Nobody recorded this.\n")
    with gzip.open(root / asterisk.transcript_name("en"), "wt", encoding="utf-8") as handle:
        handle.write(transcript)
    return root


@pytest.fixture
def french_dir(tmp_path):
    """The French voice's layout: the same file names as English, French transcripts."""
    root = tmp_path / "fr_CA_f_June"
    write_g722(root / "hello.g722", tone(0.3, frequency=600))
    write_g722(root / "digits" / "1.g722", tone(0.2, frequency=800))
    with gzip.open(root / asterisk.transcript_name("fr"), "wt", encoding="utf-8") as handle:
        handle.write("; Core Asterisk Sounds in French\nhello: Bonjour, ça va ?\ndigits/1: un\n")
    return root


def test_asterisk_fixture_loads(asterisk_dir):
    corpus = corpora.load_asterisk(asterisk_dir)
    assert corpus.name == "asterisk" and corpus.ids == ("digits/1", "hello")
    assert [u.text for u in corpus] == ["one", "Hello there."]
    assert corpus.speakers == ("allison",) and corpus.n_skipped == 2
    assert [u.duration for u in corpus] == pytest.approx([0.25, 0.5])
    hello = corpus[1].audio
    assert dominant_frequency(hello) == pytest.approx(440, abs=5)
    assert dominant_frequency(corpus[0].audio) == pytest.approx(1000, abs=10)
    assert 0.2 < np.abs(hello).max() < 0.3
    assert corpus.summary()["n_skipped"] == 2 and "CC BY-SA 3.0" in corpus.license


def test_asterisk_root_from_environment_and_spec(asterisk_dir, monkeypatch):
    monkeypatch.setenv(asterisk.ROOT_ENV, str(asterisk_dir))
    from_env = corpora.load("asterisk")
    assert from_env.ids == ("digits/1", "hello")
    assert corpora.load("asterisk") is from_env
    assert corpora.load(f"asterisk:{asterisk_dir}") is from_env


@pytest.mark.parametrize("content", [b"", b"RIFF\x24\x00\x00\x00WAVEfmt "])
def test_asterisk_corrupt_file_is_named(asterisk_dir, content):
    (asterisk_dir / "hello.g722").write_bytes(content)
    with pytest.raises(InputError, match="hello.g722"):
        corpora.load_asterisk(asterisk_dir)


def test_asterisk_bad_transcript_line_is_named(asterisk_dir, tmp_path):
    transcripts = tmp_path / "bad.txt"
    transcripts.write_text("hello: Hello.\nthis line has no colon\n")
    with pytest.raises(InputError, match=r"bad.txt.*line 2"):
        corpora.load_asterisk(asterisk_dir, transcripts=transcripts)


def test_asterisk_transcripts_with_byte_order_mark(asterisk_dir, tmp_path):
    # the Italian package's transcript file starts with a UTF-8 BOM before its first comment
    transcripts = tmp_path / "bom.txt"
    transcripts.write_text("\ufeff; Core sounds\nhello: Ciao.\ndigits/1: uno\n", encoding="utf-8")
    assert asterisk.read_transcripts(transcripts) == {"hello": "Ciao.", "digits/1": "uno"}
    assert [u.text for u in corpora.load_asterisk(asterisk_dir, transcripts=transcripts)] == ["uno", "Ciao."]


def test_asterisk_missing_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv(asterisk.ROOT_ENV, str(tmp_path / "not-installed"))
    with pytest.raises(CorpusNotFound) as error:
        corpora.load("asterisk")
    message = str(error.value)
    assert "sudo apt-get install asterisk-core-sounds-en-g722 asterisk-core-sounds-en" in message
    assert "'tts'" in message and "'folder:PATH'" in message


def test_other_language_has_its_own_name_ids_speaker_and_licence(french_dir):
    french = corpora.load(f"asterisk-fr:{french_dir}")
    assert french.name == "asterisk-fr" and french.ids == ("fr/digits/1", "fr/hello")
    assert [u.text for u in french] == ["un", "Bonjour, ça va ?"] and french.speakers == ("june",)
    assert "June Wallack" in french.license and "asterisk-core-sounds-fr-g722" in french.source
    assert dominant_frequency(french[1].audio) == pytest.approx(600, abs=5)
    assert corpora.load_asterisk(french_dir, language="fr") is french  # the same cached corpus


def test_languages_combine_into_one_corpus(asterisk_dir, french_dir):
    both = corpora.load([f"asterisk:{asterisk_dir}", f"asterisk-fr:{french_dir}"])
    assert both.name == "asterisk+asterisk-fr" and len(both) == 4
    assert both.ids == ("digits/1", "hello", "fr/digits/1", "fr/hello")
    assert both.speakers == ("allison", "june") and both.n_skipped == 2
    assert "Allison Smith" in both.license and "June Wallack" in both.license
    # a sentence keeps its side of the pre-training / stimuli split when corpora are combined
    alone = corpora.pretraining_and_stimuli(corpora.load_asterisk(asterisk_dir))
    combined = corpora.pretraining_and_stimuli(both)
    for part_alone, part_combined in zip(alone, combined):
        assert set(part_alone.ids) <= set(part_combined.ids)


def test_cli_simulates_listening_to_several_corpora(asterisk_dir, french_dir, tmp_path, capsys):
    out = tmp_path / "sim.h5"
    assert cli.main(["simulate", "--corpus", f"asterisk:{asterisk_dir}", f"asterisk-fr:{french_dir}",
                     "--minutes", "0.1", "--electrodes", "4", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    played = set(io.load(out).trials["stimulus_id"])
    assert played <= {"digits/1", "hello", "fr/digits/1", "fr/hello"} and any(i.startswith("fr/") for i in played)


def test_combine_needs_unique_ids_and_at_least_one_corpus():
    with pytest.raises(InputError, match="duplicates"):
        corpora.combine([fake_corpus(3, "a"), fake_corpus(2, "b")])
    with pytest.raises(ValueError, match="at least one"):
        corpora.combine([])
    single = fake_corpus(2)
    assert corpora.combine([single]) is single


def test_unknown_language_and_missing_voice_are_explained(tmp_path):
    with pytest.raises(ValueError, match="asterisk-fr"):
        corpora.load("asterisk-xx")
    with pytest.raises(ValueError, match="language must be one of"):
        corpora.load_asterisk(tmp_path, language="xx")
    with pytest.raises(CorpusNotFound, match="apt-get install asterisk-core-sounds-ru-g722 asterisk-core-sounds-ru"):
        corpora.load(f"asterisk-ru:{tmp_path / 'not-installed'}")


def test_sentence_key_keeps_words_of_any_script():
    assert corpora.corpus.sentence_key("Hello, there! [beep] 2") == "hello there beep 2"
    assert corpora.corpus.sentence_key("Bonjour, ça va ?") == "bonjour ça va"
    assert corpora.corpus.sentence_key("Введите номер.") == "введите номер"
    assert corpora.corpus.sentence_key("... !") == ""
    # two recordings of one Russian sentence hash alike, so they always share a split
    first, second = (corpora.Utterance(i, "s", text, np.zeros(16, np.float32))
                     for i, text in [("a", "Введите номер."), ("b", "введите номер")])
    assert first.sentence == second.sentence == "введите номер"
    assert corpora.Utterance("c", "s", "...", np.zeros(16, np.float32)).sentence == "c"


def test_spoken_text_removes_annotations():
    assert asterisk.spoken_text("at [@]") == "at"
    assert asterisk.spoken_text("IAX (note: does not say \"2\")") == "IAX"
    assert asterisk.spoken_text("(5 seconds of silence)") == asterisk.spoken_text("[ascending tones]") == ""


@pytest.mark.parametrize("language", [language for language in asterisk.VOICES if language != "en"])
def test_real_asterisk_languages(language):
    if not (asterisk.SOUNDS_DIR / asterisk.VOICES[language].folder).is_dir():
        pytest.skip(f"asterisk-core-sounds-{language}-g722 is not installed")
    corpus = corpora.load(f"asterisk-{language}")
    assert corpus.name == f"asterisk-{language}" and len(corpus) > 300 and corpus.duration > 10 * 60
    assert all(i.startswith(f"{language}/") for i in corpus.ids) and all(u.text for u in corpus)
    assert not any(u.sentence == u.id for u in corpus)  # words found in every script (Cyrillic too)


@pytest.mark.skipif(not asterisk.DEFAULT_ROOT.is_dir(), reason="asterisk-core-sounds-en-g722 is not installed")
def test_real_asterisk_corpus(monkeypatch):
    monkeypatch.delenv(asterisk.ROOT_ENV, raising=False)
    corpus = corpora.load("asterisk")
    assert len(corpus) > 500 and 15 < corpus.duration / 60 < 35
    assert corpus.n_skipped > 0 and all(u.text for u in corpus)
    assert all(u.audio.dtype == np.float32 and np.abs(u.audio).max() <= 1.0 for u in corpus)
    pretrain, stimuli = corpora.pretraining_and_stimuli(corpus)
    assert not {u.sentence for u in pretrain} & {u.sentence for u in stimuli}


# ---------------------------------------------------------------- folder

@pytest.fixture
def speech_folder(tmp_path):
    root = tmp_path / "my_speech"
    (root / "anna").mkdir(parents=True)
    sf.write(root / "anna" / "a.wav", tone(0.5, rate=22_050), 22_050)
    (root / "anna" / "a.txt").write_text("  Hello\nworld \n")
    sf.write(root / "anna" / "b.flac", tone(0.25, frequency=1000), SAMPLE_RATE)
    sf.write(root / "c.wav", tone(0.3), SAMPLE_RATE)
    (root / "notes.md").write_text("not audio")
    return root


def test_folder_loads_wav_and_flac_at_16k(speech_folder):
    corpus = corpora.load(f"folder:{speech_folder}")
    assert corpus.name == "folder:my_speech" and corpus.ids == ("anna/a", "anna/b", "c")
    assert [u.speaker for u in corpus] == ["anna", "anna", "unknown"]
    assert [u.text for u in corpus] == ["Hello world", "", ""]
    assert [len(u.audio) for u in corpus] == [8_000, 4_000, 4_800]
    assert dominant_frequency(corpus[0].audio) == pytest.approx(440, abs=5)


def test_folder_unreadable_file_is_named(speech_folder):
    (speech_folder / "anna" / "broken.wav").write_bytes(b"this is not a wav file")
    with pytest.raises(InputError, match="broken.wav"):
        corpora.load_folder(speech_folder)


def test_folder_file_with_nan_samples_is_named(speech_folder):
    wave = tone(0.2)
    wave[50] = np.nan
    sf.write(speech_folder / "anna" / "glitch.wav", wave, SAMPLE_RATE, subtype="FLOAT")
    with pytest.raises(InputError, match="glitch.wav") as error:
        corpora.load(f"folder:{speech_folder}")
    assert error.value.field == "samples"


def test_folder_missing_or_empty(tmp_path):
    with pytest.raises(CorpusNotFound, match="nowhere"):
        corpora.load_folder(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="empty"):
        corpora.load_folder(tmp_path / "empty")


def test_loading_twice_is_cached_until_cleared(speech_folder):
    first = corpora.load(f"folder:{speech_folder}")
    assert corpora.load_folder(speech_folder) is first
    corpora.clear_cache()
    assert corpora.load_folder(speech_folder) is not first


# ---------------------------------------------------------------- tts

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


@needs_espeak
def test_tts_is_deterministic_speech_with_exact_transcripts():
    corpus = corpora.load("tts", n=3)
    assert corpus.name == "tts" and [u.text for u in corpus] == list(tts.SENTENCES[:3])
    assert len(corpus.speakers) == 3
    assert all(1.0 < u.duration < 8.0 and 0.05 < np.abs(u.audio).max() <= 1.0 for u in corpus)
    corpora.clear_cache()
    again = corpora.load_tts(n=3)
    assert again is not corpus and all(np.array_equal(a.audio, b.audio) for a, b in zip(corpus, again))


def test_tts_sentences_are_distinct_and_enough():
    assert len(tts.SENTENCES) >= 50
    sentences = {corpora.Utterance("x", "s", text, np.zeros(1)).sentence for text in tts.SENTENCES}
    assert len(sentences) == len(tts.SENTENCES)


def test_tts_without_espeak_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CorpusNotFound, match="apt-get install espeak-ng"):
        corpora.load("tts", n=2)


def test_tts_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n must be"):
        corpora.load_tts(n=0)
    with pytest.raises(ValueError, match="no path"):
        corpora.load("tts:somewhere")
