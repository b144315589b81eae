"""The AudioUNet of Kuleshov, Enam & Ermon (2017), in Keras 3.

The network maps the spline-interpolated low-rate signal ``x`` (at the high
rate) to the high-rate signal: ``y = x + f(x)``, so it only has to learn the
residual, mostly the missing high band.

- **Down blocks** (``depth`` of them): ``Conv1D(filters[l], kernels[l], stride 2)``
  and LeakyReLU(0.2): each halves the time resolution and widens the features.
- **Bottleneck**: one more strided convolution, dropout 0.5, LeakyReLU.
- **Up blocks**, mirroring the down blocks: ``Conv1D(2 filters[l], kernels[l])``,
  dropout, ReLU, then a 1-D **sub-pixel shuffle** (Shi et al. 2016) that turns
  ``2 C`` channels at ``W`` steps into ``C`` channels at ``2 W`` steps, and a
  **stacked skip**: concatenation with the output of the matching down block.
- **Output**: ``Conv1D(2, 9)`` and a last shuffle to one channel at full
  resolution, added to the input. The last convolution starts at zero, so an
  untrained model returns its spline input exactly: training can only start
  from the baseline.

The input length must be a multiple of ``2 ** (depth + 1)``; :func:`pad_length`
gives the next valid length. Notebook ``04_unet_baseline`` draws the shuffle
and explains each block.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from ..chunking import pad_length
from ..errors import ConfigError
from ..extras import lazy
from ..losses import make_loss
from .kind import ModelKind

#: :mod:`srlib.models.layers` imports Keras: loaded when a network is first built (:func:`srlib.extras.lazy`).
blocks = lazy("srlib.models.layers")

__all__ = ["UNetConfig", "PRESETS", "build_unet", "SubPixel1D", "pad_length", "receptive_field", "reach", "UNetKind",
           "FiLMKind", "TFiLMKind", "AFiLMKind"]


@dataclass(frozen=True)
class UNetConfig:
    """Architecture of an AudioUNet.

    Attributes
    ----------
    filters : tuple of int
        Channels of each down block (``depth = len(filters)``).
    kernels : tuple of int
        Kernel length of each down block, in samples at that block's rate.
    dropout : float
        Dropout rate in the bottleneck and up blocks.
    film : {None, "lstm", "attention"}
        Feature-wise modulation by blocks after every down and up block
        (:class:`srlib.models.layers.BlockFiLM`): ``"lstm"`` is TFiLM, ``"attention"`` AFiLM.
    film_block : int
        FiLM block length in input samples (a power of two, at least ``2 ** depth``): each
        level's blocks span the same stretch of audio.
    """

    filters: tuple = (16, 24, 32, 48, 64)
    kernels: tuple = (9, 9, 9, 9, 9)
    dropout: float = 0.5
    film: str | None = None
    film_block: int = 256

    def __post_init__(self):
        if len(self.filters) != len(self.kernels) or not self.filters:
            raise ConfigError(f"filters and kernels: got {len(self.filters)} and {len(self.kernels)}; expected one "
                              "kernel for each down block's filters, at least one block")
        if self.film not in (None, "lstm", "attention"):
            raise ConfigError(f"film: got {self.film!r}; expected None, lstm or attention")
        if self.film and (self.film_block & (self.film_block - 1) or self.film_block < 2 ** self.depth):
            raise ConfigError(f"film_block: got {self.film_block}; expected a power of two >= {2 ** self.depth}")

    @property
    def depth(self) -> int:
        return len(self.filters)

    @property
    def multiple(self) -> int:
        """Input lengths must be multiples of this: ``2 ** (depth + 1)``, and of ``film_block`` with FiLM."""
        return max(2 ** (self.depth + 1), self.film_block if self.film else 1)

    def to_dict(self) -> dict:
        d = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        if not self.film:  # a plain U-Net's config.json stays as it was
            del d["film"], d["film_block"]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "UNetConfig":
        return cls(tuple(d["filters"]), tuple(d["kernels"]), float(d.get("dropout", 0.5)), d.get("film"),
                   int(d.get("film_block", 256)))


#: Named architectures. ``paper`` is the 2017 code's block layout (filters
#: 128/256/512/512, kernels 65/33/17/9; for a GPU). ``small`` is the CPU default,
#: chosen by measurement on 2 cores (TF 2.21 CPU, patches of 8192 samples, batch 16):
#:
#: ============================  ======  ==============  ===========  ==========
#: filters / kernels             params  train audio s/s  infer (x RT)  recept. field
#: ============================  ======  ==============  ===========  ==========
#: 32-48-64-64 / 15-15-9-9        624 k     6.4              47          856
#: 32-48-64-64 / 65-33-17-9      1338 k     4.8              21         1421
#: 16-32-48-48 / 9-9-9-9          259 k    24.6             101          720
#: 16-24-32-48-64 / 9 (depth 5)   371 k    24.9             160         1451
#: ============================  ======  ==============  ===========  ==========
#:
#: Depth 5 with short kernels trains as fast as the smallest and sees twice as far:
#: the receptive field grows with depth, the cost with width at high resolution.
#: ``tiny`` is for tests.
PRESETS = {
    "paper": UNetConfig((128, 256, 512, 512), (65, 33, 17, 9)),
    "small": UNetConfig((16, 24, 32, 48, 64), (9, 9, 9, 9, 9)),
    "tiny": UNetConfig((8, 16), (9, 9)),
}


def reach(config: UNetConfig) -> int:
    """One-sided reach of an AudioUNet in input samples: how far an output sample looks.

    Sum over layers of ``(kernel // 2) * (step of the grid the layer reads)``,
    plus one grid step of the deepest level for the strided alignment.
    The tests check it against :func:`receptive_field`.

    Examples
    --------
    >>> reach(PRESETS["tiny"])
    92
    """
    total = 0
    for level, k in enumerate(config.kernels):
        total += (k // 2) * 2**level  # down conv l reads a grid of step 2**l
        total += (k // 2) * 2 ** (level + 2)  # up conv l reads the grid of down block l+1's output
    total += (config.kernels[-1] // 2) * 2**config.depth  # bottleneck
    total += 4 * 2  # output conv (kernel 9) at stride 2
    return total + 2 ** (config.depth + 1)


def __getattr__(name):
    """``SubPixel1D`` lives in :mod:`srlib.models.layers` (which imports Keras); loaded on first use."""
    if name == "SubPixel1D":
        return blocks.SubPixel1D
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def build_unet(config: UNetConfig | str = "small", *, length: int | None = None, name: str = "audio_unet"):
    """Build the AudioUNet as a Keras functional model.

    Parameters
    ----------
    config : UNetConfig or preset name (see :data:`PRESETS`)
    length : int, optional
        Fixed input length in samples (a multiple of ``2 ** (depth + 1)``);
        ``None`` accepts any valid length.

    Returns
    -------
    keras.Model mapping (batch, length, 1) -> (batch, length, 1), float32.
    """
    import keras
    from keras import layers

    cfg = PRESETS[config] if isinstance(config, str) else config

    def film(x, level, name):  # blocks of film_block input samples: film_block / 2**(level+1) steps here
        if not cfg.film:
            return x
        return blocks.BlockFiLM(cfg.film_block // 2 ** (level + 1), mode=cfg.film, name=name)(x)

    inp = keras.Input((length, 1), name="spline_input")
    x = inp
    skips = []
    for i, (nf, k) in enumerate(zip(cfg.filters, cfg.kernels)):
        x = layers.Conv1D(nf, k, strides=2, padding="same", name=f"down{i}_conv")(x)
        x = layers.LeakyReLU(0.2, name=f"down{i}_act")(x)
        x = film(x, i, f"down{i}_film")
        skips.append(x)
    x = layers.Conv1D(cfg.filters[-1], cfg.kernels[-1], strides=2, padding="same", name="bottleneck_conv")(x)
    x = layers.Dropout(cfg.dropout, name="bottleneck_dropout")(x)
    x = layers.LeakyReLU(0.2, name="bottleneck_act")(x)
    for i in reversed(range(cfg.depth)):
        nf, k = cfg.filters[i], cfg.kernels[i]
        x = layers.Conv1D(2 * nf, k, padding="same", name=f"up{i}_conv")(x)
        x = layers.Dropout(cfg.dropout, name=f"up{i}_dropout")(x)
        x = layers.ReLU(name=f"up{i}_act")(x)
        x = blocks.SubPixel1D(2, name=f"up{i}_shuffle")(x)
        x = film(x, i, f"up{i}_film")
        x = layers.Concatenate(axis=-1, name=f"up{i}_skip")([x, skips[i]])
    x = layers.Conv1D(2, 9, padding="same", kernel_initializer="zeros", name="out_conv")(x)
    x = blocks.SubPixel1D(2, name="out_shuffle")(x)
    out = layers.Add(name="residual")([x, inp])
    return keras.Model(inp, out, name=name)


def receptive_field(model, length: int = 4096, seed: int = 0) -> int:
    """Samples of input that one output sample depends on, measured.

    Perturbs one input sample in the middle of a random input and counts
    the output samples that change (the model must be non-trivial: a freshly
    built model's zero last layer hides everything, so its weights are
    perturbed on a copy). Returns the width in samples.
    """
    import keras
    probe = keras.models.clone_model(model)
    rng = np.random.default_rng(seed)
    probe.set_weights([w + 0.05 * rng.standard_normal(w.shape).astype(w.dtype) for w in model.get_weights()])
    x0 = rng.standard_normal((1, length, 1)).astype("float32")
    x1 = x0.copy()
    x1[0, length // 2, 0] += 1.0
    d = np.abs(probe(x1, training=False).numpy() - probe(x0, training=False).numpy())[0, :, 0]
    d[length // 2] = 0  # the residual path
    idx = np.flatnonzero(d > 1e-6)
    return int(idx.max() - idx.min() + 1) if len(idx) else 1


class UNetKind(ModelKind):
    """The AudioUNet trained on waveform MSE (plus, optionally, the multi-resolution STFT loss)."""

    litert = True  # convolutions and reshapes: LiteRT's built-in operations (so the GAN's generator too)

    def architecture(self, config) -> UNetConfig:
        """The run's preset, with the fields of ``config.arch`` in place of the preset's (``filters``,
        ``kernels``, ``dropout``, ``film_block``); a field the config does not have is a :class:`ConfigError`."""
        if config.preset not in PRESETS:
            raise ConfigError(f"preset: got {config.preset!r}; expected one of {', '.join(PRESETS)}")
        if not config.arch:
            return PRESETS[config.preset]
        settable = [f.name for f in fields(UNetConfig) if f.name != "film"]  # the kind sets film
        unknown = sorted(set(config.arch) - set(settable))
        if unknown:
            raise ConfigError(f"arch: a U-Net has no field {', '.join(unknown)}; expected {', '.join(settable)}")
        try:
            return UNetConfig.from_dict({**asdict(PRESETS[config.preset]), **config.arch})
        except (TypeError, ValueError) as e:  # a number where a list belongs, ...
            raise ConfigError(f"arch: {e}") from None

    def arch_from_dict(self, d: dict) -> UNetConfig:
        return UNetConfig.from_dict(d)

    def build(self, arch: UNetConfig):
        return build_unet(arch)

    def multiple(self, arch: UNetConfig) -> int:
        return arch.multiple

    def reach(self, arch: UNetConfig) -> int:
        return reach(arch)

    def compile(self, network, config, arch):
        import keras

        network.compile(keras.optimizers.Adam(config.learning_rate), loss=make_loss(1.0, config.stft_weight))
        return network, "val_loss", {}


class FiLMKind(UNetKind):
    """The U-Net with feature-wise modulation by blocks after every down and up block (:attr:`mode`):
    TFiLM (``"lstm"``, Birnbaum et al. 2019) or AFiLM (``"attention"``, Rakotonirina 2021).

    Same preset, loss and data as the U-Net. The modulation sees the whole window, so chunked
    inference joins chunks by cross-fading rather than exactly (:attr:`exact_chunks` is False).
    """

    litert = False  # the LSTM and attention are not checked against LiteRT: Keras serves
    exact_chunks = False
    mode = "lstm"

    def architecture(self, config) -> UNetConfig:
        return replace(super().architecture(config), film=self.mode)


class TFiLMKind(FiLMKind):
    """TFiLM: an LSTM over the blocks (each block modulated by the ones before it)."""

    mode = "lstm"


class AFiLMKind(FiLMKind):
    """AFiLM: self-attention over the blocks (each block modulated by all of them)."""

    mode = "attention"
