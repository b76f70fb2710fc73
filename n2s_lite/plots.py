"""Figures of the notebooks: every helper takes computed arrays or tables and returns a matplotlib Figure.

Nothing here computes results; the notebooks compute with the rest of the package and plot with this
module. `save_figure` is the one way a figure reaches disk: PNG (for the README and slides) and PDF
(vector, for papers), each written atomically, under a stable name `figNN_<what>`.
"""
from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import audio as A
from .utils import atomic_path

FIGURE_NAME = re.compile(r"^fig\d{2}_[a-z0-9_]+$")
FORMATS = ("png", "pdf")
DPI = 150
MEL_CMAP = "magma"
MAP_CMAP = "viridis"


def save_figure(fig: plt.Figure, name: str, figures_dir, formats=FORMATS) -> list[Path]:
    """Write `fig` as figures_dir/name.png and .pdf (atomically); return the paths written.

    name must look like 'fig05_decoded_spectrograms' (two-digit notebook number, then what it shows).
    """
    if not FIGURE_NAME.match(name):
        raise ValueError(f"figure name must match {FIGURE_NAME.pattern} (e.g. 'fig05_decoded'), got {name!r}")
    paths = []
    for fmt in formats:
        path = Path(figures_dir) / f"{name}.{fmt}"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=DPI, bbox_inches="tight", metadata=_reproducible_metadata(fmt))
        paths.append(path)
    return paths


def _reproducible_metadata(fmt: str) -> dict:
    """Drop the creation date from vector files so re-running a notebook gives identical bytes."""
    return {"CreationDate": None} if fmt == "pdf" else {}


# ----------------------------------------------------------------------------------------- spectrograms
def draw_mel(ax: plt.Axes, mel: np.ndarray, title: str = "", vmin: float | None = None,
             vmax: float | None = None):
    """Draw a (T, 80) dB log-mel on `ax` with time in seconds and frequency in kHz; return the image."""
    mel = np.asarray(mel)
    seconds = mel.shape[0] / A.FRAME_RATE
    image = ax.imshow(mel.T, origin="lower", aspect="auto", cmap=MEL_CMAP, vmin=vmin, vmax=vmax,
                      extent=(0.0, seconds, -0.5, mel.shape[1] - 0.5), interpolation="nearest")
    centres = A.mel_centre_frequencies()
    ticks = np.searchsorted(centres, [250, 1000, 2000, 4000, 7000])
    ax.set_yticks(ticks, [f"{centres[i] / 1000:.1f}" for i in ticks])
    ax.set_ylabel("kHz")
    ax.set_title(title, fontsize=10, loc="left")
    return image


def spectrograms(mels: dict, ncols: int = 1, panel_size=(7.0, 1.8), shared_scale: bool = True) -> plt.Figure:
    """One panel per (title -> (T, 80) dB log-mel), on a shared dB scale so panels compare directly."""
    titles, arrays = list(mels), [np.asarray(m) for m in mels.values()]
    nrows = int(np.ceil(len(arrays) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows),
                             squeeze=False, constrained_layout=True)
    vmin = min(float(np.percentile(m, 1)) for m in arrays) if shared_scale else None
    vmax = max(float(m.max()) for m in arrays) if shared_scale else None
    for ax, title, mel in zip(axes.flat, titles, arrays):
        image = draw_mel(ax, mel, title, vmin, vmax)
    for ax in axes.flat[len(arrays):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    fig.colorbar(image, ax=axes, label="dB", shrink=0.8)
    return fig


# -------------------------------------------------------------------------------------------- corpus
def durations(seconds, title: str = "utterance durations") -> plt.Figure:
    """Histogram of utterance durations in seconds."""
    fig, ax = plt.subplots(figsize=(5, 3), constrained_layout=True)
    ax.hist(np.asarray(seconds), bins=30, color="0.3")
    ax.set(xlabel="duration (s)", ylabel="utterances", title=title)
    return fig


# -------------------------------------------------------------------------------------- electrodes
def electrode_maps(electrodes: pd.DataFrame, maps: dict, cmaps: dict | None = None) -> plt.Figure:
    """One panel per (title -> (E,) value per electrode), drawn at the electrodes' x, y positions.

    Numeric values get a colour bar; text values (e.g. response types) get one colour each and a legend.
    Bad electrodes (electrodes.bad) are drawn as grey crosses.
    """
    cmaps = cmaps or {}
    x, y = electrodes["x"].to_numpy(), electrodes["y"].to_numpy()
    bad = electrodes["bad"].to_numpy(dtype=bool)
    fig, axes = plt.subplots(1, len(maps), figsize=(3.6 * len(maps), 3.2), squeeze=False, constrained_layout=True)
    for ax, (title, values) in zip(axes[0], maps.items()):
        values = np.asarray(values)
        if values.dtype.kind in "OUS":
            for i, category in enumerate(sorted(set(values[~bad]))):
                chosen = ~bad & (values == category)
                ax.scatter(x[chosen], y[chosen], s=60, color=f"C{i}", edgecolors="k", linewidths=0.3, label=category)
            ax.legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3)
        else:
            points = ax.scatter(x[~bad], y[~bad], c=values[~bad].astype(float), s=60, cmap=cmaps.get(title, MAP_CMAP),
                                edgecolors="k", linewidths=0.3)
            fig.colorbar(points, ax=ax, shrink=0.8)
        ax.scatter(x[bad], y[bad], marker="x", c="0.5", s=30)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=10)
    return fig


def signal_chain(raw: np.ndarray, raw_rate: float, high_gamma: np.ndarray, mel: np.ndarray,
                 electrode_name: str = "") -> plt.Figure:
    """Stimulus log-mel (T, 80), one electrode's raw trace (S,) at raw_rate and its high-gamma (T,) at 100 Hz."""
    fig, axes = plt.subplots(3, 1, figsize=(8, 5.5), sharex=True, constrained_layout=True)
    draw_mel(axes[0], mel, "stimulus (log-mel)")
    axes[1].plot(np.arange(len(raw)) / raw_rate, raw, lw=0.4, color="0.3")
    axes[1].set(ylabel="raw (a.u.)", title=f"raw broadband, electrode {electrode_name}")
    axes[2].plot(np.arange(len(high_gamma)) / A.FRAME_RATE, high_gamma, color="C3")
    axes[2].set(ylabel="z-score", xlabel="time (s)", title="high-gamma envelope (70-150 Hz), 100 Hz")
    for ax in axes[1:]:
        ax.title.set_fontsize(10)
        ax.title.set_horizontalalignment("left")
        ax.title.set_position((0.0, 1.0))
    return fig


def encoding_scatter(table: pd.DataFrame, x: str, y: str, title: str = "") -> plt.Figure:
    """Scatter of two per-electrode columns (e.g. noise ceiling vs encoding r) with the identity line."""
    fig, ax = plt.subplots(figsize=(4, 4), constrained_layout=True)
    ax.scatter(table[x], table[y], s=18, color="C0")
    low = float(min(table[x].min(), table[y].min(), 0.0))
    high = float(max(table[x].max(), table[y].max()))
    ax.plot([low, high], [low, high], color="0.6", lw=1, ls="--")
    ax.set(xlabel=x, ylabel=y, title=title)
    return fig


# -------------------------------------------------------------------------------------------- training
def learning_curves(history, title: str = "") -> plt.Figure:
    """Training and validation loss per epoch from a history (list of dicts or DataFrame with epoch,
    train_loss, val_loss)."""
    history = pd.DataFrame(history)
    fig, ax = plt.subplots(figsize=(5, 3), constrained_layout=True)
    ax.plot(history["epoch"], history["train_loss"], label="train")
    ax.plot(history["epoch"], history["val_loss"], label="validation")
    ax.set(xlabel="epoch", ylabel="loss", title=title)
    ax.legend(frameon=False)
    return fig


# ----------------------------------------------------------------------------------------- synthesizer
def readable_controls(controls: dict, n_formants: int = 3) -> dict:
    """The synthesizer's controls (name -> (T,) or (T, K) array) -> the tracks `synth_controls` draws for a
    fitted or decoded utterance: f0, the first n_formants formant frequencies, voicing and loudness."""
    return {"f0 (Hz)": controls["f0_hz"], "formants (Hz)": controls["formant_freq_hz"][:, :n_formants],
            "voicing": controls["voicing"], "loudness": controls["loudness"]}


def synth_controls(controls: dict, mel: np.ndarray, title: str = "", references: dict | None = None) -> plt.Figure:
    """A (T, 80) log-mel with the synthesizer's control tracks under it; controls: name -> (T,) or (T, K).

    references: {name of a control: (label, (T,) or (T, K) tracks)}, drawn dashed in black in that control's
    panel with one legend entry (e.g. pYIN's f0 under a decoded f0, LPC's F1-F3 under decoded formants; NaN
    frames are left blank)."""
    references = references or {}
    fig, axes = plt.subplots(1 + len(controls), 1, figsize=(8, 1.8 + 1.1 * len(controls)), sharex=True,
                             constrained_layout=True, gridspec_kw=dict(height_ratios=[2.0] + [1.0] * len(controls)))
    draw_mel(axes[0], mel, title)
    for ax, (name, track) in zip(axes[1:], controls.items()):
        track = np.asarray(track)
        ax.plot(np.arange(track.shape[0]) / A.FRAME_RATE, track, lw=1)
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
        if name in references:
            label, reference = references[name]
            lines = ax.plot(np.arange(len(reference)) / A.FRAME_RATE, reference, "k--", lw=1)
            for i, line in enumerate(lines):
                line.set_label(label if i == 0 else "_nolegend_")
            ax.legend(loc="upper right", fontsize=8)
    axes[-1].set_xlabel("time (s)")
    return fig


# ---------------------------------------------------------------------------------------------- results
def metric_spread(per_sentence: pd.DataFrame, metrics, by: str = "method", ceilings: dict | None = None,
                  order=None) -> plt.Figure:
    """Per-sentence spread of each metric by method (box + points); ceilings: metric -> value drawn as a line."""
    import seaborn as sns

    def draw(ax, metric):
        sns.boxplot(data=per_sentence, x=by, y=metric, order=order, ax=ax, color="0.85", fliersize=0)
        sns.stripplot(data=per_sentence, x=by, y=metric, order=order, ax=ax, size=3, color="C0", alpha=0.7)

    return _metric_panels(metrics, draw, ceilings, panel_width=2.8)


def _metric_panels(metrics, draw, ceilings: dict | None, panel_width: float) -> plt.Figure:
    """One panel per metric side by side: draw(ax, metric) fills it, a dashed line marks its ceiling."""
    metrics = list(metrics)
    fig, axes = plt.subplots(1, len(metrics), figsize=(panel_width * len(metrics), 3.4), squeeze=False,
                             constrained_layout=True)
    for ax, metric in zip(axes[0], metrics):
        draw(ax, metric)
        if ceilings and metric in ceilings:
            ax.axhline(ceilings[metric], color="C3", ls="--", lw=1, label="ceiling")
        ax.set(xlabel="", ylabel="", title=metric)
        plt.setp(ax.get_xticklabels(), rotation=40, ha="right", rotation_mode="anchor")
    return fig


def curves(table: pd.DataFrame, x: str, metric: str, by: str = "method", logx: bool = False,
           title: str = "", style: str | None = None) -> plt.Figure:
    """Mean (line) and spread (band: +-1 sd over the rows of each x, e.g. sentences or seeds) of `metric` vs x.

    One colour per value of `by`; style: a second column whose values get their own line styles.
    """
    colors = {name: f"C{i}" for i, name in enumerate(table[by].unique())}
    line_styles = {name: ("-", "--", ":", "-.")[i % 4] for i, name in enumerate(table[style].unique())} if style else {}
    fig, ax = plt.subplots(figsize=(5, 3.4), constrained_layout=True)
    for keys, group in table.groupby([by, style] if style else [by], sort=False):
        stats = group.groupby(x)[metric].agg(["mean", "std"]).fillna(0.0)
        color = colors[keys[0]]
        ax.plot(stats.index, stats["mean"], marker="o", color=color, ls=line_styles[keys[1]] if style else "-",
                label=", ".join(map(str, keys)))
        ax.fill_between(stats.index, stats["mean"] - stats["std"], stats["mean"] + stats["std"],
                        color=color, alpha=0.15)
    if logx:
        ax.set_xscale("log")
        ticks = sorted(table[x].unique())
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.minorticks_off()
    ax.set(xlabel=x, ylabel=metric, title=title)
    ax.legend(frameon=False, fontsize=8)
    return fig


def metric_bars(per_sentence: pd.DataFrame, metrics, by: str = "method", ceilings: dict | None = None,
                order=None) -> plt.Figure:
    """Mean of each metric by method with +-1 standard error over sentences; ceilings: metric -> value (line)."""
    import seaborn as sns

    def draw(ax, metric):
        sns.barplot(data=per_sentence, x=by, y=metric, order=order, ax=ax, errorbar="se", color="C0")

    return _metric_panels(metrics, draw, ceilings, panel_width=2.6)


def paired(per_sentence: pd.DataFrame, metric: str, first: str, second: str, by: str = "method",
           key: str = "start") -> plt.Figure:
    """Per-sentence `metric` of method `second` against method `first` (rows matched on `key`), identity line."""
    wide = per_sentence.pivot_table(index=key, columns=by, values=metric)
    fig, ax = plt.subplots(figsize=(3.8, 3.8), constrained_layout=True)
    ax.scatter(wide[first], wide[second], s=20)
    low, high = float(np.nanmin(wide[[first, second]].to_numpy())), float(np.nanmax(wide[[first, second]].to_numpy()))
    ax.plot([low, high], [low, high], color="0.6", ls="--", lw=1)
    ax.set(xlabel=f"{first}: {metric}", ylabel=f"{second}: {metric}", title="one point per test sentence")
    return fig


def explorer_view(mels: dict, electrodes: pd.DataFrame, importance: np.ndarray, importance_title: str) -> plt.Figure:
    """Explorer figure: stacked (T, 80) log-mels (title -> mel, shared dB scale) and a per-electrode map."""
    fig = plt.figure(figsize=(11, 1.7 * len(mels) + 0.6), constrained_layout=True)
    grid = fig.add_gridspec(len(mels), 2, width_ratios=[2.2, 1.0])
    arrays = [np.asarray(m) for m in mels.values()]
    vmin, vmax = min(float(np.percentile(m, 1)) for m in arrays), max(float(m.max()) for m in arrays)
    for row, (title, mel) in enumerate(zip(mels, arrays)):
        draw_mel(fig.add_subplot(grid[row, 0]), mel, title, vmin, vmax)
    ax = fig.add_subplot(grid[:, 1])
    good = ~electrodes["bad"].to_numpy(dtype=bool)
    points = ax.scatter(electrodes["x"][good], electrodes["y"][good], c=np.asarray(importance)[good], s=70,
                        cmap="Reds", edgecolors="k", linewidths=0.3)
    ax.scatter(electrodes["x"][~good], electrodes["y"][~good], marker="x", c="0.5", s=30)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(importance_title, fontsize=9)
    fig.colorbar(points, ax=ax, shrink=0.6, orientation="horizontal")
    return fig
