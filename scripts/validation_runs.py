"""Score a variant of a profile's phase-2 setup on the validation trials (never the test trials).

This is how the numbers of docs/settings.md ("How the settings were chosen") are measured: one method,
several training seeds, a few settings changed, the mean spectrogram correlation and ESTOI (Griffin-Lim) over
validation sentences per seed. Each seed appends one JSON line to --out.

    OMP_NUM_THREADS=1 python scripts/validation_runs.py reference
    OMP_NUM_THREADS=1 python scripts/validation_runs.py reference --method scratch
    OMP_NUM_THREADS=1 python scripts/validation_runs.py epochs60 --set training.max_epochs=60
    OMP_NUM_THREADS=1 python scripts/validation_runs.py fine_tuned --set adaptor.fine_tune=true
    OMP_NUM_THREADS=1 python scripts/validation_runs.py big_adaptor --set adaptor.channels=128 adaptor.hidden=192
    OMP_NUM_THREADS=1 python scripts/validation_runs.py latent16 --autoencoder-set latent_dim=16
    OMP_NUM_THREADS=1 python scripts/validation_runs.py multilingual \
        --pretrain-corpus asterisk asterisk-es asterisk-fr asterisk-it asterisk-ru
    OMP_NUM_THREADS=1 python scripts/validation_runs.py second_speaker --pretrain-corpus asterisk folder:PATH
    OMP_NUM_THREADS=1 python scripts/validation_runs.py multivoice --method scratch \
        --pretrain-corpus asterisk asterisk-es asterisk-fr asterisk-it asterisk-ru \
        --stimulus-corpus asterisk asterisk-es asterisk-fr asterisk-it asterisk-ru
    OMP_NUM_THREADS=1 python scripts/validation_runs.py synth_decoder --decoder synth
    OMP_NUM_THREADS=1 python scripts/validation_runs.py synth_decoder --decoder synth --method scratch
    OMP_NUM_THREADS=1 python scripts/validation_runs.py synth_tracks --decoder synth \
        --set loss.pitch=1.0 loss.voicing=0.1 loss.formant=1.0
    OMP_NUM_THREADS=1 python scripts/validation_runs.py light_tracks --decoder synth \
        --autoencoder-set formant_weight=0.1 --set loss.pitch=1.0 loss.voicing=0.1 loss.formant=1.0
    OMP_NUM_THREADS=1 python scripts/validation_runs.py pitch_tracks --decoder synth \
        --autoencoder-set formant_weight=0 --set loss.pitch=1.0 loss.voicing=0.1
    OMP_NUM_THREADS=1 python scripts/validation_runs.py deep_tracks --decoder synth \
        --autoencoder-set synth_blocks=3 formant_weight=0.1 --set loss.pitch=1.0 loss.voicing=0.1 loss.formant=1.0
    OMP_NUM_THREADS=1 python scripts/validation_runs.py categories --category-share 1.0 [--method M]
    OMP_NUM_THREADS=1 python scripts/validation_runs.py categories_half --category-share 0.5 [--method M]

--set changes the experiment profile (`methods.PROFILES`: training, adaptor, loss, mlp, lstm_cnn, ...),
--autoencoder-set the phase-1 profile (`autoencoder.PROFILES`); a changed autoencoder is pre-trained once
and cached like the default one. --decoder synth puts the adaptor (transfer) or the scratch ablation on an
autoencoder whose decoder is the formant synthesizer (notebook 4's, pitch- and formant-supervised in phase
1; the runs of docs/settings.md used the pitch-only one of ad4bc96-f2a7ea7, `--autoencoder-set formant_weight=0` now);
such runs also score the synthesizer's own audio (synth_stoi, synth_estoi) beside Griffin-Lim from its mel.
--autoencoder-quality first appends one line (kind "autoencoder_quality") with the pre-trained autoencoder's
resynthesis of held-out speech (`experiment.autoencoder_quality_means`); with an empty --seeds that is all it
does, so the autoencoder a variant's runs used is scored without a second pre-training.
loss.pitch / loss.voicing / loss.formant supervise the decoded controls in phase 2 as phase 1 does, by pYIN's
f0 and LPC's formants of the speech heard in each training trial (`methods.with_tracks_if_supervised`).
Runs use one CPU thread (--threads), as the numbers of docs/settings.md did; set
OMP_NUM_THREADS to the same number, as above: the variable alone changes the order of floating-point sums
and moved single validation runs by 0.007 (transfer, scratch) to 0.029 (fine-tuned decoder) in r.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from n2s_lite import adaptor, autoencoder, experiment, methods, profiles, train

VARIANT = "variant"  # the profile name the changed settings are registered under, in this process only


def with_changes(settings: dict, changes: list[str], what: str) -> dict:
    """A copy of `settings` with 'a.b=value' changes (`profiles.with_changes`); a typo ends the script."""
    try:
        return profiles.with_changes(settings, profiles.parse_changes(changes), what)
    except ValueError as exc:
        raise SystemExit(f"--set {exc}") from None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="a label for this variant, stored with every result line")
    parser.add_argument("--method", default="transfer", choices=experiment.METHODS)
    parser.add_argument("--profile", default="standard", choices=sorted(methods.PROFILES))
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2], help="none: --autoencoder-quality only")
    parser.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE", help="experiment profile changes")
    parser.add_argument("--autoencoder-set", nargs="+", default=[], metavar="KEY=VALUE",
                        help="phase-1 profile changes (pre-trains a new autoencoder)")
    parser.add_argument("--pretrain-corpus", nargs="+", default=None,
                        help="corpus spec(s) of phase 1 (several are combined; default: the profile's)")
    parser.add_argument("--stimulus-corpus", nargs="+", default=None,
                        help="corpus spec(s) whose stimulus half the simulated participant hears (default: the profile's)")
    parser.add_argument("--category-share", type=float, default=0.0,
                        help="the participant's share of spectrotemporal sites that respond to sound categories")
    parser.add_argument("--decoder", default="mel", choices=["mel", "synth"],
                        help="the autoencoder's decoder (transfer and scratch): log-mel or formant synthesizer")
    parser.add_argument("--autoencoder-quality", action="store_true",
                        help="also score the pre-trained autoencoder's resynthesis of held-out speech (one line)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="runs/validation.jsonl")
    args = parser.parse_args(argv)
    with train.torch_threads(args.threads):  # restored afterwards, so a caller's (or a test run's) count survives
        return run_variant(args)


def own_audio_intelligibility(decoder, trials: list, rec) -> dict:
    """Mean STOI and ESTOI over `trials` of the audio a synthesizer-decoder network renders itself."""
    jobs = [("wave", adaptor.synthesize(decoder, t.hg), experiment.reference_audio(rec, t), 0) for t in trials]
    stoi, estoi = np.mean([experiment.vocoded_intelligibility(job) for job in jobs], axis=0)
    return dict(synth_stoi=round(float(stoi), 4), synth_estoi=round(float(estoi), 4))


def _rounded(value):
    return round(float(value), 4) if isinstance(value, (float, np.floating)) else value


def append_line(out: Path, line: dict) -> None:
    """Print one result as JSON and append it to the JSON-lines file `out`."""
    print(json.dumps(line), flush=True)
    with out.open("a") as handle:
        handle.write(json.dumps(line) + "\n")


def run_variant(args: argparse.Namespace) -> int:
    """Train and score `args.method` with the changed settings for every seed; one JSON line per seed, after
    one for the autoencoder's quality with --autoencoder-quality."""
    if os.environ.get("OMP_NUM_THREADS") != str(args.threads):
        print(f"warning: OMP_NUM_THREADS is {os.environ.get('OMP_NUM_THREADS')!r}, not {args.threads}: results will "
              "differ from runs made with it set", file=sys.stderr)
    settings = with_changes(experiment.settings(args.profile), args.set, "experiment")
    ae_profile = settings["autoencoder"]
    if args.autoencoder_set:
        autoencoder.PROFILES[VARIANT] = with_changes(autoencoder.PROFILES[ae_profile], args.autoencoder_set,
                                                     "autoencoder")
        ae_profile = VARIANT
    methods.PROFILES[VARIANT] = {**settings, "autoencoder": ae_profile}
    uses_autoencoder = args.method in experiment.USES_AUTOENCODER
    needs_autoencoder = [option for option, asked in [(f"--decoder {args.decoder}", args.decoder != "mel"),
                                                      ("--autoencoder-quality", args.autoencoder_quality)] if asked]
    if needs_autoencoder and not uses_autoencoder:
        raise SystemExit(f"{', '.join(needs_autoencoder)}: {args.method} has no autoencoder "
                         f"(only {', '.join(experiment.USES_AUTOENCODER)})")
    pretrain_corpus = experiment.corpora_of(args.profile, args.pretrain_corpus)["pretrain"]
    ae = (autoencoder.pretrained(ae_profile, corpus=pretrain_corpus, seed=0,
                                 decoder=args.decoder) if uses_autoencoder else None)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    common = dict(name=args.name, profile=args.profile, autoencoder_set=args.autoencoder_set,
                  pretrain_corpus=pretrain_corpus, decoder=args.decoder, threads=args.threads,
                  omp_num_threads=os.environ.get("OMP_NUM_THREADS"))
    if args.autoencoder_quality:
        quality = experiment.autoencoder_quality_means(ae, args.profile, pretrain_corpus)
        append_line(out, dict(common, kind="autoencoder_quality", **{k: _rounded(v) for k, v in quality.items()}))
    if not args.seeds:
        return 0
    stimulus_corpus = experiment.corpora_of(args.profile, args.stimulus_corpus)["stimuli"]
    rec = experiment.participant(args.profile, corpus=stimulus_corpus,
                                 category_share=args.category_share)
    trials = experiment.split_trials(rec)
    trials["train"] = methods.with_tracks_if_supervised(args.method, VARIANT, rec, trials["train"])

    scores, own_estoi = [], []
    for seed in args.seeds:
        started = time.perf_counter()
        decoder = experiment.train_on_trials(args.method, trials["train"], trials["val"], VARIANT, seed, ae)
        seconds = time.perf_counter() - started
        table = experiment.evaluate(decoder, trials["val"], vocode=True, rec=rec,
                                    n_iter=settings["griffin_lim_iters"])
        line = dict(common, method=args.method, seed=seed,
                    spectrogram_r=round(float(table["spectrogram_r"].mean()), 4),
                    estoi=round(float(table["estoi"].mean()), 4), epochs=len(getattr(decoder, "history", None) or []),
                    train_seconds=round(seconds, 1), n_parameters=decoder.n_parameters, set=args.set,
                    stimulus_corpus=stimulus_corpus, category_share=args.category_share)
        if args.decoder == "synth":
            line.update(own_audio_intelligibility(decoder, trials["val"], rec))
            own_estoi.append(line["synth_estoi"])
        scores.append((line["spectrogram_r"], line["estoi"]))
        append_line(out, line)
    r, estoi = np.array(scores).T
    print(f"{args.name} ({args.method}, validation, seeds {args.seeds}): spectrogram r {' / '.join(map(str, r))} "
          f"(mean {r.mean():.3f}), ESTOI {' / '.join(map(str, estoi))} (mean {estoi.mean():.3f})")
    if own_estoi:
        print(f"  the synthesizer's own audio: ESTOI {' / '.join(map(str, own_estoi))} (mean {np.mean(own_estoi):.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
