"""A normalizing flow in the spirit of WSRGlow (Zhang et al. 2021), sized for 2 CPU cores.

A flow is an invertible network ``z = f(r; x)`` from the residual ``r = y - x`` (target minus
spline, as the diffusion model uses) to a Gaussian ``z``, conditioned on the spline ``x``.
Training maximises the exact likelihood by the change of variables:

    log p(r | x) = log N(z; 0, I) + log |det df/dr|,

so the loss per sample is ``(0.5 |z|^2 - log|det J|) / n`` (the constant dropped). Sampling
runs it backwards from ``z ~ N(0, T^2 I)``, ``T`` the temperature (Glow's trick: below 1 it
trades variety for cleaner output).

As in WaveGlow and WSRGlow, the signal is *squeezed* into groups of :attr:`FlowConfig.group`
samples (channels), and each of :attr:`FlowConfig.flows` steps is

- an **invertible 1x1 convolution** ``z <- z W`` (``W`` a ``group x group`` matrix, orthogonal at
  the start; ``log|det J| += (n / group) log|det W|``), mixing the channels, and
- an **affine coupling**: the first half ``a`` of the channels passes unchanged and, with the
  (squeezed) condition, sets a scale and shift of the second half, ``b <- b exp(s(a, x)) + t(a, x)``
  (``log|det J| += sum s``). ``s`` and ``t`` come from a small stack of dilated convolutions whose
  last layer starts at zero, so an untrained flow is a rotation. Inverting it needs only ``a``,
  which is unchanged: ``b = (b' - t) exp(-s)``.

Only the sampled residual's band above the input's cutoff is kept (:mod:`srlib.models.residual`),
so the recorded band passes as the spline made it. Chunked inference is exact as for the
diffusion model: the starting noise is a fixed table repeated on the chunk grid and every step's
reach is bounded. No weights ship:
``srlib train --model flow`` trains it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..data import make_dataset
from .kind import ConfigKind
from .residual import keep_high_band

__all__ = ["FlowConfig", "FlowKind", "build_flow", "flow_reach"]


@dataclass(frozen=True)
class FlowConfig:
    """Architecture and sampler of the flow.

    Attributes
    ----------
    sr_hz, ratio : int
        Output rate in Hz and up-sampling factor.
    group : int
        Samples squeezed into one step's channels (even).
    flows : int
        Flow steps (1x1 convolution + affine coupling).
    channels, layers : int
        Width and depth (dilations 1, 2, 4, ...) of each coupling's network.
    temperature : float
        Standard deviation of the sampled ``z``.
    period : int
        Length in samples of the repeated starting-noise table (the chunk grid).
    crossover_taps : int
        Taps of the high-pass that keeps only the sampled residual's band above the input's
        cutoff (:mod:`srlib.models.residual`); 0 keeps all of it.
    """

    sr_hz: int = 16000
    ratio: int = 4
    group: int = 8
    flows: int = 6
    channels: int = 32
    layers: int = 4
    temperature: float = 0.5
    period: int = 4096
    crossover_taps: int = 257

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "FlowConfig":
        return cls(**d)


def flow_reach(config: FlowConfig) -> int:
    """One-sided reach in samples: each coupling sees ``sum(dilations)`` groups either side; ``flows`` of them;
    then the crossover's half length.

    >>> flow_reach(FlowConfig())
    896
    """
    per_coupling = sum(2 ** i for i in range(config.layers)) + 1  # the dilated stack, and a group's own width
    return config.flows * per_coupling * config.group + config.crossover_taps // 2


def build_flow(config: FlowConfig):
    """The flow as a built Keras model: ``model((x, y))`` -> ``(z, logdet)``; ``model.inverse(x, z)`` -> residual.

    ``x``, ``y`` (batch, n, 1) with ``n`` a multiple of ``group``; ``z`` (batch, n / group, group);
    ``logdet`` (batch,). ``fit`` minimises the negative log-likelihood per sample (``compute_loss``).
    """
    import keras
    from keras import layers, ops

    g, half = config.group, config.group // 2

    class Coupling(keras.layers.Layer):
        """``(a, condition) -> (log-scale, shift)`` of the second half: dilated convolutions, zero last layer."""

        def __init__(self, **kw):
            super().__init__(**kw)
            self.inp = layers.Conv1D(config.channels, 1)
            self.dilated = [layers.Conv1D(config.channels, 3, dilation_rate=2 ** i, padding="same", activation="tanh")
                            for i in range(config.layers)]
            self.out = layers.Conv1D(2 * half, 1, kernel_initializer="zeros")

        def call(self, a, cond):
            h = self.inp(ops.concatenate([a, cond], axis=-1))
            for conv in self.dilated:
                h = h + conv(h)
            log_s, t = ops.split(self.out(h), 2, axis=-1)
            return ops.tanh(log_s), t  # a bounded log-scale keeps early training stable

    class Flow(keras.Model):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.cond = layers.Conv1D(config.channels, 3, padding="same", activation="tanh")
            self.couplings = [Coupling() for _ in range(config.flows)]
            rng = np.random.default_rng(0)
            self.mix = [self.add_weight(shape=(g, g), name=f"mix{k}",
                                        initializer=keras.initializers.Constant(np.linalg.qr(
                                            rng.standard_normal((g, g)))[0].astype("float32")))
                        for k in range(config.flows)]

        def _squeeze(self, v):
            return ops.reshape(v, (ops.shape(v)[0], -1, g))

        def call(self, inputs):
            x, y = inputs
            cond = self.cond(self._squeeze(x))
            z = self._squeeze(y - x)
            logdet = 0.0
            for w, coupling in zip(self.mix, self.couplings):
                z = ops.matmul(z, w)
                logdet = logdet + ops.cast(ops.shape(z)[1], "float32") * ops.log(ops.abs(ops.det(w)))
                a, b = z[..., :half], z[..., half:]
                log_s, t = coupling(a, cond)
                z = ops.concatenate([a, b * ops.exp(log_s) + t], axis=-1)
                logdet = logdet + ops.sum(log_s, axis=(1, 2))
            return z, logdet

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            z, logdet = y_pred
            n = ops.cast(ops.shape(z)[1] * ops.shape(z)[2], "float32")
            return ops.mean((0.5 * ops.sum(z ** 2, axis=(1, 2)) - logdet) / n)

        def inverse(self, x, z):
            """The residual (batch, n, 1) whose image is ``z`` (batch, n / group, group), given ``x`` (batch, n, 1)."""
            cond = self.cond(self._squeeze(x))
            for w, coupling in zip(reversed(self.mix), reversed(self.couplings)):
                a, b = z[..., :half], z[..., half:]
                log_s, t = coupling(a, cond)
                z = ops.concatenate([a, (b - t) * ops.exp(-log_s)], axis=-1)
                z = ops.matmul(z, ops.inv(w))
            return ops.reshape(z, (ops.shape(z)[0], -1, 1))

    model = Flow(name="flow")
    dummy = np.zeros((1, config.period, 1), "float32")
    model((dummy, dummy))  # build every weight, so weights load into it
    return model


class FlowKind(ConfigKind):
    """The conditional normalizing flow trained by maximum likelihood, sampled with a temperature."""

    arch_class = FlowConfig
    gain_db = (-20.0, 0.0)

    def build(self, arch: FlowConfig):
        return build_flow(arch)

    def multiple(self, arch: FlowConfig) -> int:
        return arch.period

    def reach(self, arch: FlowConfig) -> int:
        return flow_reach(arch)

    def runner(self, network, arch: FlowConfig):
        table = (arch.temperature * np.random.default_rng(0).standard_normal(arch.period)).astype(np.float32)

        def run(windows: np.ndarray) -> np.ndarray:
            n, width = windows.shape
            z = np.broadcast_to(np.tile(table, width // arch.period), windows.shape).reshape(n, -1, arch.group)
            r = np.asarray(network.inverse(windows[..., None], np.ascontiguousarray(z)))[..., 0]
            return windows + keep_high_band(r, arch.ratio, arch.crossover_taps)

        return run

    def compile(self, network, config, arch):
        import keras

        network.compile(keras.optimizers.Adam(config.learning_rate, clipnorm=1.0))
        return network, "val_loss", {}

    def fit_data(self, train_pairs, val_pairs, config, arch) -> dict:
        """Batches of ``((x, y), y)``: the flow reads the target as an input (its loss needs no label)."""
        def both(ds):
            return ds.map(lambda x, y: ((x, y), y))

        return dict(x=both(make_dataset(train_pairs, config.batch_size, seed=config.seed, gain_db=self.gain_db)),
                    validation_data=both(make_dataset(val_pairs, config.batch_size, shuffle=False)), shuffle=False)
