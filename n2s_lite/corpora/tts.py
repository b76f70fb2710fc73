"""Synthetic speech: sentences spoken by espeak-ng, with exact transcripts. Fast, offline, deterministic.

Each sentence is spoken once, by one of several voices and speaking rates taken in turn, which act as
the corpus' "speakers". espeak-ng writes 22.05 kHz wav, resampled to 16 kHz by `audio.load_audio`.
The sentences were written for n2s-lite; they mix lengths, questions, numbers and most English phonemes.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..audio import load_audio
from ..errors import CorpusNotFound
from .corpus import Corpus, Utterance, cached_builder

SENTENCES = (
    "The kettle began to whistle just as the phone rang.",
    "Please close the window before the rain comes in.",
    "Seven small boats drifted slowly across the quiet bay.",
    "Where did you put the keys to the garden shed?",
    "A cold wind blew the last yellow leaves off the oak.",
    "She measured the flour twice and still got it wrong.",
    "Our train leaves at a quarter past nine tomorrow morning.",
    "The museum keeps its oldest maps in a dark, dry room.",
    "He could hear the river long before he could see it.",
    "Thick fog delayed every flight out of the northern airport.",
    "Do you think the bakery opens early on Sundays?",
    "The children built a tall tower out of wooden blocks.",
    "A jar of honey sat forgotten at the back of the shelf.",
    "Fresh paint makes the old fence look almost new.",
    "The orchestra tuned their instruments in near silence.",
    "Thirty-two students signed up for the evening class.",
    "My neighbour grows tomatoes, beans and sweet peppers.",
    "The lighthouse keeper wrote a letter every single week.",
    "Could you speak a little louder, please?",
    "Heavy snow closed the mountain pass for three days.",
    "The cat watched the birds from the warm windowsill.",
    "A sudden gust of wind slammed the heavy door shut.",
    "They shared a pot of tea and talked until midnight.",
    "The bridge was painted bright red to be seen in fog.",
    "Nobody noticed that the clock had stopped at noon.",
    "Thin clouds moved quickly across the pale blue sky.",
    "The chef tasted the soup and added a pinch of salt.",
    "Which road leads to the village by the lake?",
    "Her bicycle has a basket, a bell and a bright lamp.",
    "The old library smells of dust, leather and polish.",
    "We found a tiny shell with a perfect spiral inside.",
    "The engine coughed twice and then started smoothly.",
    "Each player rolls the dice and moves the same number.",
    "The farmer checked the fences after the storm passed.",
    "Rain drummed softly on the roof of the wooden cabin.",
    "A careful reader will notice the missing page.",
    "The doctor asked him to breathe in slowly and hold it.",
    "Golden light filled the valley just before sunset.",
    "How many languages can your grandmother speak?",
    "The puppy chased its own tail around the kitchen.",
    "Workers repaired the broken pipe under the street.",
    "Eight hundred people gathered in the town square.",
    "The recipe calls for two eggs and a cup of milk.",
    "She whispered the answer so the others would not hear.",
    "The wooden stairs creaked under every careful step.",
    "Bright stars appeared one by one over the desert.",
    "The mechanic wiped his hands on an oily rag.",
    "Is this the right platform for the coastal train?",
    "The garden gate was locked, so we climbed the wall.",
    "A flock of geese flew south in a long, wavering line.",
    "The teacher drew a large circle on the blackboard.",
    "Salt water slowly rusts the chain of the old anchor.",
    "They painted the nursery a soft shade of green.",
    "The judge listened closely to both sides of the story.",
    "Warm bread and butter make a simple, perfect breakfast.",
    "A thin crack ran all the way across the frozen pond.",
    "The pilot announced that we would land in twenty minutes.",
    "Why does the moon look larger near the horizon?",
    "The jazz band played until the lights went out.",
    "Quiet patience often solves what hurry cannot.",
)
# (espeak-ng voice, words per minute): the voices and rates taken in turn
VOICES = (("en-us", 160), ("en-us+f3", 145), ("en-gb-x-rp+m3", 170), ("en-us+f2", 175), ("en-gb+f4", 150))
INSTALL_HINT = "sudo apt-get install espeak-ng"


def load_tts(n: int = len(SENTENCES)) -> Corpus:
    """Synthesise the first `n` built-in sentences as a `Corpus` named 'tts' (cached per process)."""
    if not 1 <= n <= len(SENTENCES):
        raise ValueError(f"n must be between 1 and {len(SENTENCES)}, got {n}")
    executable = shutil.which("espeak-ng")
    if executable is None:
        raise CorpusNotFound(f"espeak-ng is not installed, so the 'tts' corpus cannot be made: {INSTALL_HINT}")
    return _build_corpus(executable, n)


@cached_builder
def _build_corpus(executable: str, n: int) -> Corpus:
    utterances = []
    with tempfile.TemporaryDirectory(prefix="n2s-tts-") as folder:
        for index, text in enumerate(SENTENCES[:n]):
            voice, rate = VOICES[index % len(VOICES)]
            wav = Path(folder) / f"{index}.wav"
            synthesise(executable, text, voice, rate, wav)
            utterances.append(Utterance(f"tts-{index:03d}", voice, text, load_audio(wav)))
    return Corpus("tts", tuple(utterances), license="synthetic: sentences written for n2s-lite, spoken by espeak-ng",
                  source=f"espeak-ng ({executable})")


def synthesise(executable: str, text: str, voice: str, rate: int, wav: Path) -> None:
    """Write `text` spoken by an espeak-ng voice at `rate` words per minute to the wav file `wav`."""
    command = [executable, "-w", str(wav), "-v", voice, "-s", str(rate), text]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 or not wav.is_file():
        raise RuntimeError(f"espeak-ng failed ({' '.join(command)}): {result.stderr.strip()}")
