import numpy as np

from srlib.players import comparison, listening_room, player, shared_gain
from srlib.plots import plot_filter_responses, plot_spectrograms, plot_waveforms


def test_shared_gain_and_players(sine):
    a, b = sine(amp=0.5), sine(amp=0.1)
    g = shared_gain([a, b], peak=1.0)
    assert g == np.float32(2.0) or abs(g - 2.0) < 1e-6
    html = comparison({"low": b[::2], "high": a}, {"low": 8000, "high": 16000}).data
    assert html.count("<audio") == 2
    p = player(a, 16000, 2.0)
    assert p.data[:4] == b"OggS" and 'type="audio/ogg"' in p._repr_html_() and "data:audio/ogg;base64," in html
    import io

    import soundfile as sf

    decoded, sr_hz = sf.read(io.BytesIO(p.data), dtype="float32")
    assert sr_hz == 16000 and abs(len(decoded) - len(a)) < 1024
    # the shared gain and no normalisation survive the codec: the 0.5 sine at gain 2 peaks near full scale
    assert 0.9 < np.abs(decoded).max() < 1.1 and len(p.data) < len(a) * 2 / 3  # far smaller than 16-bit WAV


def test_figures(sine):
    x = sine()
    assert len(plot_spectrograms({"a": x, "b": x}, 16000, cutoff_hz=4000).axes) == 3  # 2 panels + colorbar
    assert len(plot_waveforms({"a": x}, 16000, duration_s=0.01).axes) == 1
    fig = plot_filter_responses(2000, 16000)
    assert len(fig.axes[0].lines) == 7 and len(fig.axes[1].lines) == 7


def test_mean_spectra_show_a_missing_band(sine):
    import matplotlib.pyplot as plt

    from srlib.degrade import make_lowres
    from srlib.plots import plot_mean_spectra, plot_tradeoff

    rng = np.random.default_rng(0)
    noise = [(0.1 * rng.standard_normal(16000)).astype("float32") for _ in range(2)]
    low = [make_lowres(x, 4, keep_rate=True) for x in noise]
    fig = plot_mean_spectra({"reference": noise, "low rate": low}, 16000, cutoff_hz=2000)
    ref_line, low_line = fig.axes[0].get_lines()[:2]
    freqs, ref_db, low_db = ref_line.get_xdata(), ref_line.get_ydata(), low_line.get_ydata()
    high = freqs > 3  # kHz
    assert np.all(ref_db[high] - low_db[high] > 40) and abs(ref_db[10] - low_db[10]) < 1
    summary = {"a": {"n": 4, "snr_db": {"mean": 10.0, "std": 1.0}, "lsd_hf": {"mean": 3.0, "std": 0.5}},
               "b": {"n": 4, "snr_db": {"mean": 12.0, "std": 1.0}, "lsd_hf": {"mean": 2.0, "std": 0.5}}}
    fig2 = plot_tradeoff(summary)
    assert [t.get_text() for t in fig2.axes[0].texts] == ["a", "b"]
    plt.close("all")


def test_a_listening_room_follows_its_controls(sine):
    versions = {f"{db} dB": {m: sine(220 * (i + 1)) * 10 ** (db / 20) for i, m in enumerate(["spline", "model", "HR"])}
                for db in (0, -20, -40)}
    seen = []
    room = listening_room(versions, 16000, names=("level", "method"), reference="HR",
                          show=lambda label, x: seen.append((label, float(np.abs(x).max()))))
    level, method, _ = room.children
    assert (level.description, list(level.options), list(method.options)) == (
        "level", ["0 dB", "-20 dB", "-40 dB"], ["spline", "model", "HR"])
    assert seen == [("spline", 0.5)]  # drawn once at the start, for the first choices
    level.value, method.value = "-20 dB", "model"
    assert seen[-1][0] == "model" and abs(seen[-1][1] - 0.05) < 1e-6
    many = listening_room({f"clip {i}": {"a": sine(), "b": sine()} for i in range(8)}, 16000)
    assert type(many.children[0]).__name__ == "Dropdown" and type(many.children[1]).__name__ == "ToggleButtons"
