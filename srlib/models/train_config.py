"""The configuration of a training run: what ``srlib train`` runs and ``config.json`` records as ``train``.

It sits below the model kinds: a kind's profiles (:meth:`srlib.models.kind.ModelKind.profile`) are
:class:`TrainConfig` values, and :mod:`srlib.train` runs them. Nothing here imports a kind or Keras.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError
from ..losses import STFT_SIZES

__all__ = ["TrainConfig", "LR_SCHEDULES"]

#: What :attr:`TrainConfig.lr_schedule` may name.
LR_SCHEDULES = ("constant", "cosine")


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on (saved as ``config.json``).

    Attributes
    ----------
    corpus : str
        ``speech``, ``music``, ``recorded-speech``, ``recorded-music``, ``vctk:PATH[:single|multi]``,
        ``magnatagatune:PATH`` or a folder (see :func:`srlib.data.open_corpus`).
    sr_hz : int
        High (target) rate in Hz.
    ratio : int
        Up-sampling factor; the model's input rate is ``sr_hz / ratio``.
    preset : str
        U-Net architecture of the U-Net kinds: ``small``, ``paper`` or ``tiny`` (:data:`srlib.models.unet.PRESETS`).
    patch_len : int
        Training patch length in samples at ``sr_hz``.
    stride : int
        Samples between the starts of training patches, at ``sr_hz``.
    batch_size : int
        Patches per step.
    epochs : int
        Passes over the training patches.
    learning_rate : float
        Adam step size.
    lr_schedule : str
        ``constant``, or ``cosine``: every step of the run (the discriminators' too) scaled per epoch by
        ``0.1 + 0.9 (1 + cos(pi e / epochs)) / 2`` for epoch ``e`` from 0, to a tenth at the last
        (:class:`srlib.callbacks.CosineSteps`; an interrupted run resumes on the same curve).
    filter : str
        Anti-aliasing filter of the low-rate inputs, one of :data:`srlib.degrade.FILTERS` (``random``: a
        random one per clip, for filter-robust training).
    stft_weight : float
        Weight of the multi-resolution STFT loss added to the waveform MSE.
    wave_weight : float or None
        Weight of the waveform MSE in the frame kinds' loss (:func:`srlib.models.frame.frame_loss`);
        None: 100, what the frame models shipped before it trained with. A band whose phase is not the
        original's has the least MSE when it is silent, so a large weight teaches a model to add little.
    loss_resolutions : int
        How many sizes the frame kinds' multi-resolution STFT loss uses: the first ``loss_resolutions`` of
        :data:`srlib.losses.STFT_SIZES` (512/128, 1024/256, 256/64 samples; :meth:`stft_sizes`). 3, all of
        them, as every shipped frame model trained. 1, the 512/128 term alone: up to 24 kHz that is the
        model's own STFT, which the loss computes anyway, so the term costs no STFT of its own (a 44.1 kHz
        model's own is 1024/256: there 1 keeps 512/128 and drops its own size from the term). On two
        cores the 64-channel model trained about 1.25 times as many seconds of audio a second with 1 as
        with 3. The other kinds' ``stft_weight`` term always uses all three.
    seed : int
        Seeds the network's initial weights, the patches' order and the random filters.
    quick_data : bool
        Use the quick slice of the corpus.
    max_clips : int or None
        At most this many clips per split.
    model : str
        The kind to train: a name of :func:`srlib.models.registry.kind_names`; empty, the registry's first
        (:func:`srlib.train.prepare` resolves it; a kind's profiles name it).
    init : str or None
        Model folder or shipped name whose weights start the network (the GAN's generator; for
        ``spectral-gan``, a ``spectral`` model's 2-D U-Net or a whole ``spectral-gan`` generator; for
        ``frame-gan``, a frame model of the same architecture, calibrated or not); ``none`` on the
        command line for random weights.
    gan : dict or None
        :class:`srlib.models.gan.GANConfig` fields that differ from its defaults.
    d_learning_rate : float or None
        The discriminators' Adam step (the GAN; default: ``learning_rate``).
    arch : dict or None
        Fields of the kind's architecture config that differ from what the kind derives from
        the rates (e.g. ``channels=96 blocks=8`` for :class:`srlib.models.frame.FrameConfig`).
    input_rates_hz : [low, high] or None
        Train a *versatile* model over input rates from ``low`` (``sr_hz / ratio``) to ``high`` Hz,
        each clip at its own (:func:`srlib.data.make_pairs`); kinds with ``input_rates`` only.
    augment : dict or None
        :class:`srlib.augment.Augment` fields that differ from its defaults (``{}``: the defaults):
        each training clip as another voice, microphone and noise floor, its input through a
        telephone or codec chain. None: the clips as recorded. Validation clips are never augmented.
    """

    corpus: str = "speech"
    sr_hz: int = 16000
    ratio: int = 4
    preset: str = "small"
    patch_len: int = 8192
    stride: int = 4096
    batch_size: int = 16
    epochs: int = 12
    learning_rate: float = 3e-4
    lr_schedule: str = "constant"
    filter: str = "cheby1"
    stft_weight: float = 0.0
    wave_weight: float | None = None
    loss_resolutions: int = 3
    seed: int = 0
    quick_data: bool = False
    max_clips: int | None = None
    model: str = ""
    init: str | None = None
    gan: dict | None = None
    d_learning_rate: float | None = None
    arch: dict | None = None
    input_rates_hz: list | None = None
    augment: dict | None = None

    def stft_sizes(self) -> tuple:
        """The (n_fft, hop) pairs, in samples, of the frame kinds' multi-resolution STFT term (:attr:`loss_resolutions`).

        >>> TrainConfig(loss_resolutions=1).stft_sizes()
        ((512, 128),)
        """
        count = self.loss_resolutions
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= len(STFT_SIZES):
            raise ConfigError(f"loss_resolutions: got {count!r}; expected a whole number from 1 to {len(STFT_SIZES)}")
        return STFT_SIZES[:count]
