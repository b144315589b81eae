"""Keras layers of srlib's networks, as plain classes at module level.

This module imports Keras, so the model modules import it lazily, inside the
functions that build networks: ``import srlib`` (and the command line's
baselines) never pay for TensorFlow.

- :class:`SubPixel1D`: the U-Net's 1-D sub-pixel shuffle (Chapter: 04_unet_baseline);
- :class:`LogMagnitude`: ``log |STFT|`` inside a network (the GAN's STFT discriminators, Chapter: 05_gan_extension);
- :class:`SpectralWaveform`: the phase-aware spectral generator's STFT -> 2-D U-Net -> mirrored phase ->
  inverse STFT chain (Chapter: 08_music_super_resolution);
- :class:`ConvNeXtBlock`, :class:`FrameBandwidthExtension`: the frame-level model (:mod:`srlib.models.frame`);
- :class:`BlockFiLM`: temporal FiLM (an LSTM over blocks, Birnbaum et al. 2019) and attention FiLM
  (self-attention over blocks, Rakotonirina 2021) inside the U-Net's blocks (:mod:`srlib.models.unet`).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from .spectral import build_spectral_unet, mirror_index

__all__ = ["SubPixel1D", "LogMagnitude", "PeriodFold", "SpectralWaveform", "ConvNeXtBlock", "FrameBandwidthExtension",
           "BlockFiLM"]

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


@keras.saving.register_keras_serializable(package="srlib")
class PeriodFold(keras.layers.Layer):
    """(batch, n_samples, 1) -> (batch, ceil(n / p), p, 1): the waveform folded into rows of ``period`` samples.

    Zero-pads the end to a whole number of periods. Column ``j`` then holds samples
    ``j, j + p, j + 2p, ...``: a convolution down the rows sees one phase of a period
    ``p`` (HiFi-GAN's multi-period discriminator, Kong et al. 2020).
    """

    def __init__(self, period: int, **kw):
        super().__init__(**kw)
        self.period = int(period)

    def call(self, x):
        p = self.period
        n = ops.shape(x)[1]
        x = ops.pad(x, [[0, 0], [0, (p - n % p) % p], [0, 0]])
        return ops.reshape(x, (ops.shape(x)[0], -1, p, 1))

    def compute_output_shape(self, input_shape):
        b, n = input_shape[0], input_shape[1]
        return (b, None if n is None else -(-n // self.period), self.period, 1)

    def get_config(self):
        return {**super().get_config(), "period": self.period}


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


class ConvNeXtBlock(keras.layers.Layer):
    """A 1-D ConvNeXt block over frames (Liu et al. 2022; Vocos, AP-BWE): (batch, frames, C) -> same shape.

    ``x + gamma * W2 gelu(W1 LayerNorm(DepthwiseConv(x)))``: a depthwise convolution of
    ``kernel`` frames mixes time per channel, a pointwise MLP (``expansion`` C hidden
    units) mixes channels per frame, and a learned per-channel scale ``gamma`` (started at
    ``1e-2``) keeps a deep stack close to the identity at the start of training.
    """

    def __init__(self, channels: int, kernel: int = 7, expansion: int = 4, **kw):
        super().__init__(**kw)
        self.channels, self.kernel, self.expansion = int(channels), int(kernel), int(expansion)
        self.dw = keras.layers.DepthwiseConv1D(self.kernel, padding="same", name="dw")
        self.norm = keras.layers.LayerNormalization(epsilon=1e-6, name="norm")
        self.pw1 = keras.layers.Dense(self.expansion * self.channels, activation="gelu", name="pw1")
        self.pw2 = keras.layers.Dense(self.channels, name="pw2")

    def build(self, input_shape):
        self.gamma = self.add_weight(shape=(self.channels,), initializer=keras.initializers.Constant(1e-2),
                                     name="gamma")
        super().build(input_shape)

    def call(self, x):
        return x + self.gamma * self.pw2(self.pw1(self.norm(self.dw(x))))

    def compute_output_shape(self, input_shape):
        return input_shape


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
       ``FrameConfig.gain_for_bin``: the band gain from the cutoff bin up, the edge gain below it; 1 as
       trained) with ``w`` 0 below ``cutoff - transition`` bins, a linear ramp to 1 at the cutoff
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
        if cfg.calibrated:  # srlib calibrate: the added band scaled from c up, the rebuilt edge below it
            if cutoff is None:
                gain, edge = cfg.gain_for_bin(c)
            else:  # (batch, frames, 1): each example's gains for its own cutoff bin
                gain, edge = ops.zeros_like(mu), ops.zeros_like(mu)
                for first, g, e in cfg.gain_steps:
                    gain, edge = ops.where(c >= first, g, gain), ops.where(c >= first, e, edge)
            k = ops.arange(nb, dtype="int32")[None, None, :]
            mag = mag * ops.where(k >= c, gain, edge)
        phase = mirrored + ops.arctan2(self.im_head(h), self.re_head(h))
        out_re = (1.0 - w) * re + w * mag * ops.cos(phase)
        out_im = (1.0 - w) * im + w * mag * ops.sin(phase)
        y = ops.istft((out_re, out_im), sequence_length=p, sequence_stride=cfg.hop, fft_length=p,
                      length=n + 2 * p, window="hann", center=False)
        return y[:, p: p + n, None]

    def compute_output_shape(self, x_shape, cutoff_shape=None):
        return x_shape


@keras.saving.register_keras_serializable(package="srlib")
class BlockFiLM(keras.layers.Layer):
    """Feature-wise modulation by blocks: (batch, T, C) -> (batch, T, C), T a multiple of ``block``.

    The activations are cut into ``n = T / block`` blocks and max-pooled over each block,
    ``p_b = max_{t in b} x_t`` (n, C). A sequence model reads the ``n`` pooled vectors and gives
    each block a scale and a shift, ``y_t = (1 + gamma_b) x_t + beta_b`` for ``t`` in block ``b``:

    - ``mode="lstm"`` (TFiLM, Birnbaum et al. 2019): an LSTM over the blocks, so a block is
      modulated by everything before it;
    - ``mode="attention"`` (AFiLM, Rakotonirina 2021): a transformer layer over the blocks
      (self-attention, then a feed-forward layer), so by every block. No position encoding: a
      block's modulation depends on what the blocks hold, not on where the window began, so
      chunked inference stays close to whole-signal inference.

    ``gamma`` and ``beta`` come from zero-initialised dense layers: an untrained layer is the
    identity. Either way a block sees the whole window, so the reach is unbounded (chunked
    inference joins chunks with its cross-fades, see :mod:`srlib.chunking`).
    """

    def __init__(self, block: int, mode: str = "lstm", heads: int = 4, **kw):
        super().__init__(**kw)
        if mode not in ("lstm", "attention"):
            raise ValueError(f"mode: got {mode!r}; expected lstm or attention")
        self.block, self.mode, self.heads = int(block), mode, int(heads)

    def build(self, input_shape):
        c = int(input_shape[-1])
        if self.mode == "lstm":
            self.seq = keras.layers.LSTM(c, return_sequences=True)
            self.seq.build((None, None, c))
        else:
            self.attention = keras.layers.MultiHeadAttention(self.heads, max(c // self.heads, 1))
            self.attention.build((None, None, c), (None, None, c))
            self.norm1, self.norm2 = keras.layers.LayerNormalization(), keras.layers.LayerNormalization()
            self.norm1.build((None, None, c))
            self.norm2.build((None, None, c))
            self.ff1, self.ff2 = keras.layers.Dense(2 * c, activation="relu"), keras.layers.Dense(c)
            self.ff1.build((None, None, c))
            self.ff2.build((None, None, 2 * c))
        self.gamma = keras.layers.Dense(c, kernel_initializer="zeros")
        self.beta = keras.layers.Dense(c, kernel_initializer="zeros")
        self.gamma.build((None, None, c))
        self.beta.build((None, None, c))

    def call(self, x):
        shape = ops.shape(x)
        c = x.shape[-1]
        blocks = ops.reshape(x, (shape[0], shape[1] // self.block, self.block, c))
        h = ops.max(blocks, axis=2)  # (batch, n, C)
        if self.mode == "lstm":
            h = self.seq(h)
        else:
            h = self.norm1(h + self.attention(h, h))
            h = self.norm2(h + self.ff2(self.ff1(h)))
        gamma, beta = self.gamma(h)[:, :, None, :], self.beta(h)[:, :, None, :]
        return ops.reshape(blocks * (1.0 + gamma) + beta, shape)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "block": self.block, "mode": self.mode, "heads": self.heads}
