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

from dataclasses import asdict, dataclass

__all__ = ["UNetConfig", "PRESETS", "build_unet", "SubPixel1D", "pad_length", "receptive_field"]


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
    """

    filters: tuple = (16, 24, 32, 48, 64)
    kernels: tuple = (9, 9, 9, 9, 9)
    dropout: float = 0.5

    @property
    def depth(self) -> int:
        return len(self.filters)

    @property
    def multiple(self) -> int:
        """Input lengths must be multiples of this: ``2 ** (depth + 1)``."""
        return 2 ** (self.depth + 1)

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> "UNetConfig":
        return cls(tuple(d["filters"]), tuple(d["kernels"]), float(d.get("dropout", 0.5)))


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


def pad_length(n_samples: int, multiple: int) -> int:
    """Smallest multiple of ``multiple`` that is >= ``n_samples``.

    Examples
    --------
    >>> pad_length(100, 32)
    128
    """
    return -(-int(n_samples) // multiple) * multiple


def _keras():
    import keras

    return keras


def _subpixel_class():
    keras = _keras()
    from keras import ops

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

    return SubPixel1D


_SUBPIXEL = None


def SubPixel1D(r: int = 2, **kw):  # noqa: N802  (a layer factory, named like the layer)
    """The sub-pixel shuffle layer (created lazily so importing srlib does not import Keras)."""
    global _SUBPIXEL
    if _SUBPIXEL is None:
        _SUBPIXEL = _subpixel_class()
    return _SUBPIXEL(r, **kw)


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
    keras = _keras()
    from keras import layers

    cfg = PRESETS[config] if isinstance(config, str) else config
    inp = keras.Input((length, 1), name="spline_input")
    x = inp
    skips = []
    for i, (nf, k) in enumerate(zip(cfg.filters, cfg.kernels)):
        x = layers.Conv1D(nf, k, strides=2, padding="same", name=f"down{i}_conv")(x)
        x = layers.LeakyReLU(0.2, name=f"down{i}_act")(x)
        skips.append(x)
    x = layers.Conv1D(cfg.filters[-1], cfg.kernels[-1], strides=2, padding="same", name="bottleneck_conv")(x)
    x = layers.Dropout(cfg.dropout, name="bottleneck_dropout")(x)
    x = layers.LeakyReLU(0.2, name="bottleneck_act")(x)
    for i in reversed(range(cfg.depth)):
        nf, k = cfg.filters[i], cfg.kernels[i]
        x = layers.Conv1D(2 * nf, k, padding="same", name=f"up{i}_conv")(x)
        x = layers.Dropout(cfg.dropout, name=f"up{i}_dropout")(x)
        x = layers.ReLU(name=f"up{i}_act")(x)
        x = SubPixel1D(2, name=f"up{i}_shuffle")(x)
        x = layers.Concatenate(axis=-1, name=f"up{i}_skip")([x, skips[i]])
    x = layers.Conv1D(2, 9, padding="same", kernel_initializer="zeros", name="out_conv")(x)
    x = SubPixel1D(2, name="out_shuffle")(x)
    out = layers.Add(name="residual")([x, inp])
    return keras.Model(inp, out, name=name)


def receptive_field(model, length: int = 4096, seed: int = 0) -> int:
    """Samples of input that one output sample depends on, measured.

    Perturbs one input sample in the middle of a random input and counts
    the output samples that change (the model must be non-trivial: a freshly
    built model's zero last layer hides everything, so its weights are
    perturbed on a copy). Returns the width in samples.
    """
    import numpy as np

    keras = _keras()
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
