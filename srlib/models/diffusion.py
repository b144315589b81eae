"""A conditional diffusion model in the spirit of NU-Wave (Lee & Han 2021), sized for 2 CPU cores.

The model generates the *residual* ``r = y - x`` between the high-rate signal ``y`` and its
spline interpolation ``x`` (what the U-Net predicts in one pass), by denoising:

- **Forward process** (training): for a noise level ``t ~ U(0, 1)`` with the cosine schedule
  ``abar(t) = cos^2(pi/2 (t + s) / (1 + s))`` (Nichol & Dhariwal 2021, ``s = 0.008``), the noisy
  residual is ``r_t = sqrt(abar) r + sqrt(1 - abar) eps``, ``eps ~ N(0, I)``. The network
  ``eps_theta(r_t, x, sigma)`` (``sigma = sqrt(1 - abar)``) is trained to predict ``eps``
  (mean squared error): NU-Wave's objective, with a continuous noise level as in WaveGrad.
- **Sampling** (inference): deterministic DDIM steps (Song et al. 2021) from ``t = 1`` to 0 in
  :attr:`DiffusionConfig.steps` steps: ``r0 = (r_t - sigma eps_theta) / sqrt(abar)``, then
  ``r_next = sqrt(abar') r0 + sqrt(1 - abar') eps_theta``. NU-Wave samples in 8 steps too.
- **Network**: DiffWave-style residual layers (dilated convolution of kernel 3, gated
  ``tanh * sigmoid``, the condition ``x`` added through a 1x1 convolution and the noise level
  through a dense layer on its sinusoidal embedding), their skips summed into a 1x1 output
  that starts at zero.

Chunked inference is exact: the starting noise is a fixed table of :attr:`DiffusionConfig.period`
samples repeated along the signal, and window starts are multiples of it, so every chunk sees
the noise the whole file sees; each step's reach is bounded, so the steps' is too. Only the
sampled residual's band above the input's cutoff is kept (:mod:`srlib.models.residual`), so the
recorded band passes as the spline made it. No weights
ship: ``srlib train --model diffusion`` trains it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ..data import make_dataset
from .kind import ConfigKind
from .residual import keep_high_band

__all__ = ["DiffusionConfig", "DiffusionKind", "build_diffusion_net", "abar", "ddim_sample", "diffusion_reach"]

_S = 0.008  # the cosine schedule's offset


@dataclass(frozen=True)
class DiffusionConfig:
    """Architecture and sampler of the diffusion model.

    Attributes
    ----------
    sr_hz, ratio : int
        Output rate in Hz and up-sampling factor.
    channels : int
        Width of the residual layers.
    layers : int
        Residual layers; layer ``i`` has dilation ``2 ** (i % cycle)``.
    cycle : int
    steps : int
        DDIM sampling steps.
    period : int
        Length in samples of the repeated starting-noise table (the chunk grid).
    crossover_taps : int
        Taps of the high-pass that keeps only the sampled residual's band above the input's
        cutoff (:mod:`srlib.models.residual`); 0 keeps all of it.
    """

    sr_hz: int = 16000
    ratio: int = 4
    channels: int = 32
    layers: int = 10
    cycle: int = 5
    steps: int = 8
    period: int = 4096
    crossover_taps: int = 257

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "DiffusionConfig":
        return cls(**d)


def abar(t):
    """The cosine schedule's ``abar(t)`` for noise levels ``t`` in [0, 1], clipped to [1e-4, 1 - 1e-4].

    >>> float(abar(0.0)) > 0.999, float(abar(1.0)) < 0.001
    (True, True)
    """
    a = np.cos(0.5 * np.pi * (np.asarray(t, dtype=np.float64) + _S) / (1 + _S)) ** 2
    return np.clip(a, 1e-4, 1 - 1e-4)


def diffusion_reach(config: DiffusionConfig) -> int:
    """One-sided reach in samples: each network pass sees ``sum(dilations)`` either side; ``steps`` passes;
    then the crossover's half length.

    >>> diffusion_reach(DiffusionConfig())
    624
    """
    per_pass = sum(2 ** (i % config.cycle) for i in range(config.layers))  # kernel 3: one dilation per side
    return config.steps * per_pass + config.crossover_taps // 2


def ddim_sample(predict_eps, x: np.ndarray, noise: np.ndarray, steps: int) -> np.ndarray:
    """The residual by deterministic DDIM from ``noise``: ``predict_eps(r_t, x, sigma) -> eps``, arrays (n, width).

    Returns ``r0`` of the last step (float32, like ``x``).
    """
    r = noise.astype(np.float32)
    times = np.linspace(1.0, 0.0, steps + 1)
    for t, t_next in zip(times[:-1], times[1:]):
        a, a_next = float(abar(t)), float(abar(t_next))
        sigma = math.sqrt(1 - a)
        eps = predict_eps(r, x, np.full((len(x), 1), sigma, np.float32))
        r0 = np.clip((r - sigma * eps) / math.sqrt(a), -1.0, 1.0)
        r = (math.sqrt(a_next) * r0 + math.sqrt(1 - a_next) * eps).astype(np.float32)
    return r0.astype(np.float32)


def build_diffusion_net(config: DiffusionConfig):
    """``eps_theta``: inputs ``noisy`` (batch, n, 1), ``condition`` (batch, n, 1), ``sigma`` (batch, 1) -> (batch, n, 1)."""
    import keras
    from keras import layers, ops

    c = config.channels
    noisy = keras.Input((None, 1), name="noisy")
    cond = keras.Input((None, 1), name="condition")
    sigma = keras.Input((1,), name="sigma")
    # sinusoidal embedding of the noise level (16 frequencies), then two dense layers
    freqs = np.exp(np.linspace(0.0, np.log(1000.0), 16)).astype("float32")
    emb = layers.Lambda(lambda s: ops.concatenate([ops.sin(s * freqs), ops.cos(s * freqs)], axis=-1),
                        output_shape=(32,), name="sigma_embedding")(sigma)
    emb = layers.Dense(4 * c, activation="silu", name="sigma_dense1")(emb)
    emb = layers.Dense(c, activation="silu", name="sigma_dense2")(emb)
    h = layers.Conv1D(c, 1, activation="relu", name="in_conv")(noisy)
    skips = []
    for i in range(config.layers):
        d = 2 ** (i % config.cycle)
        level = layers.Reshape((1, c), name=f"layer{i}_sigma_shape")(layers.Dense(c, name=f"layer{i}_sigma")(emb))
        z = layers.Conv1D(2 * c, 3, dilation_rate=d, padding="same", name=f"layer{i}_dilated")(
            layers.Add(name=f"layer{i}_plus_sigma")([h, level]))
        z = layers.Add(name=f"layer{i}_plus_condition")([z, layers.Conv1D(2 * c, 1, name=f"layer{i}_condition")(cond)])
        gate, filt = layers.Lambda(lambda v: ops.split(v, 2, axis=-1), name=f"layer{i}_split")(z)
        z = layers.Multiply(name=f"layer{i}_gated")([layers.Activation("sigmoid")(gate), layers.Activation("tanh")(filt)])
        z = layers.Conv1D(2 * c, 1, name=f"layer{i}_out")(z)
        res, skip = layers.Lambda(lambda v: ops.split(v, 2, axis=-1), name=f"layer{i}_res_skip")(z)
        h = layers.Rescaling(1 / math.sqrt(2), name=f"layer{i}_scale")(layers.Add(name=f"layer{i}_residual")([h, res]))
        skips.append(skip)
    s = layers.Rescaling(1 / math.sqrt(config.layers), name="skip_scale")(layers.Add(name="skips")(skips))
    s = layers.Conv1D(c, 1, activation="relu", name="skip_conv")(layers.Activation("relu")(s))
    out = layers.Conv1D(1, 1, kernel_initializer="zeros", name="eps")(s)
    return keras.Model([noisy, cond, sigma], out, name="diffusion")


class DiffusionKind(ConfigKind):
    """The conditional diffusion model: eps-prediction on the residual, DDIM sampling (:mod:`srlib.models.diffusion`)."""

    arch_class = DiffusionConfig
    gain_db = (-20.0, 0.0)  # the residual's level varies with the input's: the network sees a range of them

    def build(self, arch: DiffusionConfig):
        return build_diffusion_net(arch)

    def multiple(self, arch: DiffusionConfig) -> int:
        return arch.period

    def reach(self, arch: DiffusionConfig) -> int:
        return diffusion_reach(arch)

    def runner(self, network, arch: DiffusionConfig):
        table = np.random.default_rng(0).standard_normal(arch.period).astype(np.float32)

        def predict_eps(r, x, sigma):
            return np.asarray(network.predict_on_batch([r[..., None], x[..., None], sigma]))[..., 0]

        def run(windows: np.ndarray) -> np.ndarray:
            noise = np.broadcast_to(np.tile(table, windows.shape[1] // arch.period), windows.shape)
            r = ddim_sample(predict_eps, windows, noise, arch.steps)
            return windows + keep_high_band(r, arch.ratio, arch.crossover_taps)

        return run

    def compile(self, network, config, arch):
        import keras

        network.compile(keras.optimizers.Adam(config.learning_rate), loss="mse")
        return network, "val_loss", {}

    def fit_data(self, train_pairs, val_pairs, config, arch) -> dict:
        """Batches of ``((r_t, x, sigma), eps)``: a fresh noise level and noise per patch (seeded; the
        validation draws fixed)."""
        def noised(ds, seed, fresh):
            import tensorflow as tf

            draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=fresh)

            def make(pair, draw):
                x, y = pair
                seeds = tf.stack([draw % 2_147_483_647, tf.constant(seed, tf.int64)])
                seeds = tf.cast(seeds, tf.int32)
                t = tf.random.stateless_uniform((tf.shape(x)[0], 1), seeds)
                a = tf.clip_by_value(tf.cos(0.5 * math.pi * (t + _S) / (1 + _S)) ** 2, 1e-4, 1 - 1e-4)
                eps = tf.random.stateless_normal(tf.shape(x), seeds + 1)
                r_t = tf.sqrt(a)[:, :, None] * (y - x) + tf.sqrt(1 - a)[:, :, None] * eps
                return (r_t, x, tf.sqrt(1 - a)), eps

            return tf.data.Dataset.zip((ds, draws)).map(make)

        train = make_dataset(train_pairs, config.batch_size, seed=config.seed, gain_db=self.gain_db)
        val = make_dataset(val_pairs, config.batch_size, shuffle=False)
        return dict(x=noised(train, config.seed, True), validation_data=noised(val, config.seed + 1, False),
                    shuffle=False)
