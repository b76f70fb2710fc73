"""Tests of the figure helpers: each draws what it is given, with the axes it promises."""
import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from n2s_lite import plots  # noqa: E402
from n2s_lite.recording import electrode_table  # noqa: E402


def mel(rng, frames=50):
    return rng.uniform(-50, 20, (frames, 80)).astype(np.float32)


def test_spectrograms_share_one_db_scale():
    rng = np.random.default_rng(0)
    quiet, loud = mel(rng) - 20, mel(rng)
    fig = plots.spectrograms({"quiet": quiet, "loud": loud})
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 2
    assert images[0].get_clim() == images[1].get_clim()
    assert images[0].get_clim()[1] == loud.max()


def test_electrode_maps_handles_numbers_text_and_bad_electrodes():
    electrodes = electrode_table(["a", "b", "c", "d"], [[0, 0], [1, 0], [0, 1], [1, 1]], bad=[False, False, False, True])
    fig = plots.electrode_maps(electrodes, {"r": [0.1, 0.5, 0.3, np.nan], "type": ["x", "y", "x", "y"]})
    map_axes = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in map_axes] == ["r", "type"]
    assert len(map_axes[1].get_legend().get_texts()) == 2  # categories among good electrodes only


def test_curves_draw_one_line_per_method():
    table = pd.DataFrame({"minutes": [1, 2, 1, 2], "method": ["a", "a", "b", "b"], "r": [0.1, 0.2, 0.3, 0.4]})
    fig = plots.curves(table, x="minutes", metric="r", logx=True)
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["a", "b"]
    np.testing.assert_allclose(lines[1].get_ydata(), [0.3, 0.4])


def test_curves_give_a_style_column_its_own_line_styles_within_one_colour():
    table = pd.DataFrame({"minutes": [1, 2] * 4, "method": ["a"] * 4 + ["b"] * 4,
                          "budget": ["epochs", "epochs", "steps", "steps"] * 2, "r": np.arange(8) / 10})
    lines = plots.curves(table, x="minutes", metric="r", style="budget").axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["a, epochs", "a, steps", "b, epochs", "b, steps"]
    assert [line.get_color() for line in lines] == ["C0", "C0", "C1", "C1"]
    assert [line.get_linestyle() for line in lines] == ["-", "--", "-", "--"]
    np.testing.assert_allclose(lines[3].get_ydata(), [0.6, 0.7])


def test_paired_matches_sentences_across_methods():
    table = pd.DataFrame({"start": [0, 10, 0, 10], "method": ["m", "m", "n", "n"], "r": [0.1, 0.2, 0.5, 0.6]})
    fig = plots.paired(table, "r", "m", "n")
    np.testing.assert_allclose(fig.axes[0].collections[0].get_offsets(), [[0.1, 0.5], [0.2, 0.6]])


def test_readable_controls_draw_pitch_three_formants_voicing_and_loudness():
    rng = np.random.default_rng(0)
    controls = {"f0_hz": rng.uniform(100, 200, 50), "formant_freq_hz": rng.uniform(300, 3000, (50, 6)),
                "formant_bw_hz": rng.uniform(50, 200, (50, 6)), "voicing": rng.uniform(0, 1, 50),
                "loudness": rng.uniform(0, 0.1, 50)}
    tracks = plots.readable_controls(controls)
    assert list(tracks) == ["f0 (Hz)", "formants (Hz)", "voicing", "loudness"]
    np.testing.assert_array_equal(tracks["formants (Hz)"], controls["formant_freq_hz"][:, :3])
    fig = plots.synth_controls(tracks, mel(rng), "title")
    assert len(fig.axes[-1].get_lines()) == 1 and len(fig.axes[-3].get_lines()) == 3  # loudness; F1-F3


def test_synth_controls_draw_a_reference_track_dashed_in_its_panel():
    rng = np.random.default_rng(1)
    tracks = {"f0 (Hz)": rng.uniform(100, 200, 50), "voicing": rng.uniform(0, 1, 50)}
    reference = np.where(np.arange(50) < 25, 150.0, np.nan)
    fig = plots.synth_controls(tracks, mel(rng), "title", references={"f0 (Hz)": ("pYIN", reference)})
    decoded, drawn = fig.axes[1].get_lines()
    np.testing.assert_array_equal(drawn.get_ydata(), reference)
    assert drawn.get_linestyle() == "--" and fig.axes[1].get_legend().get_texts()[0].get_text() == "pYIN"
    assert len(fig.axes[2].get_lines()) == 1 and fig.axes[2].get_legend() is None  # voicing has no reference


def test_synth_controls_draw_several_reference_tracks_with_one_legend_entry():
    rng = np.random.default_rng(2)
    tracks = {"formants (Hz)": rng.uniform(300, 3000, (40, 4))}
    reference = rng.uniform(300, 3000, (40, 3))
    fig = plots.synth_controls(tracks, mel(rng), references={"formants (Hz)": ("LPC", reference)})
    lines = fig.axes[1].get_lines()
    assert len(lines) == 4 + 3 and all(line.get_linestyle() == "--" for line in lines[4:])
    np.testing.assert_array_equal(lines[5].get_ydata(), reference[:, 1])
    assert [t.get_text() for t in fig.axes[1].get_legend().get_texts()] == ["LPC"]
