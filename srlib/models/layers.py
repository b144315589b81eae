"""Generic Keras blocks of srlib's networks, as plain classes at module level.

A kind's own layers sit beside it (:mod:`srlib.models.frame_layers`, :mod:`srlib.models.spectral_layers`);
the blocks here serve several. This module imports Keras, so the model modules reach it through
:func:`srlib.extras.lazy`: ``import srlib`` (and the command line's baselines) never pay for TensorFlow.

- :class:`SubPixel1D`: the U-Net's 1-D sub-pixel shuffle (Chapter: 04_unet_baseline);
- :class:`LogMagnitude`: ``log |STFT|`` inside a network (the GAN's STFT discriminators, Chapter: 05_gan_extension);
- :class:`PeriodFold`: a waveform folded into rows of a period (the multi-period discriminators);
- :class:`ConvNeXtBlock`: a 1-D ConvNeXt block over frames (the frame-level model's stack);
- :class:`BlockFiLM`: temporal FiLM (an LSTM over blocks, Birnbaum et al. 2019) and attention FiLM
  (self-attention over blocks, Rakotonirina 2021) inside the U-Net's blocks (:mod:`srlib.models.unet`).
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["SubPixel1D", "LogMagnitude", "PeriodFold", "ConvNeXtBlock", "BlockFiLM"]

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
