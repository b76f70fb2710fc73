"""Print the README's results table (markdown) from an `n2s bench` JSON file.

    python scripts/bench_table.py runs/bench_standard.json
"""
import json
import sys

from n2s_lite import comparison, targets

COLUMNS = ("spectrogram_r", "flattened_r", "stoi", "estoi", "mcd_db", "top1", "top5")


def cell(stats: dict) -> str:
    return f"{stats['mean']:.3f} ± {stats['std']:.3f}"


def main(path: str) -> None:
    bench = json.load(open(path))
    seeds = len(bench["seeds"])
    print(f"Mean over test sentences, then mean ± standard deviation over {seeds} training seeds "
          f"({bench['data']['trials']['test']} test trials).\n")
    print("| method | trained parameters | " + " | ".join(COLUMNS) + " | training s |")
    print("|---|---|" + "---|" * len(COLUMNS) + "---|")
    for name, method in bench["methods"].items():
        across = method["across_seeds"]
        print(f"| {name} | {across['n_parameters']:,} | " + " | ".join(cell(across[c]) for c in COLUMNS)
              + f" | {across['train_seconds']:.0f} |")
    for name, ceiling in bench["ceilings"].items():
        print(f"| ceiling: {name} | | " + " | ".join(f"{ceiling[c]['mean']:.3f}" if c in ceiling else "" for c in COLUMNS)
              + " | |")
    schedule, alone = bench["schedule"], bench.get("phase2_alone")
    earlier = ", ".join(f"{n} seed {s}" for n, s in schedule.get("alone", []))  # JSON of a bench before b65529d
    print(f"\nTraining s: mean over seeds; {earlier + ' trained alone on every core, ' if earlier else ''}"
          f"{'every other' if earlier else 'every'} run in one of {schedule['jobs']} worker processes with "
          f"{schedule['threads_per_job']} thread(s) each, side by side.")
    if alone:
        print(f"Phase 2 alone (transfer seed {bench['seeds'][0]} trained again by itself on {alone['threads']} threads, "
              f"the time target's run; not in the table): {alone['train_seconds']:.0f} s, {alone['epochs']} epochs, "
              f"spectrogram_r {alone['means']['spectrogram_r']:.3f}, ESTOI {alone['means']['estoi']:.3f}.")
    targets_table(bench)
    print("\n" + comparison.markdown(comparison.by_sentence(bench["methods"])))
    quality = bench["autoencoder_resynthesis"]
    print(f"\nPhase-1 autoencoder on held-out real speech ({quality['estoi']['n']} asterisk utterances never seen in "
          f"pre-training): mel spectrogram r {cell(quality['spectrogram_r'])}, ESTOI after Griffin-Lim "
          f"{cell(quality['estoi'])} (Griffin-Lim of the true mel: {cell(quality['gl_estoi'])}).")
    if "vocoder" in bench:  # since the neural vocoder existed
        neural_vocoder_table(bench)
    stages, made = bench["stage_seconds"], bench.get("cache", {}).get("built")  # no "cache" before this field existed
    print(f"\nWall time: total {stages['total'] / 60:.1f} min; " + ", ".join(
        f"{k} {v:.0f} s" for k, v in stages.items() if k != "total") + ".")
    stolen = {k: v for k, v in bench.get("stage_cpu_stolen", {}).items() if v is not None}  # measured since it existed
    if stolen:
        print("CPU time the hypervisor gave to other virtual machines (steal): " + ", ".join(
            f"{k} {100 * v:.0f} %" for k, v in stolen.items()) + " of this machine's CPU time during each stage.")
    if made is not None:
        print("Products this run made in the cache: " + ", ".join(f"{kind} {n}" for kind, n in made.items())
              + "; anything else it loaded from the cache, so those stage times are load times and a loaded"
              " network's training s is that of the run that trained it.")


def targets_table(bench: dict) -> None:
    """Each target, what the bench measured and whether it is met: `n2s_lite.targets` judges the JSON again, so
    that one written before the bench recorded its verdicts gets them too, under the targets of this version."""
    print("\n" + targets.markdown(targets.judge(bench)))


def neural_vocoder_table(bench: dict) -> None:
    """The same decoded mels vocoded by Griffin-Lim and by the neural vocoder, and the held-out speech line."""
    quality, vocoder = bench["autoencoder_resynthesis"], bench["vocoder"]
    print(f"\nNeural vocoder ({vocoder['parameters']:,} parameters, {vocoder['epochs']} epochs) instead of Griffin-Lim "
          "from the mel, on the same decoded mels:\n")
    print("| method | stoi: Griffin-Lim | stoi: neural vocoder | estoi: Griffin-Lim | estoi: neural vocoder |")
    print("|---|---|---|---|---|")
    for name, method in bench["methods"].items():
        across = method["across_seeds"]
        print(f"| {name} | " + " | ".join(f"{cell(across[m])} | {cell(across['neural_vocoder'][m])}"
                                          for m in ("stoi", "estoi")) + " |")
    print(f"\nOn held-out real speech, ESTOI through the neural vocoder: autoencoder resynthesis "
          f"{cell(quality['neural_estoi'])}, true mel {cell(quality['neural_true_estoi'])}.")


if __name__ == "__main__":
    main(sys.argv[1])
