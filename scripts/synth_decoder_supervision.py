"""The synthesizer decoder pre-trained with and without its reference tracks, scored on held-out speech.

    python scripts/synth_decoder_supervision.py --out runs/synth_decoder_supervision.json
    python scripts/synth_decoder_supervision.py --variants supervised "pitch only" --out runs/two.json
    python scripts/synth_decoder_supervision.py --profile smoke --out /tmp/smoke.json

"supervised" is notebook 4's synthesizer decoder (`experiment.pretrained_autoencoder(profile, decoder="synth")`,
with the autoencoder profile's pitch_weight, voicing_weight and formant_weight); "light formants" is the same
autoencoder with formant_weight 0.1, a tenth of it; "pitch only" has formant_weight 0 (pYIN's pitch and
voicing supervise it, LPC's formants do not); "spectral only" has all three weights 0, so the spectral loss
alone trains it. Each is pre-trained once and cached.
Prints, and writes as JSON (never over an existing file), each one's epochs, training seconds, best
validation loss (which holds the supervision terms where they are trained) and the means over held-out
utterances of `experiment.autoencoder_quality`.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from n2s_lite import autoencoder, experiment, methods
from n2s_lite.utils import atomic_path

VARIANT_WEIGHTS = {"supervised": {}, "light formants": dict(formant_weight=0.1), "pitch only": dict(formant_weight=0.0),
                   "spectral only": dict(pitch_weight=0.0, voicing_weight=0.0, formant_weight=0.0)}


def variant_profile(ae_profile: str, variant: str) -> str:
    """Register (in this process) the autoencoder profile `ae_profile` with `variant`'s weights; its name."""
    if not VARIANT_WEIGHTS[variant]:
        return ae_profile
    name = f"{ae_profile}-{variant.replace(' ', '-')}"
    autoencoder.PROFILES[name] = dict(autoencoder.PROFILES[ae_profile], **VARIANT_WEIGHTS[variant])
    return name


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="standard", choices=sorted(methods.PROFILES))
    parser.add_argument("--variants", nargs="+", default=list(VARIANT_WEIGHTS), choices=list(VARIANT_WEIGHTS))
    parser.add_argument("--out", required=True, help="JSON file to write (must not exist)")
    args = parser.parse_args(argv)
    if Path(args.out).exists():
        parser.error(f"{args.out}: exists already; refusing to overwrite it")
    ae_profile, rows = experiment.settings(args.profile)["autoencoder"], []
    for variant in args.variants:
        model = autoencoder.pretrained(variant_profile(ae_profile, variant), decoder="synth",
                                       corpus=experiment.corpora_of(args.profile)["pretrain"])
        rows.append(dict(variant=variant, **experiment.autoencoder_quality_means(model, args.profile)))
    print(pd.DataFrame(rows).set_index("variant").T.round(3).to_string())
    with atomic_path(args.out, overwrite=False) as tmp:
        tmp.write_text(json.dumps(dict(profile=args.profile, variants=rows), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
