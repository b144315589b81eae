"""Keras layers of srlib's networks, as plain classes at module level.

This module imports Keras, so the model modules import it lazily, inside the
functions that build networks: ``import srlib`` (and the command line's
baselines) never pay for TensorFlow.

- :class:`SubPixel1D`: the U-Net's 1-D sub-pixel shuffle (Chapter: 04_unet_baseline);
- :class:`LogMagnitude`: ``log |STFT|`` inside a network (the GAN's STFT discriminators, Chapter: 05_gan_extension);
- :class:`SpectralWaveform`: the phase-aware spectral generator's STFT -> 2-D U-Net -> mirrored phase ->
  inverse STFT chain (Chapter: 07_music_super_resolution).
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["SubPixel1D", "LogMagnitude", "SpectralWaveform"]

_EPS = 1e-5


@keras.saving.register_keras_serializable(package="srlib")
class SubPixel1D(keras.layers.Layer):
    """1-D sub-pixel shuffle: (batch, W, r C) -> (batch, r W, C).

    Output step ``w r + i``, channel ``c`` is input step ``w``, channel ``i C + c``
    (the 1-D form of Shi et al. 2016, as in Kuleshov et al.'s ``SubPixel1D``).
    """

    def __init__(self, r: int = 2, **kw):
        super().__init__(**kw)
        self.r = int(r)

    def call(self, x):
        shape = ops.shape(x)
        c = x.shape[-1] // self.r
        return ops.reshape(x, (shape[0], shape[1] * self.r, c))

    def compute_output_shape(self, input_shape):
        b, w, c = input_shape
        return (b, None if w is None else w * self.r, c // self.r)

    def get_config(self):
        return {**super().get_config(), "r": self.r}


@keras.saving.register_keras_serializable(package="srlib")
class LogMagnitude(keras.layers.Layer):
    """(batch, n_samples, 1) -> (batch, frames, n_fft / 2 + 1, 1): ``log(|STFT| + 1e-5)``, Hann window, centred."""

    def __init__(self, n_fft: int, hop: int, **kw):
        super().__init__(**kw)
        self.n_fft, self.hop = int(n_fft), int(hop)

    def call(self, x):
        real, imag = ops.stft(x[..., 0], sequence_length=self.n_fft, sequence_stride=self.hop,
                              fft_length=self.n_fft, window="hann", center=True)
        mag = ops.sqrt(real * real + imag * imag + 1e-10)
        return ops.log(mag + _EPS)[..., None]

    def compute_output_shape(self, input_shape):
        b, n = input_shape[0], input_shape[1]
        frames = None if n is None else n // self.hop + 1
        return (b, frames, self.n_fft // 2 + 1, 1)

    def get_config(self):
        return {**super().get_config(), "n_fft": self.n_fft, "hop": self.hop}


class SpectralWaveform(keras.layers.Layer):
    """(batch, n, 1) spline input, ``n`` a multiple of ``hop`` -> (batch, n, 1) with the mirrored phase.

    Holds the 2-D U-Net of :func:`srlib.models.spectral.build_spectral_unet` as
    ``.unet``. The signal is zero-padded by ``n_fft`` on each side and framed
    without centring, so the frames in the middle are exactly librosa's centred
    frames (:func:`srlib.models.spectral.log_magnitude_features`) and the inverse
    STFT is exact over the kept samples (the edge frames' window sums are cropped away).
    """

    def __init__(self, config, **kw):
        from .spectral import build_spectral_unet, mirror_index

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
