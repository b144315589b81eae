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
- **Multi-period discriminator** (HiFi-GAN, Kong et al. 2020; off unless
  ``periods`` is given): the waveform folded into rows of ``p`` samples ->
  2-D convolutions down the rows, one column per phase of the period. It
  sees the periodic structure (pitch harmonics) that a voice's added band
  must continue.

Losses (:class:`GANConfig` holds the weights):

- discriminator, **least squares** (LSGAN, Mao et al. 2017):
  ``L_D = mean((D(y) - 1)^2) + mean(D(G(x))^2)`` per sub-discriminator;
- generator: ``L_G = w_mse MSE(y, G(x)) + w_stft STFT(y, G(x))
  + w_adv mean((D(G(x)) - 1)^2) + w_fm FM``, where FM is the mean absolute
  difference of the discriminators' hidden activations on real and generated
  audio (feature matching, Salimans et al. 2016 / MelGAN). A generator with a
  loss of its own (the frame model's :func:`~srlib.models.frame.frame_loss`)
  passes it as ``reconstruction``; it is added to ``L_G`` (the frame GAN sets
  ``w_mse`` and ``w_stft`` to 0).

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

from ..errors import ConfigError
from ..extras import lazy
from .unet import UNetKind

#: These two import Keras: loaded when a discriminator or the GAN is first built (:func:`srlib.extras.lazy`).
blocks = lazy("srlib.models.layers")
gan_model = lazy("srlib.models.gan_model")

__all__ = ["GANConfig", "build_stft_discriminator", "build_wave_discriminator", "build_period_discriminator",
           "build_discriminators",
           "GAN", "LogMagnitude", "STFT_D_SIZES", "compile_gan", "GANKind"]

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
    periods : tuple of int
        One multi-period sub-discriminator per period in samples (HiFi-GAN uses 2, 3, 5, 7, 11); ``()`` for none.
    period_channels : int
        Channels of the first period convolution (later ones double, up to 4x).
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
    periods: tuple = ()
    period_channels: int = 8
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
        d["periods"] = tuple(int(p) for p in d.get("periods", ()))
        return cls(**d)


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
    x = blocks.LogMagnitude(n_fft, hop, name="logmag")(inp)
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


def build_period_discriminator(period: int, channels: int = 8, *, name: str | None = None):
    """One multi-period sub-discriminator (HiFi-GAN's, narrower).

    Fold into rows of ``period`` samples (:class:`~srlib.models.layers.PeriodFold`) ->
    Conv2D(c, 5x1, stride 3x1) -> Conv2D(2c, 5x1, stride 3x1) -> Conv2D(4c, 5x1, stride 3x1)
    -> Conv2D(4c, 5x1) -> Conv2D(1, 3x1). LeakyReLU(0.2) after every hidden layer. The
    kernels never mix columns, so each phase of the period is judged on its own.

    Returns
    -------
    keras.Model mapping (batch, n_samples, 1) to a list of 4 hidden activations
    and the logits, shape (batch, about n_samples / (27 period), period, 1).
    """
    import keras
    from keras import layers

    name = name or f"period_d_{period}"
    inp = keras.Input((None, 1))
    x = blocks.PeriodFold(period, name="fold")(inp)
    feats = []
    specs = [(channels, 3), (2 * channels, 3), (4 * channels, 3), (4 * channels, 1)]
    for i, (c, s) in enumerate(specs):
        x = layers.Conv2D(c, (5, 1), strides=(s, 1), padding="same", name=f"conv{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"act{i}")(x)
        feats.append(x)
    logits = layers.Conv2D(1, (3, 1), padding="same", name="logits")(x)
    return keras.Model(inp, feats + [logits], name=name)


def build_discriminators(config: GANConfig | None = None) -> list:
    """All sub-discriminators of ``config``: the STFT ones, the waveform ones (pool 1, 2, ...), then the period ones."""
    cfg = config or GANConfig()
    ds = [build_stft_discriminator(n, h, cfg.stft_channels) for n, h in cfg.stft_sizes]
    ds += [build_wave_discriminator(cfg.wave_channels, 2**i) for i in range(cfg.wave_scales)]
    ds += [build_period_discriminator(p, cfg.period_channels) for p in cfg.periods]
    if not ds:
        raise ConfigError("GANConfig: no discriminator (stft_sizes and periods are empty and wave_scales is 0)")
    return ds


def __getattr__(name):
    """``GAN`` and ``LogMagnitude`` live in modules that import Keras; they are loaded on first use."""
    if name == "GAN":
        return gan_model.GAN
    if name == "LogMagnitude":
        return blocks.LogMagnitude
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def compile_gan(generator, config, reconstruction=None):
    """Wrap ``generator`` in a :class:`GAN` with the discriminators of ``config.gan``, compiled for ``fit``.

    ``reconstruction``: a ``loss(y_true, y_pred)`` of the generator's own, added to its loss.

    Both players use Adam(beta_1=0.5, beta_2=0.9): the generator at ``config.learning_rate``,
    the discriminators at ``config.d_learning_rate`` (default the same). The checkpoint keeps
    the generator where it best matches held-out spectra (``val_stft``): the adversarial
    losses of two moving players say little about quality on their own.

    Returns
    -------
    (GAN, "val_stft", dict of ``config.json`` entries: ``gan`` and ``n_discriminator_params``)
    """
    import keras

    try:
        gan_cfg = GANConfig.from_dict({**GANConfig().to_dict(), **(config.gan or {})})
    except TypeError as e:
        raise ConfigError(f"gan: {e}") from None
    gan = gan_model.GAN(generator, build_discriminators(gan_cfg), gan_cfg, reconstruction=reconstruction)
    d_lr = config.d_learning_rate or config.learning_rate
    gan.compile(g_optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=0.5, beta_2=0.9),
                d_optimizer=keras.optimizers.Adam(d_lr, beta_1=0.5, beta_2=0.9))
    gan.build((None, None, 1))
    n_d = sum(int(d.count_params()) for d in gan.discriminators)
    return gan, "val_stft", {"gan": gan_cfg.to_dict(), "n_discriminator_params": n_d}


class GANKind(UNetKind):
    """The AudioUNet as the generator of a GAN, usually started from a trained U-Net (``init``)."""

    def compile(self, network, config, arch):
        return compile_gan(network, config)
