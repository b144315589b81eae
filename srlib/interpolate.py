"""Classical up-sampling: the baselines every model is compared with.

Each method maps a low-rate signal of ``n`` samples to ``n * ratio`` samples,
with input sample ``k`` landing on output sample ``k * ratio`` (the same
alignment as :func:`srlib.degrade.make_lowres`), so a baseline and a model sit
side by side in every comparison.

- ``zoh``: zero-order hold, each sample repeated ``ratio`` times.
- ``linear``: straight lines between samples.
- ``spline``: the interpolating cubic spline through the samples, the
  baseline of Kuleshov et al. (2017) (their code calls ``scipy.interpolate.splrep``
  with ``s=0`` then ``splev``; :func:`scipy.interpolate.make_interp_spline`
  builds the same not-a-knot interpolating spline, faster and for all channels at once).
- ``sinc``: band-limited interpolation with a polyphase Kaiser-windowed sinc
  (:func:`scipy.signal.resample_poly`), the best a linear method can do.
- ``soxr``: soxr's very high quality resampler, also band-limited.

None of them can create content above the low-rate Nyquist frequency: that is
what a learned model adds (notebook ``01_sampling_and_aliasing``).
"""

from __future__ import annotations

import numpy as np
from scipy import interpolate, signal

from .audio import fix_length, validate_audio, validate_ratio
from .errors import AudioError

__all__ = ["METHODS", "upsample_baseline"]

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
        spline = interpolate.make_interp_spline(np.arange(n, dtype=np.float64), x_lr.astype(np.float64), k=3, axis=-1)
        y = spline(np.arange(n_hr) / ratio)
    elif method == "sinc":
        y = signal.resample_poly(x_lr, ratio, 1, axis=-1)
    elif method == "soxr":
        import soxr

        y = soxr.resample(x_lr.T, 1, ratio, quality="VHQ").T
        y = fix_length(y, n_hr)
    else:
        raise AudioError(f"method: got {method!r}; expected one of {', '.join(METHODS)}")
    return np.ascontiguousarray(y, dtype=np.float32)
