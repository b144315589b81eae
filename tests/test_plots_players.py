import numpy as np

from srlib.players import comparison, player, shared_gain
from srlib.plots import plot_filter_responses, plot_spectrograms, plot_waveforms


def test_shared_gain_and_players(sine):
    a, b = sine(amp=0.5), sine(amp=0.1)
    g = shared_gain([a, b], peak=1.0)
    assert g == np.float32(2.0) or abs(g - 2.0) < 1e-6
    html = comparison({"low": b[::2], "high": a}, {"low": 8000, "high": 16000}).data
    assert html.count("<audio") == 2
    assert player(a, 16000, 2.0).data  # wav bytes


def test_figures(sine):
    x = sine()
    assert len(plot_spectrograms({"a": x, "b": x}, 16000, cutoff_hz=4000).axes) == 3  # 2 panels + colorbar
    assert len(plot_waveforms({"a": x}, 16000, duration_s=0.01).axes) == 1
    fig = plot_filter_responses(2000, 16000)
    assert len(fig.axes[0].lines) == 7 and len(fig.axes[1].lines) == 7
