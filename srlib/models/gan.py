"""Adversarial training on top of the U-Net: two audio discriminators and the GAN model.

An MSE-trained U-Net predicts the *average* of every high band that fits its
input; averaging detail away is why its spectrograms look blurred above the
low-rate Nyquist frequency. A discriminator that learns to tell real high-rate
audio from the generator's output gives the generator a loss that punishes
that blur (the SRGAN idea of Ledig et al. 2017, brought to audio by Eskimez
et al. 2019, Kim & Sathe 2019 and the "unsupervised feature losses" ICLR 2019 submission).

Discriminators (both return a list: the activations of every hidden layer, for
feature matching, then the logits):

- **Multi-resolution STFT discriminator** (one sub-network per STFT size, as
  in UnivNet/Fre-GAN): log-magnitude spectrogram ``(frames, bins)`` ->
  2-D convolutions strided along frequency -> a map of logits, one per
  time-frequency patch. It looks at exactly what LSD measures.
- **Multi-scale waveform discriminator** (MelGAN, Kumar et al. 2019): the
  waveform at full rate and average-pooled by 2 and 4 -> strided 1-D
  convolutions -> logits along time. It sees phase and transients that a
  magnitude spectrogram hides.

Losses (:class:`GANConfig` holds the weights):

- discriminator, **least squares** (LSGAN, Mao et al. 2017):
  ``L_D = mean((D(y) - 1)^2) + mean(D(G(x))^2)`` per sub-discriminator;
- generator: ``L_G = w_mse MSE(y, G(x)) + w_stft STFT(y, G(x))
  + w_adv mean((D(G(x)) - 1)^2) + w_fm FM``, where FM is the mean absolute
  difference of the discriminators' hidden activations on real and generated
  audio (feature matching, Salimans et al. 2016 / MelGAN).

LSGAN rather than hinge: its penalty grows with the distance from the target
instead of stopping at a margin, so the generator keeps getting a gradient
from samples the discriminator already classifies right; with no spectral
normalisation this was the stable choice on CPU-sized batches (HiFi-GAN makes
the same one).

Both players are updated from one forward pass per batch (two gradient tapes,
as in TensorFlow's DCGAN tutorial): each step costs one generator and two
discriminator passes instead of two and three. ``train_step`` is written for
the TensorFlow backend (``tf.GradientTape``), which is what ``srlib`` installs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["GANConfig", "build_stft_discriminator", "build_wave_discriminator", "build_discriminators",
           "GAN", "STFT_D_SIZES"]

#: (fft length, hop) of each STFT sub-discriminator, in samples.
STFT_D_SIZES = ((256, 64), (512, 128), (1024, 256))


@dataclass(frozen=True)
class GANConfig:
    """Discriminator sizes and loss weights of the GAN (saved in ``config.json``).

    Attributes
    ----------
    stft_sizes : tuple of (n_fft, hop)
        One STFT sub-discriminator per pair; ``()`` for none.
    stft_channels : int
        Channels of its 2-D convolutions.
    wave_scales : int
        Waveform sub-discriminators (rates 1, 1/2, 1/4, ...); 0 for none.

    The default sizes were measured on 2 CPU cores (batch 16 x 8192 samples,
    TF 2.21): the generator's own step takes ~0.25 s; three STFT
    sub-discriminators of 16 channels added 0.8 s, of 8 channels 0.4 s.
    wave_channels : int
        Channels of the first waveform convolution (later ones double, up to 4x).
    mse_weight, stft_weight : float
        Reconstruction: waveform MSE and multi-resolution STFT loss (:mod:`srlib.losses`).
    adv_weight : float
        Least-squares adversarial loss.
    fm_weight : float
        Feature matching.
    """

    stft_sizes: tuple = STFT_D_SIZES
    stft_channels: int = 8
    wave_scales: int = 2
    wave_channels: int = 8
    mse_weight: float = 100.0
    stft_weight: float = 1.0
    adv_weight: float = 1.0
    fm_weight: float = 2.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["stft_sizes"] = [list(s) for s in self.stft_sizes]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "GANConfig":
        d = dict(d)
        d["stft_sizes"] = tuple(tuple(s) for s in d.get("stft_sizes", STFT_D_SIZES))
        return cls(**d)


_LOGMAG = None


def _logmag_class():
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="srlib")
    class LogMagnitude(keras.layers.Layer):
        """(batch, n_samples, 1) -> (batch, frames, bins, 1): ``log(|STFT| + 1e-5)``, Hann window, centred."""

        def __init__(self, n_fft: int, hop: int, **kw):
            super().__init__(**kw)
            self.n_fft, self.hop = int(n_fft), int(hop)

        def call(self, x):
            real, imag = ops.stft(x[..., 0], sequence_length=self.n_fft, sequence_stride=self.hop,
                                  fft_length=self.n_fft, window="hann", center=True)
            mag = ops.sqrt(real * real + imag * imag + 1e-10)
            return ops.log(mag + 1e-5)[..., None]

        def compute_output_shape(self, input_shape):
            b, n = input_shape[0], input_shape[1]
            frames = None if n is None else n // self.hop + 1
            return (b, frames, self.n_fft // 2 + 1, 1)

        def get_config(self):
            return {**super().get_config(), "n_fft": self.n_fft, "hop": self.hop}

    return LogMagnitude


def LogMagnitude(n_fft: int, hop: int, **kw):  # noqa: N802  (a layer factory, named like the layer)
    """The log-magnitude STFT layer (created lazily so importing srlib does not import Keras)."""
    global _LOGMAG
    if _LOGMAG is None:
        _LOGMAG = _logmag_class()
    return _LOGMAG(n_fft, hop, **kw)


def build_stft_discriminator(n_fft: int, hop: int, channels: int = 16, *, name: str | None = None):
    """One STFT sub-discriminator.

    Log-magnitude ``(frames, n_fft/2 + 1)`` -> three Conv2D(3x9) with stride 2
    along frequency -> Conv2D(3x3) -> Conv2D(3x3) to one channel. LeakyReLU(0.2)
    after every hidden layer. (Striding from the first layer on keeps it cheap:
    a stride-1 first layer at full frequency resolution doubled the step time.)

    Returns
    -------
    keras.Model mapping (batch, n_samples, 1) to a list of 4 hidden activations
    and the logits, shape (batch, frames, ceil(bins / 8), 1).
    """
    import keras
    from keras import layers

    name = name or f"stft_d_{n_fft}"
    inp = keras.Input((None, 1))
    x = LogMagnitude(n_fft, hop, name="logmag")(inp)
    feats = []
    specs = [((3, 9), (1, 2)), ((3, 9), (1, 2)), ((3, 9), (1, 2)), ((3, 3), (1, 1))]
    for i, (k, s) in enumerate(specs):
        x = layers.Conv2D(channels, k, strides=s, padding="same", name=f"conv{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"act{i}")(x)
        feats.append(x)
    logits = layers.Conv2D(1, (3, 3), padding="same", name="logits")(x)
    return keras.Model(inp, feats + [logits], name=name)


def build_wave_discriminator(channels: int = 16, pool: int = 1, *, name: str | None = None):
    """One waveform sub-discriminator (a small MelGAN block).

    Average-pool by ``pool`` -> Conv1D(c, 15) -> Conv1D(2c, 21, stride 4) ->
    Conv1D(4c, 21, stride 4) -> Conv1D(4c, 5) -> Conv1D(1, 3). LeakyReLU(0.2)
    after every hidden layer.

    Returns
    -------
    keras.Model mapping (batch, n_samples, 1) to a list of 4 hidden activations
    and the logits, shape (batch, about n_samples / (16 pool), 1).
    """
    import keras
    from keras import layers

    name = name or f"wave_d_{pool}"
    inp = keras.Input((None, 1))
    x = inp
    if pool > 1:
        x = layers.AveragePooling1D(pool, strides=pool, padding="same", name="pool")(x)
    feats = []
    specs = [(channels, 15, 1), (2 * channels, 21, 4), (4 * channels, 21, 4), (4 * channels, 5, 1)]
    for i, (c, k, s) in enumerate(specs):
        x = layers.Conv1D(c, k, strides=s, padding="same", name=f"conv{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"act{i}")(x)
        feats.append(x)
    logits = layers.Conv1D(1, 3, padding="same", name="logits")(x)
    return keras.Model(inp, feats + [logits], name=name)


def build_discriminators(config: GANConfig | None = None) -> list:
    """All sub-discriminators of ``config``: the STFT ones, then the waveform ones (pool 1, 2, 4, ...)."""
    cfg = config or GANConfig()
    ds = [build_stft_discriminator(n, h, cfg.stft_channels) for n, h in cfg.stft_sizes]
    ds += [build_wave_discriminator(cfg.wave_channels, 2**i) for i in range(cfg.wave_scales)]
    if not ds:
        from ..errors import AudioError

        raise AudioError("GANConfig: no discriminator (stft_sizes is empty and wave_scales is 0)")
    return ds


_GAN = None


def _gan_class():
    import keras
    from keras import ops

    from ..losses import stft_loss

    class _GAN(keras.Model):
        """Generator + discriminators trained with ``fit()``; ``call`` is the generator."""

        LOSS_NAMES = ("g_loss", "d_loss", "mse", "stft", "adv", "fm", "d_real", "d_fake")

        def __init__(self, generator, discriminators, config: GANConfig | None = None, **kw):
            super().__init__(**kw)
            self.generator = generator
            self.discriminators = list(discriminators)
            self.config = config or GANConfig()
            self.trackers = {k: keras.metrics.Mean(name=k) for k in self.LOSS_NAMES}

        def call(self, x, training=False):
            return self.generator(x, training=training)

        def build(self, input_shape):
            self.generator.build(input_shape)
            for d in self.discriminators:
                d.build(input_shape)
            self.built = True

        def compile(self, g_optimizer, d_optimizer, **kw):
            super().compile(optimizer=g_optimizer, **kw)
            self.d_optimizer = d_optimizer

        @property
        def metrics(self):
            return list(self.trackers.values())

        def losses_for(self, x, y, training=True):
            """All losses of one batch: a dict of scalars (``g_loss``, ``d_loss`` and their parts)."""
            c = self.config
            y_hat = self.generator(x, training=training)
            mse = ops.mean(ops.square(y - y_hat))
            stft = stft_loss(y, y_hat)
            adv = d_real = d_fake = fm = 0.0
            n_feats = 0
            for d in self.discriminators:
                out_real = d(y, training=training)
                out_fake = d(y_hat, training=training)
                d_real = d_real + ops.mean(ops.square(out_real[-1] - 1.0))
                d_fake = d_fake + ops.mean(ops.square(out_fake[-1]))
                adv = adv + ops.mean(ops.square(out_fake[-1] - 1.0))
                for f_r, f_f in zip(out_real[:-1], out_fake[:-1]):
                    fm = fm + ops.mean(ops.abs(ops.stop_gradient(f_r) - f_f))
                    n_feats += 1
            k = len(self.discriminators)
            adv, d_real, d_fake, fm = adv / k, d_real / k, d_fake / k, fm / max(n_feats, 1)
            g_loss = c.mse_weight * mse + c.stft_weight * stft + c.adv_weight * adv + c.fm_weight * fm
            return {"g_loss": g_loss, "d_loss": d_real + d_fake, "mse": mse, "stft": stft, "adv": adv, "fm": fm,
                    "d_real": d_real, "d_fake": d_fake}

        def train_step(self, data):
            import tensorflow as tf

            x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
            with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
                losses = self.losses_for(x, y, training=True)
            g_vars = self.generator.trainable_variables
            d_vars = [v for d in self.discriminators for v in d.trainable_variables]
            g_grads = g_tape.gradient(losses["g_loss"], g_vars)
            d_grads = d_tape.gradient(losses["d_loss"], d_vars)
            self.optimizer.apply(g_grads, g_vars)
            self.d_optimizer.apply(d_grads, d_vars)
            for k, v in losses.items():
                self.trackers[k].update_state(v)
            return {k: t.result() for k, t in self.trackers.items()}

        def test_step(self, data):
            x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
            losses = self.losses_for(x, y, training=False)
            for k, v in losses.items():
                self.trackers[k].update_state(v)
            return {k: t.result() for k, t in self.trackers.items()}

    return _GAN


def GAN(generator, discriminators, config: GANConfig | None = None, **kw):  # noqa: N802
    """A :class:`keras.Model` that trains ``generator`` against ``discriminators`` with ``fit()``.

    Compile with ``gan.compile(g_optimizer=..., d_optimizer=...)``; ``fit`` then
    logs ``g_loss``, ``d_loss`` and their parts (``mse``, ``stft``, ``adv``,
    ``fm``, ``d_real``, ``d_fake``), and ``val_*`` of each on validation data.
    The generator alone is what inference uses (``gan.generator``).
    """
    global _GAN
    if _GAN is None:
        _GAN = _gan_class()
    return _GAN(generator, discriminators, config, **kw)
