"""Training losses written with ``keras.ops`` (so they run on any Keras backend).

- waveform MSE: ``mean((y - y_hat)^2)``;
- multi-resolution STFT loss (Yamamoto et al. 2020): for each STFT size,
  spectral convergence ``|| |Y| - |Y_hat| ||_F / || |Y| ||_F`` plus the mean
  absolute difference of log magnitudes, averaged over the sizes.
"""

from __future__ import annotations

__all__ = ["STFT_SIZES", "stft_loss", "resolution_loss", "make_loss"]

#: (fft length, hop) pairs of the multi-resolution STFT loss, in samples.
STFT_SIZES = ((512, 128), (1024, 256), (256, 64))


def magnitude(real, imag):
    """``|X|`` of an STFT's real and imaginary parts, floored at ``sqrt(1e-7)`` (the log below stays finite)."""
    from keras import ops

    return ops.sqrt(ops.maximum(real * real + imag * imag, 1e-7))


def _magnitude(x, n_fft: int, hop: int):
    from keras import ops

    return magnitude(*ops.stft(x, sequence_length=n_fft, sequence_stride=hop, fft_length=n_fft, window="hann",
                               center=True))


def resolution_loss(m_true, m_pred):
    """One resolution's term: spectral convergence plus mean absolute log-magnitude difference.

    ``|| |Y| - |Y_hat| ||_F / || |Y| ||_F + mean |log |Y| - log |Y_hat||`` for magnitude spectrograms
    of shape (batch, frames, bins), as :func:`magnitude` floors them.
    """
    from keras import ops

    sc = ops.sqrt(ops.sum(ops.square(m_true - m_pred))) / ops.sqrt(ops.sum(ops.square(m_true)) + 1e-7)
    return sc + ops.mean(ops.abs(ops.log(m_true) - ops.log(m_pred)))


def stft_loss(y_true, y_pred, sizes=STFT_SIZES, *, known: dict | None = None):
    """Multi-resolution STFT loss: the mean over ``sizes`` of :func:`resolution_loss`.

    Parameters
    ----------
    y_true, y_pred : tensors, shape (batch, n_samples, 1) or (batch, n_samples)
    sizes : sequence of (n_fft, hop), in samples
    known : dict (n_fft, hop) -> (magnitude of y_true, magnitude of y_pred), optional
        Magnitudes the caller already has (a model's own STFT, say), not computed again.
    """
    if len(y_true.shape) == 3:
        y_true, y_pred = y_true[..., 0], y_pred[..., 0]
    if not sizes:
        raise ValueError("stft_loss: no sizes")
    known = known or {}
    total = 0.0
    for n_fft, hop in sizes:
        m_t, m_p = known.get((n_fft, hop)) or (_magnitude(y_true, n_fft, hop), _magnitude(y_pred, n_fft, hop))
        total = total + resolution_loss(m_t, m_p)
    return total / len(sizes)


def make_loss(mse_weight: float = 1.0, stft_weight: float = 0.0):
    """The training loss: ``mse_weight * MSE + stft_weight * multi-resolution STFT``."""
    from keras import ops

    def loss(y_true, y_pred):
        value = mse_weight * ops.mean(ops.square(y_true - y_pred))
        if stft_weight:
            value = value + stft_weight * stft_loss(y_true, y_pred)
        return value

    loss.__name__ = "mse" if not stft_weight else "mse_stft"
    return loss
