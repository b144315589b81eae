"""Classical up-sampling: the baselines every model is compared with.

Each method maps a low-rate signal of ``n`` samples to ``n * ratio`` samples,
with input sample ``k`` landing on output sample ``k * ratio`` (the same
alignment as :func:`srlib.degrade.make_lowres`), so a baseline and a model sit
side by side in every comparison.

- ``zoh``: zero-order hold, each sample repeated ``ratio`` times.
- ``linear``: straight lines between samples.
- ``spline``: the interpolating cubic spline through the samples, the
  baseline of Kuleshov et al. (2017) (their code calls ``scipy.interpolate.splrep``
  with ``s=0`` then ``splev``). :func:`spline_knots` builds the same not-a-knot
  interpolating spline in O(n) for the unit-spaced knots of a sampled signal
  (what :func:`scipy.interpolate.make_interp_spline` builds, four times faster), for all channels at once.
- ``sinc``: band-limited interpolation with a polyphase Kaiser-windowed sinc
  (:func:`scipy.signal.resample_poly`), the best a linear method can do.
- ``soxr``: soxr's very high quality resampler, also band-limited.

None of them can create content above the low-rate Nyquist frequency: that is
what a learned model adds (notebook ``01_sampling_and_aliasing``).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import lapack

from .audio import fix_length, resample, resolve_ratio, validate_audio, validate_ratio
from .errors import AudioError
from .extras import lazy
from .spectral import band_above

#: scipy.signal costs over half a second of start-up: imported when a function first uses it.
signal = lazy("scipy.signal")

__all__ = ["METHODS", "upsample_baseline", "upsample_baseline_to", "spline_images", "spline_knots"]

#: Baseline names accepted by :func:`upsample_baseline`.
METHODS = ("zoh", "linear", "spline", "sinc", "soxr")


def upsample_baseline(x_lr, ratio: int, method: str = "spline") -> np.ndarray:
    """Up-sample ``x_lr`` by an integer ``ratio`` with a classical method.

    Parameters
    ----------
    x_lr : float array, shape (n_samples,) or (n_channels, n_samples)
        Low-rate signal.
    ratio : int
        Up-sampling factor (2..16).
    method : str
        One of :data:`METHODS`.

    Returns
    -------
    float32 array, shape (..., n_samples * ratio).

    Examples
    --------
    >>> upsample_baseline(np.array([0.0, 1.0, 0.0, -1.0]), 2, "linear")
    array([ 0. ,  0.5,  1. ,  0.5,  0. , -0.5, -1. , -1. ], dtype=float32)
    """
    ratio = validate_ratio(ratio)
    x_lr = validate_audio(x_lr, name="x_lr")
    n = x_lr.shape[-1]
    n_hr = n * ratio
    if method == "zoh":
        y = np.repeat(x_lr, ratio, axis=-1)
    elif method == "linear":
        t_hr = np.arange(n_hr) / ratio
        y = np.stack([np.interp(t_hr, np.arange(n), ch) for ch in np.atleast_2d(x_lr)])
        y = y.reshape(x_lr.shape[:-1] + (n_hr,))
    elif method == "spline":
        if n < 4:
            return upsample_baseline(x_lr, ratio, "linear")
        y = _spline_at(x_lr, spline_knots(x_lr), ratio)
    elif method == "sinc":
        y = signal.resample_poly(x_lr, ratio, 1, axis=-1)
    elif method == "soxr":
        import soxr

        y = soxr.resample(x_lr.T, 1, ratio, quality="VHQ").T
        y = fix_length(y, n_hr)
    else:
        raise AudioError(f"method: got {method!r}; expected one of {', '.join(METHODS)}")
    return np.ascontiguousarray(y, dtype=np.float32)


def upsample_baseline_to(x_lr, sr_hz: float, target_sr_hz: int, method: str = "spline") -> np.ndarray:
    """:func:`upsample_baseline` from ``sr_hz`` to any ``target_sr_hz`` above it: at the next integer ratio, then
    resampled to the target (soxr) where that is not a multiple of the input rate.

    >>> upsample_baseline_to(np.zeros(8, "float32"), 7600, 16000).shape
    (17,)
    """
    if float(target_sr_hz / sr_hz).is_integer():  # an integer ratio, the input's rate whole or not (22050 / 4)
        return upsample_baseline(x_lr, int(target_sr_hz / sr_hz), method)
    ratio, _ = resolve_ratio(sr_hz, target_sr_hz=target_sr_hz)
    y = upsample_baseline(x_lr, ratio, method)
    return y if sr_hz * ratio == target_sr_hz else resample(y, sr_hz * ratio, target_sr_hz)


def spline_images(x_lr, low_sr_hz: float, sr_hz: int) -> np.ndarray:
    """The *images* in the spline interpolation of ``x_lr``: what it holds above the input's Nyquist frequency.

    Interpolating mirrors the input band above ``low_sr_hz / 2`` as aliasing does, each image
    attenuated by the interpolation kernel's response; sinc interpolation removes them, a spline keeps
    a quiet copy. A listener-trained measure (DNSMOS) hears them as band: on speech from 8 kHz the
    spline scores above sinc. :attr:`srlib.models.frame.FrameConfig.image_gain` adds a share of them.

    Returns
    -------
    float32 array, shape (about n * sr_hz / low_sr_hz,): the spline (:func:`upsample_baseline_to`, as
    ``srlib upsample`` runs it) less its band below ``low_sr_hz / 2`` (:func:`srlib.spectral.band_above`).

    >>> x = np.sin(2 * np.pi * 500 * np.arange(4000) / 4000).astype("float32")
    >>> y = spline_images(x, 4000, 16000)
    >>> spectrum = np.abs(np.fft.rfft(y[2000:-2000]))
    >>> bool(spectrum.argmax() * 16000 / len(y[2000:-2000]) > 2000)  # the 500 Hz tone's images, not the tone
    True
    """
    return band_above(upsample_baseline_to(x_lr, low_sr_hz, sr_hz, "spline"), sr_hz, low_sr_hz / 2)


def spline_knots(y) -> np.ndarray:
    """Second derivatives ``M`` at the knots of the not-a-knot cubic spline through ``y`` at ``x = 0, 1, ..., n-1``.

    With unit spacing, continuity of the first derivative gives for the inner knots
    ``M[i-1] + 4 M[i] + M[i+1] = 6 d[i]``, ``d[i] = y[i-1] - 2 y[i] + y[i+1]``, and the
    not-a-knot ends (third derivative continuous at knots 1 and n-2) ``M[0] = 2 M[1] - M[2]``,
    which turns row 1 into ``M[1] = d[1]`` (and row n-2 into ``M[n-2] = d[n-2]``). What is left,
    knots 2..n-3, is a tridiagonal system solved in O(n).

    Parameters
    ----------
    y : float array, shape (..., n), n >= 4

    Returns
    -------
    float64 array, shape (..., n)

    Examples
    --------
    >>> spline_knots(np.array([0.0, 1.0, 4.0, 9.0, 16.0]))  # y = x^2: y'' = 2 everywhere
    array([2., 2., 2., 2., 2.])
    """
    y = np.asarray(y, dtype=np.float64)
    n = y.shape[-1]
    d = y[..., :-2] - 2 * y[..., 1:-1] + y[..., 2:]  # at knots 1..n-2
    m = np.empty_like(y)
    m[..., 1], m[..., n - 2] = d[..., 0], d[..., -1]
    if n > 4:
        rhs = 6 * d[..., 1:-1]
        rhs[..., 0] -= m[..., 1]
        rhs[..., -1] -= m[..., n - 2]
        m[..., 2:n - 2] = _solve_141(rhs.reshape(-1, n - 4)).reshape(rhs.shape)
    m[..., 0] = 2 * m[..., 1] - m[..., 2]
    m[..., n - 1] = 2 * m[..., n - 2] - m[..., n - 3]
    return m


#: Exact steps of :func:`_solve_141`'s factorisation before its pivots are constant to double precision.
_SWEEP = 24


def _solve_141(rhs) -> np.ndarray:
    """``M`` with ``M[i-1] + 4 M[i] + M[i+1] = rhs[i]`` (``M`` zero outside), per row of ``rhs`` (rows, K).

    The matrix is ``L D L^T`` with ``d_0 = 4``, ``d_i = 4 - 1 / d_{i-1}`` and ``L``'s subdiagonal
    ``1 / d_i``. The pivots tend to ``2 + sqrt(3)``, a root of ``d^2 - 4 d + 1``, their error shrinking
    by ``(2 - sqrt(3))^2`` a step, so after :data:`_SWEEP` steps they are that constant to double
    precision: the factors cost nothing, and LAPACK's ``dpttrs`` solves with them (the numbers of a banded
    Cholesky solve, five times as fast on a 20-minute signal).
    """
    rhs = np.asarray(rhs, np.float64)
    k = rhs.shape[-1]
    if k == 1:  # one unknown: 4 M = rhs
        return rhs / 4
    d = np.full(k, 2 + np.sqrt(3))
    d[0] = 4.0
    for i in range(1, min(_SWEEP, k)):
        d[i] = 4 - 1 / d[i - 1]
    m, info = lapack.dpttrs(d, 1 / d[:-1], rhs.T)
    if info:
        raise ValueError(f"dpttrs: argument {-info} was illegal")  # a bug here, not a user's error
    return np.asarray(m, np.float64).T.reshape(rhs.shape)


#: Pieces of the spline :func:`_spline_at` evaluates at once (a few hundred kB of float64 temporaries per row).
_PIECES = 1 << 14


def _spline_at(y, m, ratio: int) -> np.ndarray:
    """The spline of knots ``y`` and second derivatives ``m`` at ``x = k / ratio``, k = 0..n*ratio-1: (..., n*ratio),
    float32.

    On the piece ``[i, i+1]``, with ``t = x - i`` and ``s = 1 - t``:
    ``S = s y[i] + t y[i+1] + (s^3 - s) m[i] / 6 + (t^3 - t) m[i+1] / 6``; the points past
    the last knot continue its last piece (``t`` in [1, 2)), as scipy's splines extrapolate.
    """
    y = np.asarray(y, dtype=np.float64)
    n = y.shape[-1]
    out = np.empty(y.shape[:-1] + (n, ratio), np.float32)
    out[..., 0] = y + 0.0  # t = 0: the knots themselves (+ 0.0: a -0.0 knot reads +0.0, as s y + t y' gives it)
    for start in range(0, n - 1, _PIECES):  # pieces a block at a time, the temporaries in cache
        i = slice(start, min(start + _PIECES, n - 1))
        j = slice(start + 1, min(start + _PIECES, n - 1) + 1)
        for k in range(1, ratio):  # every output sample at offset t = k / ratio within its piece
            t = k / ratio
            s = 1 - t
            out[..., i, k] = s * y[..., i] + t * y[..., j] + (s ** 3 - s) / 6 * m[..., i] + (t ** 3 - t) / 6 * m[..., j]
    for k in range(1, ratio):  # past the last knot: the last piece, continued (t in [1, 2))
        t, s = 1 + k / ratio, -k / ratio
        out[..., -1, k] = s * y[..., -2] + t * y[..., -1] + (s ** 3 - s) / 6 * m[..., -2] + (t ** 3 - t) / 6 * m[..., -1]
    return out.reshape(y.shape[:-1] + (n * ratio,))
