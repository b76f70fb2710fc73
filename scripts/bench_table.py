"""Print the results tables (markdown) of an `n2s bench` JSON file: what the bench recorded, nothing judged.

    python scripts/bench_table.py runs/bench_standard.json

Per participant: every method's metrics, transfer's margins over the other methods beside the seed spread,
and transfer against each method sentence by sentence; then the autoencoder's resynthesis of held-out speech,
the neural vocoder, and where the wall time went. Reads the JSON of a bench with one participant at its top
level (before `participants` existed, e.g. figures/bench_standard.json) as well as newer ones.
"""
import json
import sys

from n2s_lite import comparison

COLUMNS = ("spectrogram_r", "flattened_r", "stoi", "estoi", "mcd_db", "top1", "top5")


def cell(stats: dict) -> str:
    return f"{stats['mean']:.3f} ± {stats['std']:.3f}"


def main(path: str) -> None:
    bench = json.load(open(path))
    participants = bench.get("participants") or [bench]  # a bench before `participants`: one, at the top level
    for participant in participants:
        if len(participants) > 1:
            print(f"\n### Participant {participant['name']} ({participant['task']})\n")
        participant_tables(bench, participant)
        if "vocoder" in bench:  # since the neural vocoder existed
            neural_vocoder_table(participant)
    quality = bench["autoencoder_resynthesis"]
    print(f"\nPhase-1 autoencoder on held-out real speech ({quality['estoi']['n']} asterisk utterances never seen in "
          f"pre-training): mel spectrogram r {cell(quality['spectrogram_r'])}, ESTOI after Griffin-Lim "
          f"{cell(quality['estoi'])} (Griffin-Lim of the true mel: {cell(quality['gl_estoi'])}).")
    if "vocoder" in bench:
        print(f"\nOn held-out real speech, ESTOI through the neural vocoder: autoencoder resynthesis "
              f"{cell(quality['neural_estoi'])}, true mel {cell(quality['neural_true_estoi'])}.")
    wall_times(bench, participants)


def participant_tables(bench: dict, participant: dict) -> None:
    """The methods' table with the ceilings, the training schedule, transfer's margins and the sentence table."""
    print(f"Mean over test sentences, then mean ± standard deviation over {len(bench['seeds'])} training seeds "
          f"({participant['data']['trials']['test']} test trials).\n")
    print("| method | trained parameters | " + " | ".join(COLUMNS) + " | training s |")
    print("|---|---|" + "---|" * len(COLUMNS) + "---|")
    for name, method in participant["methods"].items():
        across = method["across_seeds"]
        print(f"| {name} | {across['n_parameters']:,} | " + " | ".join(cell(across[c]) for c in COLUMNS)
              + f" | {across['train_seconds']:.0f} |")
    for name, ceiling in participant["ceilings"].items():
        print(f"| ceiling: {name} | | " + " | ".join(f"{ceiling[c]['mean']:.3f}" if c in ceiling else "" for c in COLUMNS)
              + " | |")
    schedule, alone = bench["schedule"], bench.get("phase2_alone")  # a timing run of phase 2 in older benches
    earlier = ", ".join(f"{n} seed {s}" for n, s in schedule.get("alone", []))  # JSON of a bench before b65529d
    print(f"\nTraining s: mean over seeds; {earlier + ' trained alone on every core, ' if earlier else ''}"
          f"{'every other' if earlier else 'every'} run in one of {schedule['jobs']} worker processes with "
          f"{schedule['threads_per_job']} thread(s) each, side by side.")
    if alone:
        print(f"Phase 2 alone (transfer seed {bench['seeds'][0]} trained again by itself on {alone['threads']} threads; "
              f"not in the table): {alone['train_seconds']:.0f} s, {alone['epochs']} epochs, "
              f"spectrogram_r {alone['means']['spectrogram_r']:.3f}, ESTOI {alone['means']['estoi']:.3f}.")
    if participant.get("margins"):
        margins_table(participant["margins"])
    print("\n" + comparison.markdown(comparison.by_sentence(participant["methods"])))


def margins_table(margins: dict) -> None:
    """Transfer's across-seed mean minus each other method's, beside the larger of their across-seed spreads."""
    print("\nTransfer's margin over each method: the difference of their across-seed means, beside the seed spread "
          "(the larger of their across-seed standard deviations).\n")
    print("| transfer vs | metric | margin | seed spread | margin beyond the spread |")
    print("|---|---|---|---|---|")
    for name, by_metric in margins.items():
        for metric, margin in by_metric.items():
            beyond = "yes" if margin["margin"] > margin["spread"] else "no"
            print(f"| {name} | {metric} | {margin['margin']:+.3f} | {margin['spread']:.3f} | {beyond} |")


def neural_vocoder_table(participant: dict) -> None:
    """The same decoded mels vocoded by Griffin-Lim and by the neural vocoder."""
    print("\nThe same decoded mels vocoded by Griffin-Lim and by the neural vocoder:\n")
    print("| method | stoi: Griffin-Lim | stoi: neural vocoder | estoi: Griffin-Lim | estoi: neural vocoder |")
    print("|---|---|---|---|---|")
    for name, method in participant["methods"].items():
        across = method["across_seeds"]
        print(f"| {name} | " + " | ".join(f"{cell(across[m])} | {cell(across['neural_vocoder'][m])}"
                                          for m in ("stoi", "estoi")) + " |")


def wall_times(bench: dict, participants: list) -> None:
    """Wall seconds of each stage, and which products the run made rather than loaded from the cache."""
    stages, made = bench["stage_seconds"], bench.get("cache", {}).get("built")  # no "cache" before this field existed
    vocoder = bench.get("vocoder")
    if vocoder:
        print(f"\nNeural vocoder: {vocoder['parameters']:,} parameters, {vocoder['epochs']} epochs.")
    print(f"\nWall time: total {stages['total'] / 60:.1f} min; " + ", ".join(
        f"{k} {v:.0f} s" for k, v in stages.items() if k != "total") + ".")
    for participant in participants:
        if "stage_seconds" in participant and participant is not bench:
            print(f"Participant {participant['name']}: " + ", ".join(
                f"{k} {v:.0f} s" for k, v in participant["stage_seconds"].items()) + ".")
    if made is not None:
        print("Products this run made in the cache: " + ", ".join(f"{kind} {n}" for kind, n in made.items())
              + "; anything else it loaded from the cache, so those stage times are load times and a loaded"
              " network's training s is that of the run that trained it.")


if __name__ == "__main__":
    main(sys.argv[1])
