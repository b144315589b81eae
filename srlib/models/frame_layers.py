"""The frame-level model's Keras layer (:mod:`srlib.models.frame`): its whole chain in one layer.

This module imports Keras; :mod:`srlib.models.frame` reaches it through :func:`srlib.extras.lazy`.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from .layers import ConvNeXtBlock
from .spectral import mirror_index

__all__ = ["FrameBandwidthExtension"]


class FrameBandwidthExtension(keras.layers.Layer):
    """The frame-level model's whole chain: (batch, n, 1) interpolated input -> (batch, n, 1), ``n`` a multiple of hop.

    1. STFT of the input (Hann window of ``n_fft``, hop ``hop``; padded by ``n_fft`` on
       each side and framed without centring, so the inverse STFT is exact over the kept
       samples): ``X`` of shape (frames, n_fft / 2 + 1).
    2. Level: ``a_t``, the mean over the input's band (bins below the cutoff) of ``|X|`` per
       frame (plus ``eps``), and ``mu_t = log a_t``. With the floor ``f_t = floor a_t`` the
       features are ``log(|X| + f_t) - mu_t`` for every bin and ``X / (|X| + f_t)`` (real and
       imaginary parts, the phase weighted down where a bin is below the floor) for the input
       band. A gain ``g`` on the input scales ``|X|``, ``a_t`` and ``f_t`` alike, so the network
       sees the same features at every level; and bins far below their frame's level (where
       float32 rounding of the FFT is all there is) are held at the floor instead of feeding
       rounding noise to the network.
    3. A linear projection to ``channels``, ``blocks`` :class:`ConvNeXtBlock` over frames, a
       LayerNorm, then three linear heads per bin: a log-magnitude ``m`` and two phase
       components ``(r, i)``. The predicted spectrum has magnitude ``exp(mu_t + m)`` (level
       restored) and phase ``mirror(angle X) + atan2(i, r)``: the input band's phase reflected
       about the cutoff (the phase copied as it is; spectral folding would conjugate it, negating the phase)
       and corrected by the network.
    4. Crossover: ``Y = (1 - w) X + w g Y_hat`` (``g`` the calibrated gains for the input's cutoff,
       ``FrameConfig.gain_for_bin``: the band gain from the cutoff bin up, times the upper gain from
       twice the cutoff bin up, the edge gain below it; 1 as trained) with ``w`` 0 below ``cutoff - transition`` bins, a linear ramp to 1 at the cutoff
       bin, 1 above: below the transition the output *is* the input's spectrum, so the model can
       add a band but never change what was recorded.
    5. Inverse STFT.

    A versatile model (``config.input_rates_hz``) is called as ``layer(x, cutoff)``, ``cutoff``
    (batch, 1) each example's cutoff bin ``c``: its level, crossover and mirror use its own ``c``,
    and its features are the log-magnitudes, the phase parts of every bin zeroed from ``c`` up,
    and ``c / (n_fft / 2 + 1)``.

    At the start (zero-initialised heads' kernels, magnitude bias ``-5``, ``r`` bias 1) the
    added band is the mirrored one at about -43 dB under the frame's level, so an untrained
    model is close to its input.
    """

    def __init__(self, config, **kw):
        super().__init__(**kw)
        cfg = self.cfg = config
        nb, c = cfg.n_fft // 2 + 1, cfg.cutoff_bin  # a versatile model computes these per example (call)
        self.src = mirror_index(nb, c).astype("int32")
        ramp = np.clip((np.arange(nb) - (c - cfg.transition_bins)) / max(cfg.transition_bins, 1), 0.0, 1.0)
        self.mix = ramp.astype("float32")
        self.proj = keras.layers.Dense(cfg.channels, name="proj")
        self.blocks = [ConvNeXtBlock(cfg.channels, cfg.kernel, name=f"block{i}") for i in range(cfg.blocks)]
        self.norm = keras.layers.LayerNormalization(epsilon=1e-6, name="norm")
        self.mag_head = keras.layers.Dense(nb, kernel_initializer="zeros",
                                           bias_initializer=keras.initializers.Constant(-5.0), name="mag_head")
        self.re_head = keras.layers.Dense(nb, kernel_initializer="zeros", bias_initializer="ones", name="re_head")
        self.im_head = keras.layers.Dense(nb, kernel_initializer="zeros", name="im_head")

    def call(self, x, cutoff=None):
        cfg = self.cfg
        p, nb = cfg.n_fft, cfg.n_fft // 2 + 1
        n = ops.shape(x)[1]
        padded = ops.pad(x[..., 0], [[0, 0], [p, p]])
        re, im = ops.stft(padded, sequence_length=p, sequence_stride=cfg.hop, fft_length=p, window="hann",
                          center=False)  # (batch, frames, n_fft/2 + 1)
        absx = ops.sqrt(re * re + im * im)
        angle = ops.arctan2(im, re)
        if cutoff is None:  # one input rate: the cutoff, the mirror and the ramp are constants
            c = cfg.cutoff_bin
            level = ops.mean(absx[..., :c], axis=-1, keepdims=True) + cfg.eps
            mu, floored = ops.log(level), absx + cfg.floor * level
            feats = [ops.log(floored) - mu, re[..., :c] / floored[..., :c], im[..., :c] / floored[..., :c]]
            src, w = self.src, ops.convert_to_tensor(self.mix)
            mirrored = ops.take(angle, src, axis=-1)
        else:  # versatile: each example's cutoff bin c (batch, 1) sets its band, mirror and ramp
            c = ops.cast(ops.floor(cutoff), "int32")[:, :, None]  # (batch, 1, 1)
            k = ops.arange(nb, dtype="int32")[None, None, :]
            below = ops.cast(k < c, absx.dtype)  # (batch, 1, bins): the input's band
            level = ops.sum(absx * below, axis=-1, keepdims=True) / ops.sum(below, axis=-1, keepdims=True) + cfg.eps
            mu, floored = ops.log(level), absx + cfg.floor * level
            frames = ops.shape(absx)[1]
            feats = [ops.log(floored) - mu, re / floored * below, im / floored * below,
                     ops.broadcast_to(ops.cast(c, absx.dtype) / nb, (ops.shape(x)[0], frames, 1))]
            m = k % (2 * c)  # mirror_index, per example
            src = ops.where(k < c, k, ops.where(m <= c, m, 2 * c - m))
            mirrored = ops.take_along_axis(angle, ops.broadcast_to(src, ops.shape(angle)), axis=-1)
            w = ops.clip(ops.cast(k - c + cfg.transition_bins, absx.dtype) / max(cfg.transition_bins, 1), 0.0, 1.0)
        h = self.proj(ops.concatenate(feats, axis=-1))
        for block in self.blocks:
            h = block(h)
        h = self.norm(h)
        mag = ops.exp(mu + self.mag_head(h))
        if cfg.calibrated:  # srlib calibrate: the added band scaled from c up (its upper part from 2c), the edge below
            if cutoff is None:
                gain, edge, upper = cfg.gain_for_bin(c)
            else:  # (batch, frames, 1): each example's gains for its own cutoff bin
                gain, edge, upper = ops.zeros_like(mu), ops.zeros_like(mu), ops.zeros_like(mu)
                for first, g, e, u, _ in cfg.gain_steps:  # (the images are added after the network)
                    gain, edge, upper = (ops.where(c >= first, g, gain), ops.where(c >= first, e, edge),
                                         ops.where(c >= first, u, upper))
            k = ops.arange(nb, dtype="int32")[None, None, :]
            mag = mag * ops.where(k >= c, gain * ops.where(k >= 2 * c, upper, 1.0), edge)
        phase = mirrored + ops.arctan2(self.im_head(h), self.re_head(h))
        out_re = (1.0 - w) * re + w * mag * ops.cos(phase)
        out_im = (1.0 - w) * im + w * mag * ops.sin(phase)
        y = ops.istft((out_re, out_im), sequence_length=p, sequence_stride=cfg.hop, fft_length=p,
                      length=n + 2 * p, window="hann", center=False)
        return y[:, p: p + n, None]

    def compute_output_shape(self, x_shape, cutoff_shape=None):
        return x_shape
