"""Print notebooks 10 and 11's results as markdown tables (docs/representations.md quotes these tables).

    python scripts/representation_tables.py figures/representations

Notebook 10 (results_10.json): per participant and representation, the median held-out encoding r over the
responsive electrodes with its interquartile range, the median ratio to the noise ceiling; with runs of other
seeds in FOLDER/seed-K/ (other simulated participants), those medians' mean ± sd over the seeds; the variance
partitioning; the pooled correlations. Notebook 11 (results_11.json): (a) encoding r of the original and each
refined latent, over every good electrode and over the simulator's responsive sites (the `responsive` flags of
notebook 10's listening participant, the same participant when both ran with one profile and seed); (b)
resynthesis of held-out speech; (c) downstream probes; (d) phase 2 per decoder, mean ± sample standard
deviation over seeds, and refined minus original paired by seed. A cohort (FOLDER/cohort/group.json, `n2s group`
on benches of transfer, transfer_refined and scratch): `group.markdown`'s tables of the phase-2 metrics above.
"""
import json
import sys
from pathlib import Path

import pandas as pd

from n2s_lite import group

PHASE2_METRICS = ("spectrogram_r", "stoi", "estoi")


def markdown(frame: pd.DataFrame) -> str:
    """A DataFrame as a markdown table (its index left out), floats with 3 decimals, missing values as '-'."""
    cells = frame.map(lambda v: "-" if pd.isna(v) else f"{v:.3f}" if isinstance(v, float) else str(v))
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells.itertuples(index=False)]
    return "\n".join(lines)


def encoding_table(results: dict) -> pd.DataFrame:
    """Notebook 10: median and quartiles of r over the responsive electrodes, median r / ceiling."""
    scores = pd.DataFrame(results["per_electrode"])
    scores = scores[scores["responsive"].fillna(True).astype(bool) & scores["r"].notna()]
    rows = []
    for (participant, representation), part in scores.groupby(["participant", "representation"], sort=False):
        rows.append({"participant": participant, "representation": representation, "electrodes": len(part),
                     "median r": part["r"].median(),
                     "IQR": f"{part['r'].quantile(0.25):.3f}-{part['r'].quantile(0.75):.3f}",
                     "median r / ceiling": (part["r"] / part["r_ceiling"]).median()})
    return pd.DataFrame(rows)


def across_seeds_table(runs: list[dict]) -> pd.DataFrame:
    """Notebook 10 run with several seeds (other simulated participants): each participant and representation's
    median r and median r / ceiling, mean ± sample sd over the seeds."""
    tables = pd.concat([encoding_table(results) for results in runs])
    rows = []
    for (participant, representation), part in tables.groupby(["participant", "representation"], sort=False):
        row = {"participant": participant, "representation": representation, "seeds": len(part)}
        for column in ("median r", "median r / ceiling"):
            row[column] = f"{part[column].mean():.3f} ± {part[column].std():.3f}"
        rows.append(row)
    return pd.DataFrame(rows)


def refined_encoding_table(results: dict, responsive: set | None) -> pd.DataFrame:
    """Notebook 11 (a): median r of each latent over the good electrodes and over the responsive ones."""
    r = pd.DataFrame(results["encoding_per_electrode"]).set_index("electrode")
    rows = []
    for model in r:
        row = {"latent": model, "median r, good electrodes": r[model].median()}
        if responsive is not None:
            row["median r, responsive"] = r.loc[r.index.isin(responsive), model].median()
        if model != "original":
            gain = r[model] - r["original"]
            row["median gain, good"] = gain.median()
            row["improved, good"] = f"{(gain > 0).sum()}/{len(gain)}"
            if responsive is not None:
                gain = gain[gain.index.isin(responsive)]
                row["median gain, responsive"] = gain.median()
                row["improved, responsive"] = f"{(gain > 0).sum()}/{len(gain)}"
        rows.append(row)
    return pd.DataFrame(rows)


def phase2_table(results: dict) -> pd.DataFrame:
    """Notebook 11 (d): mean ± sd over seeds per decoder."""
    runs = pd.DataFrame(results["phase2"])
    rows = []
    for decoder, part in runs.groupby("decoder", sort=False):
        row = {"decoder": decoder, "seeds": len(part)}
        for metric in PHASE2_METRICS:
            values = part[metric]
            row[metric] = f"{values.mean():.3f}" + (f" ± {values.std():.3f}" if len(values) > 1 else "")
        rows.append(row)
    return pd.DataFrame(rows)


def paired_table(results: dict) -> pd.DataFrame:
    """Notebook 11 (d): refined minus original transfer, and original transfer minus scratch, per seed."""
    runs = pd.DataFrame(results["phase2"]).pivot(index="seed", columns="decoder")
    rows = []
    for a, b in (("transfer, refined latent", "transfer, original latent"), ("transfer, original latent", "scratch")):
        row = {"difference": f"{a} - {b}"}
        for metric in PHASE2_METRICS:
            diff = runs[(metric, a)] - runs[(metric, b)]
            row[metric] = f"{diff.mean():+.3f} ({(diff > 0).sum()}/{len(diff)} seeds ahead)"
        rows.append(row)
    return pd.DataFrame(rows)


def main(folder: str) -> None:
    folder = Path(folder)
    responsive = None
    if (folder / "results_10.json").exists():
        results = json.loads((folder / "results_10.json").read_text())["results"]
        print(f"\nnotebook 10: held-out encoding r per electrode ({results['speech_model']} as ssl)\n")
        print(markdown(encoding_table(results)))
        print("\nnotebook 10: variance partitioning, medians over the responsive electrodes (r^2)\n")
        shares = pd.DataFrame(results["variance_partitioning"])
        shares["pair"] = shares["pair"].str.replace(" | ", " vs ", regex=False)  # a | b: a table's cell separator
        print(markdown(shares[["pair", "r2_a", "r2_b", "r2_ab", "unique_a", "shared", "unique_b"]]))
        print("\nnotebook 10: one correlation, four ways (speaking participant, latent)\n")
        print(markdown(pd.DataFrame([results["pooled_correlations"]])))
        more = [json.loads(path.read_text())["results"] for path in sorted(folder.glob("seed-*/results_10.json"))]
        if more:
            print(f"\nnotebook 10: the median r of {1 + len(more)} seeds (simulated participants), mean ± sd\n")
            print(markdown(across_seeds_table([results, *more])))
        scores = pd.DataFrame(results["per_electrode"])
        listening = scores[(scores["participant"] == "listening") & (scores["representation"] == "mel")]
        responsive = set(listening.loc[listening["responsive"].fillna(False).astype(bool), "name"])
    if (folder / "results_11.json").exists():
        results = json.loads((folder / "results_11.json").read_text())["results"]
        print("\nnotebook 11 (a): held-out encoding r of the original and refined latents\n")
        print(markdown(refined_encoding_table(results, responsive)))
        print("\nnotebook 11 (b): resynthesis of held-out speech\n")
        print(markdown(pd.DataFrame(results["resynthesis"])[["autoencoder", "spectrogram_r", "mcd_db", "stoi",
                                                             "estoi"]]))
        print("\nnotebook 11 (c): downstream probes on held-out speech\n")
        print(markdown(pd.DataFrame(results["probes"])[["representation", "speaker_accuracy", "sentence_accuracy",
                                                        "voicing_accuracy", "f0_r"]]))
        print("\nnotebook 11 (d): phase 2, test sentences (mean ± sd over seeds)\n")
        print(markdown(phase2_table(results)))
        print("\nnotebook 11 (d): paired by seed\n")
        print(markdown(paired_table(results)))
    if (folder / "cohort" / "group.json").exists():
        print("\ncohort: phase 2 per participant (`n2s group`)\n")
        print(group.markdown(json.loads((folder / "cohort" / "group.json").read_text()), PHASE2_METRICS))


if __name__ == "__main__":
    main(sys.argv[1])
