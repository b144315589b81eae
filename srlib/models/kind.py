"""What srlib needs to know of one kind of model, as one small class.

A *kind* (``unet``, ``gan``, ``spectral``, ...) is a network family together
with the recipe that trains it. :class:`ModelKind` lists every question the
rest of srlib asks about a kind; each kind's module subclasses it beside its
network (:class:`srlib.models.unet.UNetKind`, ...), and
:mod:`srlib.models.registry` names them. Training (:func:`srlib.train.train`),
inference (:class:`srlib.inference.SRModel`), the bench, ``srlib info`` and the
default method ask the registry and never branch on a kind's name.

This module does not import Keras; the methods that need it import it inside.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

import numpy as np

from ..data import make_dataset
from ..errors import ConfigError
from ..extras import MissingDependencyError
from .litert import TFLITE_NAME, LiteRTForward, export_litert
from .train_config import TrainConfig

__all__ = ["ModelKind", "ConfigKind", "STFTKind", "stft_size_for"]


def stft_size_for(sr_hz: int) -> tuple:
    """``(n_fft, hop)`` in samples of the STFT-based kinds at ``sr_hz`` Hz: 512 up to 24 kHz, 1024 above, hop n_fft / 4.

    32 ms windows at 16 kHz, 23 ms at 44.1 kHz.

    >>> stft_size_for(16000), stft_size_for(44100)
    ((512, 128), (1024, 256))
    """
    n_fft = 512 if sr_hz <= 24000 else 1024
    return n_fft, n_fft // 4


@dataclass(frozen=True)
class ModelKind:
    """One kind of model: its architecture, builder, reach, training recipe and loader.

    Attributes
    ----------
    name : str
        What ``config.json``'s ``kind`` and ``srlib train --model`` say (set by the registry).
    summary : str
        One line for ``srlib train --help`` and ``srlib info``.
    arch_key : str
        Key of ``config.json`` that holds the architecture (:meth:`arch_from_dict` reads it).
    shipped : str or None
        Folder name of the shipped model that ``--model NAME`` means (``None``: none shipped).
    profiles : dict of str -> dict
        Training profiles (``quick``, ``full``): :class:`~srlib.models.train_config.TrainConfig` fields that
        differ from its defaults.
    """

    name: str
    summary: str
    arch_key: str
    shipped: str | None = None
    profiles: dict = field(default_factory=dict)

    #: Random gain of the training pairs in dB, (low, high), input and target alike; None: none.
    gain_db: ClassVar[tuple | None] = None

    #: Whether the network (input (batch, samples, 1), the default :meth:`runner`) runs in LiteRT with its
    #: built-in operations: then :meth:`export` writes ``model.tflite`` and :meth:`light_runner` runs it.
    litert: ClassVar[bool] = False

    #: Whether the kind can be versatile: trained over a range of input rates (``srlib train --input-rates``),
    #: its runners then taking the input's rate as ``run(windows, low_sr_hz=...)``.
    input_rates: ClassVar[bool] = False

    #: Samples kept per chunk in chunked inference (:meth:`srlib.inference.SRModel.refine`'s default): a longer
    #: chunk spends less on its margins and per-call costs, a shorter one less memory.
    chunk_len: ClassVar[int] = 32768

    #: Whether chunked inference equals whole-signal inference (the reach is bounded and no iteration
    #: carries information further); otherwise the chunks' cross-fades join them.
    exact_chunks: ClassVar[bool] = True

    #: The architecture fields that calibration may set after training (:mod:`srlib.calibration`); none: the
    #: kind has nothing to calibrate.
    tunables: ClassVar[tuple] = ()

    def calibration_text(self, calibration: dict) -> str:
        """One line on what a calibration chose (``config.json``'s ``calibration``), as the card and ``srlib
        calibrate`` print it; a kind with :attr:`tunables` says how to read them."""
        return f"calibrated (srlib calibrate) on {calibration['n_clips']} {calibration['split']} clips"

    # --- architecture -------------------------------------------------------------------
    def architecture(self, config):
        """The architecture config of a training run (:class:`~srlib.models.train_config.TrainConfig`)."""
        raise NotImplementedError

    def arch_from_dict(self, d: dict):
        """The architecture config saved under :attr:`arch_key` in ``config.json``."""
        raise NotImplementedError

    def build(self, arch):
        """A fresh Keras network of this architecture: what ``model.weights.h5`` holds."""
        raise NotImplementedError

    def multiple(self, arch) -> int:
        """Grid in samples: input lengths, chunk starts and margins are multiples of it."""
        raise NotImplementedError

    def reach(self, arch) -> int:
        """One-sided reach in samples of the network at the output rate (the chunk margin)."""
        raise NotImplementedError

    # --- inference ----------------------------------------------------------------------
    def runner(self, network, arch):
        """``run(windows) -> windows`` for :func:`srlib.chunking.overlap_add`: float32 (n, width) in and out.

        The default feeds the windows to the network as (n, width, 1) through the
        compiled ``predict_on_batch`` (2.3 times faster here than an eager call).
        """

        def run(windows: np.ndarray) -> np.ndarray:
            return np.asarray(network.predict_on_batch(windows[..., None]))[..., 0]

        return run

    def export(self, network, arch, folder) -> None:
        """Write what :meth:`light_runner` reads into the model ``folder`` (``srlib train`` calls it).

        Default: ``model.tflite`` (:func:`srlib.models.litert.export_litert`) where :attr:`litert`, else nothing.
        """
        if self.litert:
            from pathlib import Path

            export_litert(network, Path(folder) / TFLITE_NAME)

    def light_runner(self, arch, folder):
        """A ``run(windows) -> windows`` like :meth:`runner` that needs no Keras, or None.

        Where a kind has one and the folder holds its export, inference (and so ``srlib
        upsample``) runs without importing TensorFlow. Default: :meth:`runner` around the
        folder's ``model.tflite`` in LiteRT (:class:`srlib.models.litert.LiteRTForward`, which
        answers ``predict_on_batch`` as the Keras network does) where :attr:`litert` and the
        ``ai-edge-litert`` package is installed (``srlib[litert]``), else None: Keras serves. Where Keras
        is missing too, a :class:`~srlib.extras.MissingDependencyError` names the lighter of the two extras.
        """
        path = Path(folder) / TFLITE_NAME
        if not self.litert or not path.exists():
            return None
        try:
            return self.runner(LiteRTForward(path), arch)
        except ModuleNotFoundError:  # no ai-edge-litert here: Keras serves where it is installed
            try:
                importlib.import_module("keras")
            except ImportError:  # missing, or there but broken
                raise MissingDependencyError(
                    f"{Path(folder).name} runs without TensorFlow in LiteRT, which a plain install of srlib leaves "
                    'out: pip install "srlib[litert]"') from None
            return None

    # --- training -----------------------------------------------------------------------
    def profile(self, name: str):
        """The :class:`~srlib.models.train_config.TrainConfig` of the named profile."""

        if name not in self.profiles:
            raise ConfigError(f"profile: got {name!r}; expected one of {', '.join(self.profiles)}")
        return replace(TrainConfig(), model=self.name, **self.profiles[name])

    def init_fits(self, init, arch) -> bool:
        """Whether a loaded model (:class:`srlib.inference.SRModel`) can start a run of ``arch``."""
        return init.arch == arch

    def load_init(self, network, init) -> None:
        """Copy the starting model's weights into ``network``."""
        network.set_weights(init.model.get_weights())

    def compile(self, network, config, arch):
        """Ready ``network`` for ``fit``.

        Returns
        -------
        (model to fit, checkpoint monitor, dict of extra ``config.json`` entries)
        """
        raise NotImplementedError

    def fit_data(self, train_pairs, val_pairs, config, arch) -> dict:
        """``fit`` keyword arguments for the training and validation pairs.

        The default: (spline input, target) patches as seeded, reshuffled ``tf.data`` datasets,
        the training patches at a random gain where the kind has a :attr:`gain_db`.
        """
        return dict(x=make_dataset(train_pairs, config.batch_size, seed=config.seed, gain_db=self.gain_db),
                    validation_data=make_dataset(val_pairs, config.batch_size, shuffle=False),
                    shuffle=False)  # the dataset reshuffles itself, seeded, every epoch


class ConfigKind(ModelKind):
    """A kind whose architecture is an ``arch_class`` dataclass with ``sr_hz`` and ``ratio`` fields,
    ``to_dict`` and ``from_dict``: its defaults, then the run's ``config.arch``, then the run's rates."""

    #: The architecture's dataclass.
    arch_class: ClassVar[type]

    def defaults(self, config) -> dict:
        """The architecture's fields before the run's ``config.arch``: the class's defaults at the run's rates."""
        return self.arch_class(sr_hz=config.sr_hz, ratio=config.ratio).to_dict()

    def architecture(self, config):
        """:meth:`defaults`, then the run's ``config.arch`` fields, then the run's rates.

        A field the class does not have is a :class:`~srlib.errors.ConfigError` that names it.
        """
        fields = {**self.defaults(config), **(config.arch or {}), "sr_hz": config.sr_hz, "ratio": config.ratio}
        try:
            return self.arch_class.from_dict(fields)
        except TypeError as e:
            raise ConfigError(f"arch: {e}") from None

    def arch_from_dict(self, d: dict):
        return self.arch_class.from_dict(d)


class STFTKind(ConfigKind):
    """A kind whose network works on STFT frames: an ``arch_class`` config with ``n_fft`` and ``hop``.

    Its STFT is sized to the rate (:func:`stft_size_for`) before the run's ``config.arch``
    overrides, and its grid is the hop, so every chunk's frames fall on the whole file's frames.
    """

    def defaults(self, config) -> dict:
        n_fft, hop = stft_size_for(config.sr_hz)
        return {**super().defaults(config), "n_fft": n_fft, "hop": hop}

    def multiple(self, arch) -> int:
        return arch.hop

