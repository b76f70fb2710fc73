"""The `n2s` command line: info, simulate, resynthesize, train-vocoder, bench, reproduce."""
from __future__ import annotations

import argparse
import json
import sys

from .errors import N2SError


def _info(args) -> int:
    from .io import describe

    facts = describe(args.path)
    if args.json:
        print(json.dumps(facts, indent=2, default=str))
    else:
        width = max(len(k) for k in facts)
        for key, value in facts.items():
            print(f"{key:<{width}}  {value}")
    return 0


def _simulate(args) -> int:
    from . import corpora, io, neuro

    corpus = corpora.load(args.corpus)
    rec = neuro.simulate_listening(corpus, minutes=args.minutes, n_electrodes=args.electrodes,
                                   snr=args.snr, seed=args.seed, with_raw=args.raw)
    io.save(rec, args.out, overwrite=args.overwrite)
    print(f"wrote {args.out}: {rec.duration / 60:.1f} min, {rec.n_electrodes} electrodes, {len(rec.trials)} trials")
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


def _train_vocoder(args) -> int:
    from pathlib import Path

    from . import vocoder
    from .methods import corpus_spec

    out = Path(args.out)
    if out.exists() and not args.overwrite:
        raise FileExistsError(f"{out}: exists already; refusing to overwrite it (use --overwrite)")
    model = vocoder.pretrained(args.profile, corpus_spec(args.corpus), args.seed)
    vocoder.save(model, out, history=model.history)
    print(f"wrote {out}")
    return 0


def _bench(args) -> int:
    from .bench import run_bench

    run_bench(profile=args.profile, out=args.out, seeds=args.seeds, jobs=args.jobs,
              pretrain_corpus=args.pretrain_corpus, stimulus_corpus=args.stimulus_corpus)
    print(f"wrote {args.out}")
    return 0


def _reproduce(args) -> int:
    from .reproduce import reproduce

    reproduce(profile=args.profile, only=args.only, executed_dir=args.executed_dir, figures_dir=args.figures_dir)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="n2s", description="n2s-lite: neural-driven speech reconstruction.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("info", help="what a recording file holds (any supported format)")
    p.add_argument("path")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(run=_info)

    p = sub.add_parser("simulate", help="simulate an ECoG listening experiment into an n2s HDF5 file")
    p.add_argument("--corpus", nargs="+", default=["asterisk"],
                   help="corpus spec(s) of the sentences played, e.g. asterisk, asterisk-fr, folder:PATH; "
                        "several are combined")
    p.add_argument("--minutes", type=float, default=20.0)
    p.add_argument("--electrodes", type=int, default=64)
    p.add_argument("--snr", type=float, default=None, help="signal-to-noise ratio (default: the calibrated one)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--raw", action="store_true", help="also simulate the raw broadband signal")
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

    p = sub.add_parser("train-vocoder", help="train the neural vocoder (or load it from the cache) and save it")
    p.add_argument("--profile", default="smoke")
    p.add_argument("--corpus", nargs="+", default=["asterisk"], metavar="SPEC",
                   help="corpus (or several, combined) whose pre-training half it learns from")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(run=_train_vocoder)

    p = sub.add_parser("bench", help="run the whole experiment and write every metric as JSON")
    p.add_argument("--profile", default="smoke")
    p.add_argument("--out", required=True)
    p.add_argument("--seeds", type=int, default=None, help="number of seeds (default: the profile's)")
    p.add_argument("--jobs", type=int, default=None,
                   help="worker processes for the independent runs (default: one per CPU core, 1 with a GPU)")
    p.add_argument("--pretrain-corpus", nargs="+", default=["asterisk"], metavar="SPEC",
                   help="corpus (or several, combined) whose pre-training half phase 1 learns from")
    p.add_argument("--stimulus-corpus", nargs="+", default=["asterisk"], metavar="SPEC",
                   help="corpus (or several, combined) whose stimulus half the simulated participant hears")
    p.set_defaults(run=_bench)

    p = sub.add_parser("reproduce", help="run the notebooks with papermill and regenerate figures/")
    p.add_argument("--profile", default="auto", help="smoke | standard | full | auto (full on a GPU, else standard)")
    p.add_argument("--only", nargs="*", type=int, default=None, help="notebook numbers to run")
    p.add_argument("--executed-dir", default="runs/executed", help="where executed notebooks go")
    p.add_argument("--figures-dir", default="figures")
    p.set_defaults(run=_reproduce)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (N2SError, FileNotFoundError, FileExistsError, ValueError) as exc:
        print(f"n2s {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
