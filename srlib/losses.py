"""Training losses written with ``keras.ops`` (so they run on any Keras backend).

- waveform MSE: ``mean((y - y_hat)^2)``;
- multi-resolution STFT loss (Yamamoto et al. 2020): for each STFT size,
  spectral convergence ``|| |Y| - |Y_hat| ||_F / || |Y| ||_F`` plus the mean
  absolute difference of log magnitudes, averaged over the sizes.
"""

from __future__ import annotations

__all__ = ["STFT_SIZES", "stft_loss", "make_loss"]

#: (fft length, hop) pairs of the multi-resolution STFT loss, in samples.
STFT_SIZES = ((512, 128), (1024, 256), (256, 64))


def _magnitude(x, n_fft: int, hop: int):
    from keras import ops

    real, imag = ops.stft(x, sequence_length=n_fft, sequence_stride=hop, fft_length=n_fft, window="hann", center=True)
    return ops.sqrt(ops.maximum(real * real + imag * imag, 1e-7))


def stft_loss(y_true, y_pred, sizes=STFT_SIZES):
    """Multi-resolution STFT loss; inputs of shape (batch, n_samples, 1) or (batch, n_samples)."""
    from keras import ops

    if len(y_true.shape) == 3:
        y_true, y_pred = y_true[..., 0], y_pred[..., 0]
    total = 0.0
    for n_fft, hop in sizes:
        m_t, m_p = _magnitude(y_true, n_fft, hop), _magnitude(y_pred, n_fft, hop)
        sc = ops.sqrt(ops.sum(ops.square(m_t - m_p))) / ops.sqrt(ops.sum(ops.square(m_t)) + 1e-7)
        mag = ops.mean(ops.abs(ops.log(m_t) - ops.log(m_p)))
        total = total + sc + mag
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
