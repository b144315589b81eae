"""Applying trained models: a model folder loaded as a network, run on any length.

:class:`SRModel` reads a model folder's card (:class:`srlib.models.card.ModelCard`),
asks the registry (:mod:`srlib.models.registry`) for its kind, builds the kind's
network, loads the weights and runs it chunk by chunk through
:func:`srlib.chunking.overlap_add`, with the kind's grid and reach as chunk
grid and margin: exact whole-file results in bounded memory for every kind.
Scoring a model folder is :func:`srlib.evaluate.evaluate_model_dir`.
"""

from __future__ import annotations

from functools import lru_cache, partial

import numpy as np

from .audio import fix_length, resample, validate_audio
from .chunking import overlap_add, pad_length
from .errors import AudioError, ConfigError
from .interpolate import spline_images, upsample_baseline
from .models.card import WEIGHTS_DIR, ModelCard, model_folder, shipped_models
from .models.registry import DEFAULT_KINDS, get_kind

__all__ = ["SRModel", "load_model", "shipped_models", "upsample_with_model", "WEIGHTS_DIR"]


class SRModel:
    """A trained model folder (``config.json`` + ``model.weights.h5``) ready for inference.

    ``config.json``'s ``kind`` names a registered kind (:func:`srlib.models.registry.kind_names`:
    the U-Net and its GAN, the spectral model played with a Griffin-Lim phase, the
    phase-aware spectral generator, ...); all are applied chunk by chunk the same way
    (:meth:`refine`).

    Attributes
    ----------
    path : Path
    card : ModelCard
        The folder's config, scores, log and command, as plain data.
    kind : str
        The kind's registered name.
    model_kind : srlib.models.kind.ModelKind
    arch
        The architecture config (a :class:`~srlib.models.unet.UNetConfig`, ...).
    runtime : {"keras", "light"}
        What runs the network: Keras, or the kind's light runtime
        (:meth:`srlib.models.kind.ModelKind.light_runner`, e.g. the frame model's NumPy forward
        pass), which needs no TensorFlow.
    model : keras.Model
        The network with its weights (built on first use when the light runtime serves).
    sr_hz : int
        Output (high) rate in Hz.
    ratio : int
    low_sr_hz : int
        Input rate the model expects, ``sr_hz // ratio``; a versatile model's lowest.
    input_rates_hz : (low, high) or None
        A versatile model's range of input rates in Hz (its network is told each input's rate).
    multiple, margin : int
        Chunk grid and context in samples (the kind's grid; its reach, rounded up to the grid).
    """

    def __init__(self, path, runtime: str = "auto", arch=None):
        """``runtime``: ``"auto"`` (the light runtime where the folder has one, else Keras), ``"keras"`` or ``"light"``;
        ``arch``: an architecture config to use instead of the folder's, with the same weights (e.g. the frame
        model at another ``band_gain``)."""
        if runtime not in ("auto", "keras", "light"):
            raise ConfigError(f"runtime: got {runtime!r}; expected auto, keras or light")
        self.card = ModelCard.read(path)
        self.path, self.name, self.config = self.card.path, self.card.name, self.card.config
        self.kind, self.sr_hz, self.ratio, self.low_sr_hz = (self.card.kind, self.card.sr_hz, self.card.ratio,
                                                             self.card.low_sr_hz)
        self.input_rates_hz = self.card.input_rates_hz
        self.model_kind = get_kind(self.kind)
        self.arch = arch or self.model_kind.arch_from_dict(self.config[self.model_kind.arch_key])
        self.multiple = self.model_kind.multiple(self.arch)
        self.margin = pad_length(self.model_kind.reach(self.arch), self.multiple)
        self._model = None
        light = None if runtime == "keras" else self.model_kind.light_runner(self.arch, self.path)
        if light is None and runtime == "light":
            raise ConfigError(f"{self.path}: no light runtime for this {self.kind} model (srlib train writes it)")
        self.runtime = "light" if light is not None else "keras"
        self._run = light if light is not None else self.model_kind.runner(self.model, self.arch)

    @property
    def model(self):
        """The Keras network with its weights (built and loaded on first use)."""
        if self._model is None:
            # clips of many lengths retrace the compiled predict step; TF warns about each retrace,
            # which is expected here (one trace per input length) and only clutters notebooks
            import logging

            logging.getLogger("tensorflow").setLevel(logging.ERROR)
            self._model = self.model_kind.build(self.arch)
            self._model.load_weights(str(self.path / "model.weights.h5"))
        return self._model

    def describe(self) -> str:
        """A few lines on how the model was made (:meth:`ModelCard.describe`)."""
        return self.card.describe()

    def __repr__(self) -> str:
        return f"SRModel({self.name!r}, {self.card.rates_text} -> {self.sr_hz} Hz, {self.runtime})"

    def refine(self, x_in, *, low_sr_hz: int | None = None, chunk_len: int | None = None, fade: int = 256,
               batch: int | None = None, progress: bool = False) -> np.ndarray:
        """Apply the network to a spline-interpolated signal, chunk by chunk (:func:`srlib.chunking.overlap_add`).

        Parameters
        ----------
        x_in : float array, shape (n_samples,)
            Input at the high rate (spline interpolation of the low-rate signal; for a versatile
            model, its soxr resampling, :meth:`upsample_lr`).
        low_sr_hz : int, optional
            The rate in Hz the input came from, for a versatile model (default: its lowest).
        chunk_len : int, optional
            Samples kept per chunk (rounded up to a multiple of :attr:`multiple`); default the
            kind's :attr:`~srlib.models.kind.ModelKind.chunk_len`.
        fade : int
            Cross-fade length at each seam, in samples.
        batch : int, optional
            Chunks per network call (memory is about ``batch`` chunks). Default 8 for the light
            runtime (its threads share out the chunks one by one: more of them, fewer idle
            threads), 4 for Keras.

        Returns
        -------
        float32 array, shape (n_samples,)
        """
        batch = batch or (8 if self.runtime == "light" else 4)
        run = self._run
        if self.input_rates_hz:
            low, high = self.input_rates_hz
            rate = low if low_sr_hz is None else int(low_sr_hz)
            if not low <= rate <= high:
                raise AudioError(f"model {self.name} takes input rates of {low}-{high} Hz; got {rate} Hz")
            run = partial(run, low_sr_hz=rate)
        elif low_sr_hz not in (None, self.low_sr_hz):
            raise AudioError(f"model {self.name} takes {self.low_sr_hz} Hz input; got {low_sr_hz} Hz")
        return overlap_add(run, validate_audio(x_in), multiple=self.multiple, margin=self.margin,
                           chunk_len=chunk_len or self.model_kind.chunk_len, fade=fade, batch=batch, progress=progress)

    def upsample_lr(self, x_lr, low_sr_hz: int | None = None, **kw) -> np.ndarray:
        """Super-resolve a mono low-rate signal at ``low_sr_hz`` (default and for a one-rate model: the model's
        :attr:`low_sr_hz`); shape (n,) -> (n * sr_hz / low_sr_hz,).

        The network's input is the spline interpolation, or for a versatile model the soxr
        resampling (:func:`srlib.audio.resample`) that its training pairs were made with.
        """
        x_lr = validate_audio(x_lr, name="x_lr")
        if x_lr.ndim != 1:
            raise AudioError(f"x_lr: expected a mono signal of shape (n_samples,), got {x_lr.shape}")
        rate = low_sr_hz or self.low_sr_hz
        if not self.input_rates_hz:
            y = self.refine(upsample_baseline(x_lr, self.ratio, "spline"), low_sr_hz=low_sr_hz, **kw)
        else:
            y = self.refine(resample(x_lr, rate, self.sr_hz), low_sr_hz=rate, **kw)
        image_gain = self.arch.image_gain_for(rate) if hasattr(self.arch, "image_gain_for") else 0.0
        if image_gain:  # a calibrated share of the input's images beside the band (FrameConfig.image_gain)
            exact = rate if self.input_rates_hz else self.sr_hz / self.ratio  # 22050 / 4, not 5512: the same spline
            y = y + np.float32(image_gain) * fix_length(spline_images(x_lr, exact, self.sr_hz), len(y))
        return y


@lru_cache(maxsize=8)
def _load_cached(path: str) -> SRModel:
    return SRModel(path)


def load_model(name_or_path) -> SRModel:
    """A shipped model by alias (``"unet"``) or folder name, or a model folder by path (loaded once, cached)."""
    return _load_cached(str(model_folder(name_or_path)))


def upsample_with_model(x, sr_hz: int, target_sr_hz: int, *, model=None, progress: bool = False):
    """Super-resolve ``x`` (any channels) with a trained model (an :class:`SRModel`, a shipped name or a folder;
    default: the shipped model of the first of :data:`srlib.models.registry.DEFAULT_KINDS`).

    The input is resampled to the model's input rate when it is *lower*
    (nothing is lost); an input *above* it would have its upper band thrown
    away, so that is refused with a message naming the model's rates. The output is at the
    model's rate whatever ``target_sr_hz`` is (:func:`srlib.api.upsample` resamples it there).

    Returns
    -------
    y : float32 array, shape (..., n_out) at ``model.sr_hz``
    sr_out_hz : int
    """
    m = model if isinstance(model, SRModel) else load_model(model or DEFAULT_KINDS[0])
    x = validate_audio(x)
    refusal = m.card.refusal(sr_hz, target_sr_hz)
    if refusal:
        raise AudioError(refusal)
    rate = m.card.model_rate(sr_hz)
    if sr_hz != rate:
        x = resample(x, sr_hz, rate)
    if x.ndim == 1:
        return m.upsample_lr(x, rate, progress=progress), m.sr_hz
    return np.stack([m.upsample_lr(ch, rate, progress=progress) for ch in x]), m.sr_hz
