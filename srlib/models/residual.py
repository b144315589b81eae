"""The crossover of the generative kinds: only the high band of a sampled residual is kept.

The flow and the diffusion model add a sampled residual ``r`` to the spline ``x``. Sampled noise
falls in every band, so without a crossover it also overwrites the band that was recorded (the
first version of chapter 9 measured a low-band LSD of 2.45 for the flow). The frame model keeps
the input's own spectrum below its cutoff; these kinds do the same in the time domain, keeping
only the part of ``r`` above the low-rate Nyquist frequency ``sr_hz / (2 ratio)``:

    y = x + h * r,    h = delta - h_lp,

with ``h_lp`` a Blackman-windowed sinc low-pass of ``n_taps`` taps (odd), normalised to unit DC
gain. Its ramp is about ``5.5 / n_taps`` of the output rate wide (340 Hz for 257 taps at 16 kHz)
and starts at the cutoff: the ramp's centre sits half a ramp above it, so the recorded band lies
in the stop band (below -70 dB). A sampled residual can be far louder than the signal while the
model is young, so the stop band must be deep. The filter is linear-phase and reaches
``n_taps // 2`` samples either side, which the kinds add to their reach, so chunked inference
stays exact.

Chapter: 09_other_families.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError

__all__ = ["highpass_taps", "keep_high_band"]


def highpass_taps(ratio: int, n_taps: int) -> np.ndarray:
    """The crossover's linear-phase high-pass, float64 array of shape (n_taps,).

    >>> h = highpass_taps(4, 257)
    >>> abs(float(h.sum())) < 1e-12   # no DC: the low band is removed
    True
    """
    if n_taps < 3 or n_taps % 2 == 0:
        raise ConfigError(f"crossover taps: got {n_taps}; expected an odd number >= 3 (or 0 for no crossover)")
    if ratio < 2:
        raise ConfigError(f"ratio: got {ratio}; expected >= 2")
    m = np.arange(n_taps) - n_taps // 2
    centre = 1 / (2 * ratio) + 2.75 / n_taps  # cycles per sample: half the Blackman ramp above the cutoff
    lowpass = np.sinc(2 * centre * m) * np.blackman(n_taps)
    lowpass /= lowpass.sum()
    h = -lowpass
    h[n_taps // 2] += 1.0
    return h


def keep_high_band(residual: np.ndarray, ratio: int, n_taps: int) -> np.ndarray:
    """``residual`` (n, width) filtered along its last axis by :func:`highpass_taps` ('same' length, zero-padded ends).

    ``n_taps = 0`` returns the residual unchanged (no crossover).
    """
    if n_taps == 0:
        return residual
    h = highpass_taps(ratio, n_taps).astype(residual.dtype)
    rows = np.atleast_2d(residual)
    out = np.stack([np.convolve(row, h, mode="same") for row in rows])
    return out.reshape(residual.shape)
