"""Run profiles: how big each experiment is, and every setting of each in one table.

- smoke: everything on 2 CPU cores in minutes (CI, nbval).
- standard: meaningful results on a 2-core CPU; the committed figures come from it.
- full: paper scale, for one GPU.

`SETTINGS[profile]` holds five sections: "corpora" (the speech phase 1 learns from and the speech the
simulated participant hears, `corpora_of`), "experiment" (the phase-2 comparison, `methods.settings`),
"autoencoder" (phase 1, `autoencoder.pretrain`), "vocoder" (`vocoder.pretrain`) and "refinement" (the
brain-refined latent, `refine.refine`). Each of those modules reads its section through a `Section` view
(`methods.PROFILES`, `autoencoder.PROFILES`, `vocoder.PROFILES`, `refine.PROFILES`).
Change a setting for this process with `apply("smoke", {"experiment.training.max_epochs": 1})`; from the
command line `n2s bench --set experiment.training.max_epochs=1`; in a notebook run by papermill, by passing
its `settings` parameter (the same dict) to `apply`. Worker processes of `parallel.map_in_workers` get the
changed table.
A changed setting changes the cache key of what it trains, so cached products are never mixed up.
"""
from __future__ import annotations

import copy
import os
from collections.abc import MutableMapping

PROFILES = ("smoke", "standard", "full")
SECTIONS = ("corpora", "experiment", "autoencoder", "vocoder", "refinement")

SETTINGS = {
    "smoke": dict(
        # corpus specs (`corpora.load`): phase 1 learns from the pre-training half of `pretrain`, the simulated
        # participant hears the stimulus half of `stimuli` (`corpora.pretraining_and_stimuli`)
        corpora=dict(pretrain="asterisk", stimuli="asterisk"),
        # minutes of simulated listening, electrodes, training seeds of the bench, the autoencoder profile of
        # phase 1, the optimisation budget shared by every network, network sizes, phase-2 loss weights
        # (`adaptor.LossWeights`), Griffin-Lim iterations, held-out utterances for the autoencoder's
        # resynthesis quality
        experiment=dict(
            minutes=3.0, n_electrodes=32, seeds=(0,), autoencoder="smoke",
            training=dict(window=128, batch_size=8, max_epochs=3, patience=2, schedule="cosine"),
            adaptor=dict(channels=24, hidden=32), loss=dict(), mlp=dict(hidden=64),
            lstm_cnn=dict(channels=24, hidden=32), griffin_lim_iters=8, autoencoder_test_utterances=4),
        # model size, crop length (frames at 100 Hz), batches, optimisation; smoke trains in ~30 s on one core;
        # pitch_weight, voicing_weight, formant_weight: a synthesizer decoder's supervision by pYIN's pitch
        # (`synth.pitch.pitch_loss`) and LPC's formants (`synth.formants.formant_loss`); all 0: spectral loss
        # alone; synth_blocks: residual blocks in a synthesizer decoder's controls network (`SynthesizerDecoder`)
        autoencoder=dict(channels=48, blocks=2, latent_dim=32, stride=2, crop_frames=128, batch_size=8,
                         steps_per_epoch=20, max_epochs=6, patience=3, lr=3e-3, gain_db=6.0, max_utterances=60,
                         pitch_weight=1.0, voicing_weight=0.1, formant_weight=1.0, synth_blocks=0),
        # network size, crop length (frames at 100 Hz), batches, optimisation; smoke trains in seconds
        vocoder=dict(channels=32, blocks=1, crop_frames=64, batch_size=4, steps_per_epoch=10, max_epochs=2,
                     patience=2, lr=2e-3, max_utterances=30),
        # crops of the training trials (frames), batch size; epochs and learning rate of each stage (1: the
        # encoding head alone, 2: head and autoencoder); l2 on the head's weights; weight of the reconstruction
        # loss in stage 2
        refinement=dict(crop_frames=128, batch_size=8, head_epochs=3, joint_epochs=3, head_lr=3e-3, joint_lr=3e-4,
                        patience=2, l2=1e-3, reconstruction=1.0)),
    "standard": dict(
        corpora=dict(pretrain="asterisk", stimuli="asterisk"),
        experiment=dict(
            minutes=20.0, n_electrodes=64, seeds=(0, 1, 2), autoencoder="standard",
            # cosine decay and patience 10 chosen on validation trials (transfer 0.644 +- 0.008 vs 0.637 +- 0.018
            # with a constant rate and patience 5, MLP 0.629 +- 0.002 vs 0.617 +- 0.002; 3 seeds)
            training=dict(window=200, batch_size=16, max_epochs=30, patience=10, schedule="cosine"),
            # latent alignment off: validation spectrogram r 0.641 without it vs 0.632 (weight 0.3), seed 0;
            # intelligibility weight 0.2: validation ESTOI 0.231 vs 0.165 without, r 0.642 vs 0.645 (seeds 0/1)
            adaptor=dict(channels=64, hidden=96), loss=dict(latent=0.0, intelligibility=0.2), mlp=dict(hidden=256),
            # 16 Griffin-Lim iterations: ESTOI of the true test mels 0.908 vs 0.915 with 32 (bench ceilings), at
            # half the vocoding time of the ~1000 waveforms a bench scores
            lstm_cnn=dict(channels=64, hidden=96), griffin_lim_iters=16, autoencoder_test_utterances=40),
        autoencoder=dict(channels=128, blocks=3, latent_dim=48, stride=2, crop_frames=160, batch_size=16,
                         steps_per_epoch=100, max_epochs=24, patience=4, lr=2e-3, gain_db=6.0, max_utterances=None,
                         pitch_weight=1.0, voicing_weight=0.1, formant_weight=1.0, synth_blocks=0),
        vocoder=dict(channels=128, blocks=3, crop_frames=200, batch_size=16, steps_per_epoch=100, max_epochs=10,
                     patience=3, lr=2e-3, max_utterances=None),
        refinement=dict(crop_frames=200, batch_size=16, head_epochs=20, joint_epochs=20, head_lr=3e-3,
                        joint_lr=3e-4, patience=4, l2=1e-3, reconstruction=1.0)),
    "full": dict(
        # as Neural2Speech: hours of many speakers in phase 1 (LibriSpeech train-clean-100, downloaded on first
        # use), sentences of speakers phase 1 never heard for the participant (test-clean; LibriSpeech's
        # subsets are disjoint by speaker)
        corpora=dict(pretrain="librispeech:train-clean-100", stimuli="librispeech:test-clean"),
        experiment=dict(
            minutes=20.0, n_electrodes=64, seeds=(0, 1, 2, 3, 4), autoencoder="full",
            training=dict(window=300, batch_size=32, max_epochs=200, patience=20, lr=1e-3, schedule="cosine"),
            adaptor=dict(channels=128, hidden=256), loss=dict(), mlp=dict(hidden=512),
            lstm_cnn=dict(channels=128, hidden=256), griffin_lim_iters=64, autoencoder_test_utterances=None),
        autoencoder=dict(channels=256, blocks=4, latent_dim=64, stride=2, crop_frames=256, batch_size=32,
                         steps_per_epoch=200, max_epochs=200, patience=15, lr=1e-3, gain_db=6.0, max_utterances=None,
                         pitch_weight=1.0, voicing_weight=0.1, formant_weight=1.0, synth_blocks=0),
        vocoder=dict(channels=256, blocks=6, crop_frames=256, batch_size=32, steps_per_epoch=200, max_epochs=60,
                     patience=8, lr=1e-3, max_utterances=None),
        refinement=dict(crop_frames=300, batch_size=32, head_epochs=50, joint_epochs=50, head_lr=1e-3,
                        joint_lr=1e-4, patience=8, l2=1e-3, reconstruction=1.0)),
}


def resolve(profile: str | None = None) -> str:
    """Profile name from the argument, else $N2S_PROFILE, else 'smoke'; 'auto' is 'full' on CUDA, else 'standard'."""
    profile = profile or os.environ.get("N2S_PROFILE", "smoke")
    if profile == "auto":
        import torch

        return "full" if torch.cuda.is_available() else "standard"
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES + ('auto',)}, got {profile!r}")
    return profile


class Section(MutableMapping):
    """{profile: settings dict} of one section of `SETTINGS`, read and written in place. A profile registered
    here that the table lacks (e.g. an autoencoder variant of a validation run) gets a row of its own."""

    def __init__(self, name: str):
        self.name = name

    def __getitem__(self, profile: str) -> dict:
        return SETTINGS[profile][self.name]

    def __setitem__(self, profile: str, settings: dict) -> None:
        SETTINGS.setdefault(profile, {})[self.name] = settings

    def __delitem__(self, profile: str) -> None:
        del SETTINGS[profile][self.name]
        if not SETTINGS[profile]:
            del SETTINGS[profile]

    def __iter__(self):
        return (profile for profile, row in SETTINGS.items() if self.name in row)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"Section({self.name!r}: {dict(self)})"


def corpus_spec(specs):
    """A corpus spec as the package's cached products take it: one spec stays a string (so the default corpus keeps its
    cache keys), several become a tuple (hashable, for the in-process caches). 'asterisk', ['a', 'b'] -> ('a', 'b')."""
    if isinstance(specs, str):
        return specs
    specs = tuple(specs)
    return specs[0] if len(specs) == 1 else specs


def corpora_of(profile: str, corpus=None) -> dict:
    """{'pretrain': spec, 'stimuli': spec} of a run: `corpus` (a spec or several) for both when given, else the
    profile's "corpora" section (asterisk for smoke and standard; LibriSpeech for full)."""
    if corpus is not None:
        return dict(pretrain=corpus_spec(corpus), stimuli=corpus_spec(corpus))
    row = lookup(SETTINGS, profile, "corpora")
    if "corpora" not in row:
        raise ValueError(f"profile {profile!r} has no corpora section (only {sorted(row)}): pass the corpus")
    return {role: corpus_spec(spec) for role, spec in row["corpora"].items()}


def lookup(table, profile: str, owner: str) -> dict:
    """table[profile], the settings `owner` (e.g. "autoencoder") keeps for that profile; an unknown name
    raises a ValueError that lists the known ones."""
    if profile not in table:
        raise ValueError(f"{owner} profile must be one of {sorted(table)}, got {profile!r}")
    return table[profile]


def parse_value(text: str):
    """'60' -> 60, '0.5' -> 0.5, 'true' -> True, 'none' -> None, anything else stays a string."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_changes(texts) -> dict:
    """['a.b=60', ...] (command-line KEY=VALUE words) -> {'a.b': 60, ...}; a word without '=' is a ValueError."""
    changes = {}
    for text in texts:
        path, equals, value = text.partition("=")
        if not equals or not all(path.split(".")):
            raise ValueError(f"{text!r}: expected KEY=VALUE or SECTION.KEY=VALUE")
        changes[path] = parse_value(value)
    return changes


def with_changes(settings: dict, changes: dict, what: str = "profile") -> dict:
    """A deep copy of `settings` with {'a.b': value} changes (dotted paths into nested dicts). A new key is
    allowed only inside an existing section (e.g. experiment.adaptor.fine_tune); a typo in a section or
    top-level name is a ValueError that lists the known ones."""
    changed = copy.deepcopy(settings)
    for path, value in changes.items():
        keys, section = path.split("."), changed
        for depth, key in enumerate(keys[:-1]):
            if not isinstance(section.get(key), dict):
                raise ValueError(f"{path!r}: {'.'.join(keys[:depth + 1])} is not a section of the {what} settings "
                                 f"(sections: {sorted(k for k, v in section.items() if isinstance(v, dict))})")
            section = section[key]
        if len(keys) == 1 and keys[0] not in section:
            raise ValueError(f"{path!r}: unknown {what} setting {keys[0]!r} (known: {sorted(section)})")
        section[keys[-1]] = value
    return changed


def checked_changes(profile: str, changes) -> dict:
    """{'section.key[.key]': value} (e.g. {'experiment.training.max_epochs': 1, 'vocoder.lr': 1e-3}) or command-line
    words ['experiment.training.max_epochs=1', ...] -> the {path: value} dict, once every path is checked to be a
    section name (`SECTIONS`) of the profile and a path in it (as `with_changes` checks them); nothing changes."""
    changes = _as_dict(changes)
    _changed_sections(profile, changes)
    return changes


def _as_dict(changes) -> dict:
    """Command-line words ['a.b=1', ...] (`parse_changes`) or a dict (None: no change) -> {path: value}."""
    return parse_changes(changes) if isinstance(changes, (list, tuple)) else dict(changes or {})


def _changed_sections(profile: str, changes: dict) -> dict:
    """{section: that section of `profile` with `changes` made (a copy)}, for the sections they touch."""
    if profile not in SETTINGS:
        raise ValueError(f"profile must be one of {sorted(SETTINGS)}, got {profile!r}")
    row, by_section = SETTINGS[profile], {}
    for path, value in changes.items():
        section, _, rest = path.partition(".")
        if section not in row or not rest:
            raise ValueError(f"{path!r}: expected SECTION.KEY with a section of {sorted(row)}")
        by_section.setdefault(section, {})[rest] = value
    return {section: with_changes(row[section], section_changes, f"{profile} {section}")
            for section, section_changes in by_section.items()}


def apply(profile: str, changes) -> dict:
    """Change `profile`'s settings in this process (and in the workers it starts afterwards); return its row.
    changes: as `checked_changes` takes them, all checked before anything changes."""
    changed = _changed_sections(profile, _as_dict(changes))  # checks the profile's name too
    SETTINGS[profile].update(changed)
    return SETTINGS[profile]


def snapshot() -> dict:
    """A copy of the whole table, for `restore` in another process."""
    return copy.deepcopy(SETTINGS)


def restore(table: dict) -> None:
    """Make this process's table `table` (in place, so every `Section` view sees it)."""
    SETTINGS.clear()
    SETTINGS.update(copy.deepcopy(table))
