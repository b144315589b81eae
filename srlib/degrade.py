"""Making low-resolution audio: anti-aliasing low-pass filters and decimation.

A super-resolution training pair is a high-rate signal ``x`` (rate ``sr_hz``)
and its low-rate version ``x_lr`` (rate ``sr_hz / ratio``). Taking every
``ratio``-th sample alone would fold everything above the new Nyquist
frequency ``sr_hz / (2 ratio)`` back into the band (aliasing), so the signal is
low-passed first.

Which low-pass matters: a model trained on one filter learns that filter's
fingerprint and fails on others (Sulun & Davies 2020). So the filter is
selectable by name, and ``"random"`` draws a family, order and ripple from a
seeded generator (NU-Wave 2 randomises Chebyshev orders 1-11 the same way).

Named filters are *designed to a specification*: the response of the
zero-phase (forward-backward) filter is at most ``-stop_db`` (60 dB by default)
at and above ``cutoff_hz``; the filter's critical frequency is found by
bisection so that each family meets the spec as tightly as it can. The
passband edge is where each family's shape puts it: an elliptic filter keeps
almost everything up to the cutoff, a Bessel filter (smooth phase, gentle
slope) gives up much more. The ``"paper"`` filter is exactly the one of
``scipy.signal.decimate`` that Kuleshov et al. (2017) used: Chebyshev type I,
order 8, 0.05 dB ripple, edge at 0.8 of the new Nyquist, zero phase.

Notebook ``01_sampling_and_aliasing`` plots all their responses.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from .audio import fix_length, resample, validate_audio, validate_ratio
from .errors import AudioError, ConfigError
from .extras import lazy

#: scipy.signal costs over half a second of start-up: imported when a function first uses it.
signal = lazy("scipy.signal")

__all__ = [
    "FILTERS",
    "FilterSpec",
    "filter_spec",
    "random_filter",
    "design_lowpass",
    "frequency_response",
    "group_delay_ms",
    "lowpass",
    "make_lowres",
    "make_lowres_at",
    "degrade_pair",
]

#: Names accepted wherever a filter is asked for.
FILTERS = ("cheby1", "butter", "ellip", "bessel", "fir", "soxr", "paper", "random")

_IIR = ("cheby1", "butter", "ellip", "bessel")


@dataclass(frozen=True)
class FilterSpec:
    """A low-pass filter described by its family and shape.

    Attributes
    ----------
    family : str
        ``cheby1``, ``butter``, ``ellip``, ``bessel`` (IIR, applied forward and
        backward), ``fir`` (Kaiser-window linear-phase FIR, delay removed),
        ``soxr`` (resample down and back up with soxr), or ``paper``.
    order : int
        IIR order (ignored by ``fir`` and ``soxr``).
    ripple_db : float
        Passband ripple of ``cheby1`` and ``ellip`` in dB.
    stop_db : float
        Attenuation required at and above the cutoff (zero-phase response).
    edge : str
        ``"stop"``: ``cutoff_hz`` is where the response has fallen by ``stop_db``
        (the critical frequency is tuned to meet it). ``"pass"``: ``cutoff_hz``
        is the family's critical frequency itself (scipy's ``Wn``), as in
        filter-randomised training, which lets some aliasing through.
    """

    family: str = "cheby1"
    order: int = 8
    ripple_db: float = 0.05
    stop_db: float = 60.0
    edge: str = "stop"


def filter_spec(filter="cheby1", *, seed=None) -> FilterSpec:
    """Turn a filter name (or a :class:`FilterSpec`) into a :class:`FilterSpec`.

    ``"random"`` draws one with :func:`random_filter` from ``seed``.

    Examples
    --------
    >>> filter_spec("butter").family
    'butter'
    """
    if isinstance(filter, FilterSpec):
        return filter
    if filter == "random":
        return random_filter(np.random.default_rng(seed))
    if filter not in FILTERS:
        raise ConfigError(f"filter: got {filter!r}; expected one of {', '.join(FILTERS)}")
    if filter == "paper":
        return FilterSpec("cheby1", 8, 0.05, edge="paper")
    if filter == "ellip":
        return FilterSpec("ellip", 8, 0.05)
    return FilterSpec(filter)


def random_filter(rng: np.random.Generator) -> FilterSpec:
    """Draw a random IIR anti-aliasing filter (filter-generalisation training).

    Family uniformly from cheby1/butter/ellip/bessel; order uniformly 1..11
    (NU-Wave 2's range for Chebyshev); ripple log-uniform 0.01..1 dB; the
    critical frequency sits at the cutoff (``edge="pass"``).

    Examples
    --------
    >>> spec = random_filter(np.random.default_rng(0))
    >>> spec.family in ("cheby1", "butter", "ellip", "bessel") and 1 <= spec.order <= 11
    True
    """
    family = _IIR[int(rng.integers(len(_IIR)))]
    order = int(rng.integers(1, 12))
    ripple_db = float(10 ** rng.uniform(-2, 0))
    return FilterSpec(family, order, ripple_db, stop_db=60.0, edge="pass")


def _iir_sos(spec: FilterSpec, wn: float) -> np.ndarray:
    """SOS of one IIR family with normalised critical frequency ``wn`` (1 = Nyquist)."""
    if spec.family == "cheby1":
        return signal.cheby1(spec.order, spec.ripple_db, wn, output="sos")
    if spec.family == "butter":
        return signal.butter(spec.order, wn, output="sos")
    if spec.family == "ellip":
        return signal.ellip(spec.order, spec.ripple_db, spec.stop_db / 2 + 20, wn, output="sos")
    if spec.family == "bessel":
        return signal.bessel(spec.order, wn, output="sos", norm="mag")
    raise ConfigError(f"filter family {spec.family!r} is not an IIR family")


def _zero_phase_db(sos: np.ndarray, w: float) -> float:
    """Zero-phase (forward-backward) gain in dB at normalised frequency ``w``."""
    _, h = signal.sosfreqz(sos, worN=[w * np.pi])
    return float(2 * 20 * np.log10(max(abs(h[0]), 1e-300)))


def design_lowpass(cutoff_hz: float, sr_hz: float, filter="cheby1", *, seed=None):
    """Design an anti-aliasing low-pass filter.

    Parameters
    ----------
    cutoff_hz : float
        Cutoff in Hz, usually the new Nyquist ``sr_hz / (2 * ratio)``; see
        :class:`FilterSpec` for what "cutoff" means with each ``edge``.
    sr_hz : float
        Sample rate of the signal to filter, in Hz.
    filter : str or FilterSpec
        One of :data:`FILTERS`.

    Returns
    -------
    (kind, coefficients) : tuple
        ``("sos", array (n_sections, 6))`` for IIR filters, ``("fir", taps)`` for
        FIR, ``("soxr", None)`` for soxr.
    """
    return _design(float(cutoff_hz), float(sr_hz), filter_spec(filter, seed=seed))


@lru_cache(maxsize=256)
def _design(cutoff_hz: float, sr_hz: float, spec: FilterSpec):
    nyq = sr_hz / 2
    if not 0 < cutoff_hz < nyq:
        raise AudioError(f"cutoff_hz: got {cutoff_hz}; expected between 0 and the Nyquist frequency {nyq} Hz")
    w_cut = cutoff_hz / nyq
    if spec.family == "soxr":
        return "soxr", None
    if spec.family == "fir":
        # Kaiser FIR, applied once (linear phase, delay removed): designed for
        # stop_db + 3 dB (Kaiser's formula is approximate), with a transition
        # band of 10 % of the cutoff below it.
        width = 0.1 * w_cut
        numtaps, beta = signal.kaiserord(spec.stop_db + 3, width)
        numtaps |= 1  # odd: an integer group delay
        taps = signal.firwin(numtaps, w_cut - width / 2, window=("kaiser", beta))
        return "fir", taps
    if spec.edge == "paper":
        return "sos", _iir_sos(spec, 0.8 * w_cut)
    if spec.edge == "pass":
        return "sos", _iir_sos(spec, w_cut)
    # edge == "stop": bisection on the critical frequency so that the
    # zero-phase response at the cutoff is -stop_db (monotone in wn).
    lo, hi = 1e-4, w_cut
    if _zero_phase_db(_iir_sos(spec, hi), w_cut) <= -spec.stop_db:
        return "sos", _iir_sos(spec, hi)
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        if _zero_phase_db(_iir_sos(spec, mid), w_cut) <= -spec.stop_db:
            lo = mid
        else:
            hi = mid
    return "sos", _iir_sos(spec, lo)


def frequency_response(cutoff_hz: float, sr_hz: float, filter="cheby1", n_points: int = 2048):
    """Zero-phase magnitude response of a named filter, for plots.

    Returns
    -------
    freqs_hz : array, shape (n_points,)
    gain_db : array, shape (n_points,)
        Gain of the filter as :func:`lowpass` applies it (forward-backward for IIR).
    """
    kind, coef = design_lowpass(cutoff_hz, sr_hz, filter)
    freqs = np.linspace(0, sr_hz / 2, n_points, endpoint=False)
    w = freqs / (sr_hz / 2) * np.pi
    if kind == "sos":
        _, h = signal.sosfreqz(coef, worN=w)
        gain = 2 * 20 * np.log10(np.maximum(np.abs(h), 1e-300))
    elif kind == "fir":
        _, h = signal.freqz(coef, worN=w)
        gain = 20 * np.log10(np.maximum(np.abs(h), 1e-300))
    else:  # soxr: measure with an impulse through the actual round trip
        imp = np.zeros(2 * n_points, dtype=np.float32)
        imp[n_points] = 1.0
        y = lowpass(imp, sr_hz, cutoff_hz, "soxr")
        h = np.fft.rfft(y)[:n_points]
        gain = 20 * np.log10(np.maximum(np.abs(h), 1e-300))
    return freqs, np.maximum(gain, -200.0)


def group_delay_ms(cutoff_hz: float, sr_hz: float, filter="cheby1", n_points: int = 2048):
    """Group delay of a filter applied *once* (causally), in milliseconds, for plots.

    ``lowpass`` applies IIR filters forward and backward, which cancels the
    phase; this shows what a single causal pass would do to each frequency:
    ``tau(f) = -d phi / d omega``. Linear-phase FIR filters have a constant delay.

    Returns
    -------
    freqs_hz : array, shape (n_points,)
    delay_ms : array, shape (n_points,)
    """
    kind, coef = design_lowpass(cutoff_hz, sr_hz, filter)
    freqs = np.linspace(0, sr_hz / 2, n_points, endpoint=False)
    w = freqs / (sr_hz / 2) * np.pi
    if kind == "sos":
        _, h = signal.sosfreqz(coef, worN=w)
    elif kind == "fir":
        _, h = signal.freqz(coef, worN=w)
    else:
        raise ConfigError("group_delay_ms: soxr is not a fixed filter; choose an IIR or FIR family")
    phase = np.unwrap(np.angle(h))
    delay_samples = -np.gradient(phase, w)
    return freqs, 1000 * delay_samples / sr_hz


def lowpass(x, sr_hz: float, cutoff_hz: float, filter="cheby1", *, seed=None) -> np.ndarray:
    """Low-pass ``x`` at ``cutoff_hz``, zero phase, keeping its rate and length.

    Parameters
    ----------
    x : float array, shape (n_samples,) or (n_channels, n_samples)
    sr_hz : float
        Rate of ``x`` in Hz.
    cutoff_hz : float
        Cutoff in Hz (see :class:`FilterSpec`).
    filter : str or FilterSpec
        One of :data:`FILTERS`.
    seed : int, optional
        Seed for ``filter="random"``.

    Returns
    -------
    float32 array, same shape as ``x``.

    Examples
    --------
    >>> t = np.arange(16000) / 16000
    >>> y = lowpass(np.sin(2 * np.pi * 6000 * t), 16000, 4000)
    >>> float(np.abs(y[1000:-1000]).max()) < 1e-3
    True
    """
    x = validate_audio(x)
    kind, coef = design_lowpass(cutoff_hz, sr_hz, filter, seed=seed)
    if kind == "sos":
        padlen = min(x.shape[-1] - 1, 3 * 2 * len(coef))
        y = signal.sosfiltfilt(coef, x, axis=-1, padlen=max(padlen, 0))
    elif kind == "fir":
        y = signal.oaconvolve(x, coef.reshape((1,) * (x.ndim - 1) + (-1,)), mode="same", axes=-1)
    else:
        import soxr

        low_sr = 2 * cutoff_hz
        down = soxr.resample(x.T, sr_hz, low_sr, quality="VHQ")
        y = soxr.resample(down, low_sr, sr_hz, quality="VHQ").T
        n = x.shape[-1]
        y = fix_length(y, n)
    return np.ascontiguousarray(y, dtype=np.float32)


def make_lowres(x, ratio: int, filter="cheby1", *, seed=None, keep_rate: bool = False) -> np.ndarray:
    """Low-pass at the new Nyquist and decimate by ``ratio``.

    Parameters
    ----------
    x : float array, shape (n_samples,) or (n_channels, n_samples)
        High-rate signal. Rates are relative here: the cutoff is the new Nyquist,
        ``1 / (2 ratio)`` of the rate of ``x``.
    ratio : int
        Decimation factor, an integer >= 2.
    filter : str or FilterSpec
        One of :data:`FILTERS`.
    seed : int, optional
        Seed for ``filter="random"``.
    keep_rate : bool
        If True, return the band-limited signal at the original rate (same shape
        as ``x``) instead of decimating.

    Returns
    -------
    float32 array, shape (..., ceil(n_samples / ratio)); sample ``k`` of the
    result is sample ``k * ratio`` of the filtered ``x`` (no delay).

    Examples
    --------
    >>> make_lowres(np.random.default_rng(0).standard_normal(16000), 4).shape
    (4000,)
    """
    ratio = validate_ratio(ratio)
    x = validate_audio(x, min_samples=2 * ratio)
    spec = filter_spec(filter, seed=seed)
    sr_rel = float(2 * ratio)  # relative rate: the new Nyquist is at 1.0
    if spec.family == "soxr" and not keep_rate:
        import soxr

        y = soxr.resample(x.T, ratio, 1, quality="VHQ").T
        n_low = -(-x.shape[-1] // ratio)
        y = fix_length(y, n_low)
        return np.ascontiguousarray(y, dtype=np.float32)
    y = lowpass(x, sr_rel, 1.0, spec)
    return y if keep_rate else np.ascontiguousarray(y[..., ::ratio])


def make_lowres_at(x, sr_hz: int, low_sr_hz: int, filter="cheby1", *, seed=None) -> np.ndarray:
    """What a recording at ``low_sr_hz`` Hz would be: ``x`` (at ``sr_hz`` Hz) low-passed at ``low_sr_hz / 2`` by
    ``filter``, then resampled to ``low_sr_hz`` with soxr; any ratio, integer or not.

    Returns
    -------
    float32 array, shape (round(n_samples * low_sr_hz / sr_hz),)

    Examples
    --------
    >>> make_lowres_at(np.zeros(16000), 16000, 6000).shape
    (6000,)
    """
    return resample(lowpass(x, sr_hz, low_sr_hz / 2, filter, seed=seed), sr_hz, int(low_sr_hz))


def degrade_pair(x, ratio: int, filter="cheby1", *, seed=None) -> tuple[np.ndarray, np.ndarray]:
    """The one recipe that makes a (reference, low-rate input) pair: for training and for evaluation.

    ``x`` is trimmed to a multiple of ``ratio`` samples and made low-rate with
    :func:`make_lowres`, so the low-rate input has exactly ``len(x_ref) / ratio`` samples.
    :func:`srlib.data.make_pairs` and :func:`srlib.evaluate.cases_at_rates` (at an integer ratio) both call it.

    Parameters
    ----------
    x : float array, shape (n_samples,)
        High-rate reference.
    ratio : int
    filter : str or FilterSpec
    seed : int, optional
        Seed for ``filter="random"``.

    Returns
    -------
    x_ref : float32 array, shape (n_samples - n_samples % ratio,)
    x_lr : float32 array, shape (len(x_ref) // ratio,)

    Examples
    --------
    >>> ref, lr = degrade_pair(np.random.default_rng(0).standard_normal(1001), 4)
    >>> ref.shape, lr.shape
    ((1000,), (250,))
    """
    ratio = validate_ratio(ratio)
    x = np.asarray(x, dtype=np.float32)
    x = x[..., : x.shape[-1] - x.shape[-1] % ratio]
    return x, make_lowres(x, ratio, filter, seed=seed)


def with_order(spec: FilterSpec, order: int) -> FilterSpec:
    """A copy of ``spec`` with another order (for filter-mismatch experiments)."""
    return replace(spec, order=int(order))
