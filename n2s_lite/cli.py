"""The `n2s` command line: info, simulate, resynthesize, train-autoencoder, train-vocoder, bench, group, reproduce."""
from __future__ import annotations

import argparse
import json
import sys

from . import profiles
from .errors import N2SError
from .profiles import PROFILES

SET_HELP = ("change the profile's settings for this run (`n2s_lite.profiles.SETTINGS`), e.g. "
            "experiment.training.max_epochs=5 autoencoder.lr=0.001 vocoder.blocks=2 refinement.head_epochs=10")


def _info(args) -> int:
    from .io import describe

    facts = describe(args.path, subject=args.subject, source=args.source)
    if args.json:
        print(json.dumps(facts, indent=2, default=str))
    else:
        width = max(len(k) for k in facts)
        for key, value in facts.items():
            print(f"{key:<{width}}  {value}")
    return 0


def _simulate(args) -> int:
    from . import cohort, corpora, io
    from .profiles import corpora_of
    from .utils import refuse_to_replace

    if args.participants is not None:
        return _simulate_cohort(args)
    refuse_to_replace(args.out, args.overwrite)
    corpus = corpora.load(corpora_of(args.profile, args.corpus)["stimuli"])
    rec = cohort.simulator(args.task)(corpus, minutes=20.0 if args.minutes is None else args.minutes,
                                      n_electrodes=64 if args.electrodes is None else args.electrodes,
                                      snr=args.snr, seed=args.seed, with_raw=args.raw)
    io.save(rec, args.out, overwrite=args.overwrite)
    print(f"wrote {args.out}: {rec.duration / 60:.1f} min, {rec.n_electrodes} electrodes, {len(rec.trials)} trials")
    return 0


def _simulate_cohort(args) -> int:
    """--participants N: participants seed .. seed + N - 1 of `cohort`, at the profile's minutes and electrodes."""
    from .cohort import simulate_cohort

    fixed = [flag for flag, value in (("--minutes", args.minutes), ("--electrodes", args.electrodes),
                                      ("--snr", args.snr), ("--raw", args.raw or None)) if value is not None]
    if fixed or args.corpus is not None:
        raise ValueError(f"--participants draws each brain and takes the profile's size and corpus; "
                         f"drop {', '.join(fixed) or '--corpus'}")
    paths = simulate_cohort(args.participants, args.task, args.profile, args.out, args.seed, args.overwrite)
    print(f"wrote {len(paths)} participants to {args.out}: {', '.join(p.name for p in paths)}")
    return 0


def _resynthesize(args) -> int:
    if args.vocoder is None:
        from .autoencoder import resynthesize_file

        resynthesize_file(args.checkpoint, args.input, args.output, overwrite=args.overwrite)
    else:
        from .vocoder import resynthesize_file

        resynthesize_file(args.checkpoint, args.vocoder, args.input, args.output, overwrite=args.overwrite)
    print(f"wrote {args.output}")
    return 0


def _write_trained(args, train_or_load, save) -> int:
    """Refuse an unwritable --out first, then train (or load from the cache) and save the model there."""
    from .utils import refuse_to_replace

    refuse_to_replace(args.out, args.overwrite)
    model = train_or_load()
    save(model, args.out, history=model.history)
    print(f"wrote {args.out}")
    return 0


def _train_autoencoder(args) -> int:
    from . import autoencoder
    from .methods import corpora_of, settings

    phase1_profile = settings(args.profile)["autoencoder"]  # the one the experiment of this profile uses
    corpus = corpora_of(args.profile, args.corpus)["pretrain"]
    return _write_trained(args, lambda: autoencoder.pretrained(phase1_profile, corpus, args.seed,
                                                                decoder=args.decoder), autoencoder.save)


def _train_vocoder(args) -> int:
    from . import vocoder

    return _write_trained(args, lambda: vocoder.pretrained(args.profile, args.corpus, args.seed),
                          vocoder.save)


def _bench(args) -> int:
    from . import experiment as X
    from .bench import run_bench
    from .lags import LagWindow

    results = run_bench(profile=args.profile, out=args.out, seeds=args.seeds, methods=args.methods or X.METHODS,
                        jobs=args.jobs,
                        pretrain_corpus=args.pretrain_corpus, stimulus_corpus=args.stimulus_corpus,
                        overwrite=args.overwrite, recordings=args.recording, task=args.task,
                        lags=None if args.lags is None else LagWindow(*args.lags))
    print(f"wrote {args.out}")
    for participant in results["participants"]:
        window = participant["lag_window"]
        print(f"\n{participant['name']} ({participant['task']}, lag window {window['first_ms']:g} to "
              f"{window['last_ms']:g} ms, {window['chosen_by']}):")
        for name, result in participant["methods"].items():
            means = {m: result["across_seeds"][m]["mean"] for m in ("spectrogram_r", "estoi")}
            print(f"  {name:<16} spectrogram_r {means['spectrogram_r']:.3f}  estoi {means['estoi']:.3f}")
    return 0


def _group(args) -> int:
    from . import group

    table = group.group_table(args.benches)
    group.write(table, args.out, overwrite=args.overwrite)
    print(f"wrote {args.out}\n\n{group.markdown(table)}")
    return 0


def _reproduce(args) -> int:
    from .reproduce import reproduce

    reproduce(profile=args.profile, only=args.only, executed_dir=args.executed_dir, figures_dir=args.figures_dir,
              recording=args.recording, settings=args.notebook_settings)
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="n2s", description="n2s-lite: neural-driven speech reconstruction.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("info", help="what a recording file holds (any supported format)")
    p.add_argument("path")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--subject", help="participant of a (i)BIDS root that holds several, e.g. 03")
    p.add_argument("--source", choices=("raw", "derivative"), default="raw",
                   help="BIDS iEEG: high-gamma from the raw recording or the dataset's derivative (Podcast ECoG)")
    p.set_defaults(run=_info)

    p = sub.add_parser("simulate", help="simulate an ECoG listening (or speaking) experiment into an n2s HDF5 file, or a cohort")
    p.add_argument("--corpus", nargs="+", default=None,
                   help="corpus spec(s) of the sentences played, e.g. asterisk, asterisk-fr, folder:PATH; "
                        "several are combined (default: the --profile's stimulus corpus)")
    p.add_argument("--minutes", type=float, default=None, help="default 20")
    p.add_argument("--electrodes", type=int, default=None, help="default 64")
    p.add_argument("--snr", type=float, default=None, help="signal-to-noise ratio (default: the calibrated one)")
    p.add_argument("--seed", type=int, default=0, help="the participant (with --participants: the first one)")
    p.add_argument("--raw", action="store_true", help="also simulate the raw broadband signal")
    p.add_argument("--task", default="listening", choices=("listening", "speaking"))
    p.add_argument("--participants", type=_positive_int, default=None, metavar="N",
                   help="a cohort of N participants, each brain drawn within the calibrated ranges (docs/cohorts.md), "
                        "at the --profile's minutes and electrodes; --out is then a directory (sim-SSS.h5 each)")
    p.add_argument("--profile", default="smoke", choices=PROFILES,
                   help="its stimulus corpus; with --participants also their minutes and electrodes")
    p.add_argument("--out", required=True)
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(run=_simulate)

    p = sub.add_parser("resynthesize", help="speech file in, speech file out through a trained autoencoder")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--vocoder", default=None, metavar="CHECKPOINT",
                   help="a neural vocoder checkpoint (n2s train-vocoder); default: Griffin-Lim from the mel "
                        "(a synthesizer-decoder checkpoint plays its synthesizer's own audio)")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(run=_resynthesize)

    for name, run, what in (("train-autoencoder", _train_autoencoder, "the phase-1 speech autoencoder"),
                            ("train-vocoder", _train_vocoder, "the neural vocoder")):
        p = sub.add_parser(name, help=f"train {what} (or load it from the cache) and save it as a checkpoint")
        p.add_argument("--profile", default="smoke", choices=PROFILES)
        p.add_argument("--corpus", nargs="+", default=None, metavar="SPEC",
                       help="corpus (or several, combined) whose pre-training half it learns from (default: the "
                            "profile's pre-training corpus)")
        if name == "train-autoencoder":
            p.add_argument("--decoder", default="mel", choices=("mel", "synth"),
                           help="mel: the method's decoder; synth: the formant synthesizer as the decoder")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--set", nargs="+", default=[], metavar="SECTION.KEY=VALUE", help=SET_HELP)
        p.add_argument("--out", required=True, help="the checkpoint to write (.pt)")
        p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
        p.set_defaults(run=run)

    p = sub.add_parser("bench", help="run the whole experiment and write every metric as JSON")
    p.add_argument("--profile", default="smoke", choices=PROFILES)
    p.add_argument("--set", nargs="+", default=[], metavar="SECTION.KEY=VALUE", help=SET_HELP)
    p.add_argument("--out", required=True)
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument("--seeds", type=_positive_int, default=None, help="number of seeds (default: the profile's)")
    p.add_argument("--methods", nargs="+", default=None, metavar="METHOD",
                   help="the methods to compare (default: transfer transfer_causal ridge mlp lstm_cnn scratch; "
                        "also transfer_refined, transfer onto phase 1 refined by the participant's high-gamma)")
    p.add_argument("--jobs", type=_positive_int, default=None,
                   help="worker processes for the independent runs (default: one per CPU core, 1 with a GPU)")
    p.add_argument("--pretrain-corpus", nargs="+", default=None, metavar="SPEC",
                   help="corpus (or several, combined) whose pre-training half phase 1 learns from (default: the "
                        "profile's: asterisk, or LibriSpeech train-clean-100 for full)")
    p.add_argument("--stimulus-corpus", nargs="+", default=None, metavar="SPEC",
                   help="corpus (or several, combined) whose stimulus half the simulated participant hears "
                        "(default: the profile's: asterisk, or LibriSpeech test-clean for full)")
    p.add_argument("--recording", nargs="+", default=None, metavar="PATH",
                   help="participants' recordings (any format n2s info reads), run one after another, instead "
                        "of the simulated participant")
    p.add_argument("--task", default=None, choices=("listening", "speaking"),
                   help="what the participants did (default: what each file says; it decides the lag window)")
    p.add_argument("--lags", nargs=2, type=float, default=None, metavar=("FIRST_MS", "LAST_MS"),
                   help="the lag window every method reads, in ms around each decoded frame (negative: before "
                        "it); default: the task's (listening -100 300, speaking -200 200)")
    p.set_defaults(run=_bench)

    p = sub.add_parser("group", help="group statistics across participants from their bench JSONs")
    p.add_argument("benches", nargs="+", metavar="BENCH_JSON", help="n2s bench outputs, one or more participants each")
    p.add_argument("--out", required=True, metavar="DIR", help="writes group.json, group.md and fig09_group.png/.pdf")
    p.add_argument("--overwrite", action="store_true", help="replace the files in --out if they exist")
    p.set_defaults(run=_group)

    p = sub.add_parser("reproduce", help="run the notebooks with papermill and regenerate their figures")
    p.add_argument("--profile", default="auto", choices=PROFILES + ("auto",),
                   help="auto: full on a GPU, else standard")
    p.add_argument("--only", "--notebooks", nargs="*", type=int, default=None, help="notebook numbers to run")
    p.add_argument("--executed-dir", default=None, help="where executed notebooks go (default: runs/executed-PROFILE)")
    p.add_argument("--figures-dir", default=None,
                   help="where figures and results go (default: figures/ for standard, else runs/figures-PROFILE; "
                        "runs/figures-PROFILE-NAME for a recording NAME)")
    p.add_argument("--recording", default=None, metavar="PATH",
                   help="a participant's recording (any format n2s info reads) instead of the simulated one: "
                        "runs the notebooks that take it (02, 05-08, 10, 11)")
    p.add_argument("--set", nargs="+", default=[], metavar="SECTION.KEY=VALUE", dest="notebook_settings",
                   help=SET_HELP + "; each notebook gets them as its settings parameter, and the figures go to "
                        "runs/figures-PROFILE-set unless --figures-dir")
    p.set_defaults(run=_reproduce)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "set", None):
            profiles.apply(args.profile, args.set)
        return args.run(args)
    except (N2SError, FileNotFoundError, FileExistsError, ValueError) as exc:
        hint = "; pass --overwrite to replace it" if isinstance(exc, FileExistsError) and "overwrite" in args else ""
        print(f"n2s {args.command}: error: {exc}{hint}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
