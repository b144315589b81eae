"""Figures every notebook reuses: waveforms, spectrogram comparisons, filter responses.

Each function returns a :class:`matplotlib.figure.Figure` (and draws nothing
else), so notebooks show it and tests can inspect it.
"""

from __future__ import annotations

import numpy as np

from .data.recorded import GATE_FRACTION
from .degrade import frequency_response, group_delay_ms
from .metrics import METRIC_LABELS
from .spectral import log_power_spectrogram, stft

__all__ = ["plot_spectrograms", "plot_waveforms", "plot_filter_responses", "plot_history", "plot_metric_distributions",
           "plot_mean_spectra", "plot_tradeoff"]


def _figure(n_rows: int, n_cols: int, width: float, height: float, **kw):
    import matplotlib.pyplot as plt

    return plt.subplots(n_rows, n_cols, figsize=(width, height), squeeze=False, **kw)


def plot_spectrograms(signals: dict, sr_hz: int, *, n_fft: int = 1024, hop: int = 256,
                      cutoff_hz: float | None = None, max_hz: float | None = None, top_db: float = 80.0):
    """Side-by-side log-power spectrograms on one colour scale.

    Parameters
    ----------
    signals : dict of name -> float array, shape (n_samples,)
        All at the same rate ``sr_hz``.
    sr_hz : int
        Rate in Hz.
    cutoff_hz : float, optional
        Draw a dashed line here (the low-rate Nyquist).
    max_hz : float, optional
        Upper frequency shown.
    top_db : float
        Dynamic range shown, below the loudest bin of all signals.

    Returns
    -------
    matplotlib Figure with one panel per signal.
    """
    specs = {k: log_power_spectrogram(v, n_fft, hop, top_db=200.0) for k, v in signals.items()}
    vmax = max(float(s.max()) for s in specs.values())
    fig, axes = _figure(1, len(specs), 3.2 * len(specs) + 0.8, 3.0, sharey=True)
    im = None
    for ax, (name, spec) in zip(axes[0], specs.items()):
        t_end = spec.shape[1] * hop / sr_hz
        im = ax.imshow(spec, origin="lower", aspect="auto", cmap="magma", vmin=vmax - top_db, vmax=vmax,
                       extent=(0, t_end, 0, sr_hz / 2 / 1000))
        if cutoff_hz:
            ax.axhline(cutoff_hz / 1000, color="w", ls="--", lw=0.8)
        if max_hz:
            ax.set_ylim(0, max_hz / 1000)
        ax.set_title(name)
        ax.set_xlabel("time (s)")
    axes[0][0].set_ylabel("frequency (kHz)")
    fig.colorbar(im, ax=axes[0].tolist(), label="dB", pad=0.01)
    return fig


def plot_waveforms(signals: dict, sr_hz: int | dict, *, start_s: float = 0.0, duration_s: float | None = None):
    """Overlaid waveforms; ``sr_hz`` may be a dict to mix rates (stem plots for low rates).

    Returns
    -------
    matplotlib Figure.
    """
    fig, axes = _figure(1, 1, 9, 3)
    ax = axes[0][0]
    for name, x in signals.items():
        rate = sr_hz[name] if isinstance(sr_hz, dict) else sr_hz
        x = np.asarray(x)
        i0 = int(start_s * rate)
        i1 = len(x) if duration_s is None else i0 + int(duration_s * rate)
        t = np.arange(i0, min(i1, len(x))) / rate
        ax.plot(t * 1000, x[i0:i1], lw=1, marker="o" if len(t) < 80 else None, ms=3, label=name)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("amplitude")
    ax.legend(loc="upper right")
    return fig


def plot_filter_responses(cutoff_hz: float, sr_hz: float, filters=("cheby1", "butter", "ellip", "bessel", "fir", "paper")):
    """Magnitude (as applied: zero phase) and one-pass group delay of anti-aliasing filters.

    Returns
    -------
    matplotlib Figure with two panels: gain in dB, and the group delay in ms
    that one causal pass of each filter would add (where its gain is above -40 dB).
    """
    fig, axes = _figure(1, 2, 13, 3.5)
    ax, ax_d = axes[0]
    for name in filters:
        freqs, gain = frequency_response(cutoff_hz, sr_hz, name)
        line, = ax.plot(freqs / 1000, gain, label=name)
        f_d, delay = group_delay_ms(cutoff_hz, sr_hz, name, n_points=len(freqs))
        keep = gain > -40  # in the stop band the phase of a near-zero response is noise
        ax_d.plot(f_d[keep] / 1000, delay[keep], color=line.get_color(), label=name)
    for a in (ax, ax_d):
        a.axvline(cutoff_hz / 1000, color="k", ls="--", lw=0.8)
        a.set_xlabel("frequency (kHz)")
    ax.set_ylim(-120, 5)
    ax.set_ylabel("gain as applied, zero phase (dB)")
    ax_d.set_ylabel("group delay of one pass (ms)")
    ax_d.set_ylim(bottom=0)
    ax_d.set_xlim(0, 1.2 * cutoff_hz / 1000)
    ax.legend(ncol=3)
    return fig


def plot_history(history: dict, keys=("loss", "val_loss")):
    """Training curves from a Keras ``History.history`` dict or a CSV log read as a dict.

    Returns
    -------
    matplotlib Figure.
    """
    fig, axes = _figure(1, 1, 6, 3)
    ax = axes[0][0]
    for key in keys:
        if key in history:
            ax.plot(np.arange(1, len(history[key]) + 1), history[key], marker="o", label=key)
    ax.set_xlabel("epoch")
    ax.set_yscale("log")
    ax.legend()
    return fig


def plot_mean_spectra(signals: dict, sr_hz: int, *, cutoff_hz: float | None = None, n_fft: int = 1024,
                      hop: int = 256):
    """Long-term average spectrum of each method: where each one puts its energy.

    ``signals`` maps a method name to a list of float arrays (clips at
    ``sr_hz``); each curve is ``10 log10`` of the power spectrum averaged over
    every frame of every clip (Hann window, ``n_fft`` samples, hop ``hop``), so
    a method that leaves the high band too quiet (MSE's blur) shows as a curve
    below the reference's above ``cutoff_hz``.

    Returns
    -------
    matplotlib Figure.
    """
    fig, axes = _figure(1, 1, 7, 3.4)
    ax = axes[0][0]
    freqs = np.arange(n_fft // 2 + 1) * sr_hz / n_fft / 1000
    for name, clips in signals.items():
        power = np.concatenate([np.abs(stft(np.asarray(c, np.float32), n_fft, hop)) ** 2 for c in clips], axis=1)
        ax.plot(freqs, 10 * np.log10(power.mean(axis=1) + 1e-12), label=name, lw=1.2)
    if cutoff_hz:
        ax.axvline(cutoff_hz / 1000, color="k", ls="--", lw=0.8)
    ax.set_xlabel("frequency (kHz)")
    ax.set_ylabel("mean power (dB)")
    ax.legend(ncol=3, fontsize="small")
    fig.tight_layout()
    return fig


def plot_tradeoff(summary: dict, x: str = "snr_db", y: str = "lsd_hf"):
    """One point per method: a distortion measure against a spectral one (the perception-distortion plane).

    ``summary`` is :func:`srlib.evaluate.summarize` output; error bars are one
    standard deviation over clips divided by sqrt(n) (the standard error).

    Returns
    -------
    matplotlib Figure.
    """
    fig, axes = _figure(1, 1, 5.2, 3.8)
    ax = axes[0][0]
    for name, e in summary.items():
        if x not in e or y not in e:
            continue
        se = np.sqrt(max(e["n"], 1))
        ax.errorbar(e[x]["mean"], e[y]["mean"], xerr=e[x]["std"] / se, yerr=e[y]["std"] / se, fmt="o", capsize=3)
        ax.annotate(name, (e[x]["mean"], e[y]["mean"]), textcoords="offset points", xytext=(5, 5))
    ax.set_xlabel(METRIC_LABELS.get(x, x) + " (higher is better)")
    ax.set_ylabel(METRIC_LABELS.get(y, y) + " (lower is better)")
    fig.tight_layout()
    return fig


def plot_metric_distributions(rows, metrics=("snr_db", "lsd", "lsd_hf")):
    """Per-clip distributions of each metric, one box per method (from :func:`srlib.evaluate.evaluate_clips`).

    Returns
    -------
    matplotlib Figure with one panel per metric.
    """
    methods = list(dict.fromkeys(r["method"] for r in rows))
    fig, axes = _figure(1, len(metrics), 4.2 * len(metrics), 3.2)
    for ax, metric in zip(axes[0], metrics):
        data = [[r[metric] for r in rows if r["method"] == m and np.isfinite(r[metric])] for m in methods]
        ax.boxplot(data, showfliers=False)
        ax.set_xticks(range(1, len(methods) + 1), methods, rotation=30)
        ax.set_title(METRIC_LABELS.get(metric, metric))
    fig.tight_layout()
    return fig


def plot_bandwidths(corpus, sr_hz: int, gate_fraction: float | None = None):
    """Measured effective bandwidth of every clip, one row per source, with the gate for ``sr_hz`` Hz.

    Each dot is a clip (``meta["bandwidth_hz"]``, :func:`srlib.spectral.effective_bandwidth_hz`);
    the dashed line is the target's Nyquist frequency ``sr_hz / 2`` and the solid one the gate,
    ``gate_fraction * sr_hz / 2`` (default :data:`srlib.data.recorded.GATE_FRACTION`): clips left of it
    are refused for that target. Chapter: 03_data_generation.

    Returns
    -------
    matplotlib Figure.
    """
    fraction = GATE_FRACTION if gate_fraction is None else gate_fraction
    sources = list(dict.fromkeys(c.source for c in corpus.clips))
    fig, axes = _figure(1, 1, 7.5, 0.45 * len(sources) + 1.2)
    ax = axes[0][0]
    rng = np.random.default_rng(0)
    for i, source in enumerate(sources):
        bws = np.array([c.meta["bandwidth_hz"] for c in corpus.clips if c.source == source and "bandwidth_hz" in c.meta])
        ax.scatter(bws / 1000, i + 0.25 * rng.uniform(-1, 1, len(bws)), s=4, alpha=0.4)
    ax.axvline(sr_hz / 2000, color="k", ls="--", lw=1, label=f"Nyquist of {sr_hz / 1000:g} kHz")
    ax.axvline(fraction * sr_hz / 2000, color="C3", lw=1.5, label=f"gate ({fraction:g} x Nyquist)")
    ax.set_yticks(range(len(sources)), sources)
    ax.set_xlabel("measured bandwidth (kHz, -60 dB)")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    return fig

