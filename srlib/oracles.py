"""Oracle bands: outputs made from the original itself, to learn what each measure rewards.

A model's added band can be wrong in several ways at once: its level, its spectral envelope, its
fine structure (the harmonics of a voice) and its phase. Each oracle takes the original's band
above the input's cutoff and keeps some of these, so that a measure's score of the oracle says
how much that measure cares about what was kept. Below the cutoff every oracle but ``original`` (the
clip itself, the end a gap is measured to) is the sinc interpolation of the input, as a model's
output is its input there.

:data:`ORACLES`, in the STFT (Hann, ``n_fft`` 512, hop 128 at 16 kHz; ``X`` the original's,
``S`` the sinc interpolation's, ``k >= c`` the bins from the cutoff up):

- ``sinc``: nothing above the cutoff (the baseline a gap is measured from);
- ``original``: ``X``, the whole band;
- ``original at -6 dB`` and ``at -12 dB``: ``X / 2`` and ``X / 4``;
- ``magnitude, random phase``: ``|X| e^{i phi}``, ``phi`` uniform (seeded);
- ``magnitude, mirrored phase``: ``|X|`` with the input band's phase reflected about the cutoff,
  where the frame model's phase starts (:func:`srlib.models.spectral.mirror_index`);
- ``envelope, own phase``: ``|X|`` averaged over 9 bins (281 Hz at 16 kHz; reflected at the
  spectrum's ends), so the harmonic peaks are smoothed out and the envelope stays, with ``X``'s
  phase (which brings some of the peaks back in the inverse STFT);
- ``envelope, random phase`` and the same ``over 17 bins`` and ``over 33 bins`` (531 and 1031 Hz at
  16 kHz): the envelope alone, ever coarser, each with the random phase above, so nothing of the
  peaks comes back: how fine an envelope a measure asks of a model's band (formants are a few
  hundred hertz wide);
- ``mirrored input band at its level``: ``|S|`` reflected about the cutoff with the mirrored
  phase, scaled frame by frame to the energy of ``X``'s band: the band's loudness over time
  right, its spectrum a copy of the input's.

Needs librosa (the ``analysis`` extra) for the inverse STFT.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

from .audio import validate_audio, validate_ratio
from .errors import AudioError
from .evaluate import summarize
from .interpolate import upsample_baseline
from .metrics import band_level_db, evaluate_pair
from .models.spectral import mirror_index
from .spectral import stft

__all__ = ["ORACLES", "oracle_bands", "score_oracles"]

ORACLES = ("sinc", "original", "original at -6 dB", "original at -12 dB", "magnitude, random phase",
           "magnitude, mirrored phase", "envelope, own phase", "envelope, random phase",
           "envelope over 17 bins, random phase", "envelope over 33 bins, random phase",
           "mirrored input band at its level")
N_FFT, HOP = 512, 128
#: Widths (bins of the 512-point STFT) of the envelopes, finest first: 9 bins is 281 Hz at 16 kHz.
ENVELOPE_BINS = (9, 17, 33)


def oracle_bands(x, x_lr, ratio: int, *, seed: int = 0) -> dict:
    """The :data:`ORACLES` of one clip: name -> float32 array shaped as ``x``.

    Parameters
    ----------
    x : float array, shape (n_samples,)
        The original at the high rate.
    x_lr : float array, shape (n_samples / ratio,) or so
        The low-rate input made from it.
    ratio : int
        Up-sampling factor; the cutoff bin is ``n_fft / (2 ratio)`` (512-point STFT).
    seed : int
        Seeds the random phase.
    """
    import librosa

    x = validate_audio(x, name="x").astype(np.float32)
    ratio = validate_ratio(ratio)
    if x.ndim != 1 or len(x) < N_FFT:
        raise AudioError(f"x: expected a mono clip of at least {N_FFT} samples, got shape {x.shape}")
    n = len(x)
    sinc = upsample_baseline(x_lr, ratio, "sinc")[:n]
    sinc = np.pad(sinc, (0, n - len(sinc))).astype(np.float32)
    X, S = stft(x, N_FFT, HOP), stft(sinc, N_FFT, HOP)
    c = N_FFT // (2 * ratio)
    mirror = mirror_index(X.shape[0], c)
    mirrored_phase = np.exp(1j * np.angle(S)[mirror])
    random_phase = np.exp(2j * np.pi * np.random.default_rng(seed).random(X.shape))
    envelope, *coarse = (uniform_filter1d(np.abs(X), bins, axis=0, mode="reflect") for bins in ENVELOPE_BINS)
    mirrored = np.abs(S)[mirror]
    level = np.sqrt(np.sum(np.abs(X[c:]) ** 2, axis=0) / np.maximum(np.sum(mirrored[c:] ** 2, axis=0), 1e-20))
    bands = {"original": X, "original at -6 dB": X / 2, "original at -12 dB": X / 4,
             "magnitude, random phase": np.abs(X) * random_phase,
             "magnitude, mirrored phase": np.abs(X) * mirrored_phase,
             "envelope, own phase": envelope * np.exp(1j * np.angle(X)),
             "envelope, random phase": envelope * random_phase,
             **{f"envelope over {bins} bins, random phase": e * random_phase
                for bins, e in zip(ENVELOPE_BINS[1:], coarse)},
             "mirrored input band at its level": mirrored * level * mirrored_phase}

    def rebuilt(band):
        Y = S.copy()
        Y[c:] = band[c:]
        return librosa.istft(Y, hop_length=HOP, n_fft=N_FFT, window="hann", center=True, length=n).astype(np.float32)

    return {"sinc": sinc, **{name: x if name == "original" else rebuilt(band) for name, band in bands.items()}}


def score_oracles(cases, sr_hz: int, *, extra: dict | None = None, seed: int = 0) -> dict:
    """Each oracle, and each method of ``extra``, scored on every case: :func:`srlib.evaluate.summarize`'s
    dict (with PESQ-WB, STOI and DNSMOS, and the share of sinc's DNSMOS gap closed) plus ``band_db``,
    the mean of :func:`srlib.metrics.band_level_db` (the "original" has 0 dB) over the clips where it
    is finite (an output with no band at all, minus infinity, is left out of the mean).

    Parameters
    ----------
    cases : list of :class:`srlib.evaluate.Case`
        Clips and their low-rate inputs at an integer ratio of ``sr_hz`` (:func:`srlib.evaluate.cases_at_rates`).
    sr_hz : int
        Their rate, 16000 for PESQ-WB and DNSMOS.
    extra : dict name -> callable, optional
        ``f(x_lr, rate_hz) -> y`` at ``sr_hz``: methods scored beside the oracles (a model, say).
    """
    rows, band = [], {}
    for i, case in enumerate(cases):
        ratio = validate_ratio(round(sr_hz / case.rate_hz))
        outputs = oracle_bands(case.x, case.x_lr, ratio, seed=seed + i)
        for name, method in (extra or {}).items():
            y = np.asarray(method(case.x_lr, case.rate_hz), np.float32)[: len(case.x)]
            outputs[name] = np.pad(y, (0, len(case.x) - len(y)))
        for name, y in outputs.items():
            rows.append({"method": name, **evaluate_pair(case.x, y, sr_hz, ratio, perceptual=True)})
            band.setdefault(name, []).append(band_level_db(case.x, y, sr_hz, case.rate_hz / 2))
    summary = summarize(rows)
    for name, levels in band.items():
        finite = [v for v in levels if np.isfinite(v)]
        summary[name]["band_db"] = {"mean": float(np.mean(finite)) if finite else float("nan"), "std": float("nan")}
    return summary
