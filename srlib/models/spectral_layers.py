"""The phase-aware spectral generator's Keras layer (:mod:`srlib.models.spectral`, Chapter:
08_music_super_resolution): STFT -> 2-D U-Net -> mirrored phase -> inverse STFT.

This module imports Keras; :mod:`srlib.models.spectral` reaches it through :func:`srlib.extras.lazy`.
"""

from __future__ import annotations

import keras
from keras import ops

from .spectral import build_spectral_unet, mirror_index

__all__ = ["SpectralWaveform"]

_EPS = 1e-5


class SpectralWaveform(keras.layers.Layer):
    """(batch, n, 1) spline input, ``n`` a multiple of ``hop`` -> (batch, n, 1) with the mirrored phase.

    Holds the 2-D U-Net of :func:`srlib.models.spectral.build_spectral_unet` as
    ``.unet``. The signal is zero-padded by ``n_fft`` on each side and framed
    without centring, so the frames in the middle are exactly librosa's centred
    frames (:func:`srlib.models.spectral.log_magnitude_features`) and the inverse
    STFT is exact over the kept samples (the edge frames' window sums are cropped away).
    """

    def __init__(self, config, **kw):
        super().__init__(**kw)
        self.cfg = config
        self.unet = build_spectral_unet(config)
        self.src = mirror_index(config.n_fft // 2 + 1, config.cutoff_bin).astype("int32")

    def call(self, x):
        cfg = self.cfg
        p, c, nb = cfg.n_fft, cfg.cutoff_bin, cfg.n_bins
        n = ops.shape(x)[1]
        padded = ops.pad(x[..., 0], [[0, 0], [p, p]])
        re, im = ops.stft(padded, sequence_length=p, sequence_stride=cfg.hop, fft_length=p, window="hann",
                          center=False)  # (batch, frames, n_fft/2 + 1)
        mag = ops.sqrt(re * re + im * im)
        feats = ops.log(mag[..., :nb] + _EPS)[..., None]
        pred = self.unet(feats)[..., 0]
        high = ops.concatenate([ops.maximum(ops.exp(pred[..., c:]) - _EPS, 0.0), mag[..., nb:]], axis=-1)
        angle = ops.take(ops.arctan2(im, re), self.src, axis=-1)[..., c:]
        out_re = ops.concatenate([re[..., :c], high * ops.cos(angle)], axis=-1)
        out_im = ops.concatenate([im[..., :c], high * ops.sin(angle)], axis=-1)
        y = ops.istft((out_re, out_im), sequence_length=p, sequence_stride=cfg.hop, fft_length=p,
                      length=n + 2 * p, window="hann", center=False)
        return y[:, p: p + n, None]

    def compute_output_shape(self, input_shape):
        return input_shape
