"""Training the models: configs per profile, Keras ``fit()`` with the callbacks a long run needs.

``srlib train [--model unet|gan|spectral|spectral-gan] --profile quick|full --out DIR``
(or :func:`train` from a notebook) trains the AudioUNet, its GAN fine-tuning, the
spectral model (:mod:`srlib.models.spectral`, log-magnitude loss on STFT features)
or the phase-aware spectral generator (the spectral model inside a waveform
generator, trained as a GAN):

1. builds the corpus and the cached training pairs (:mod:`srlib.data`);
2. seeds everything (``keras.utils.set_random_seed``, deterministic TF ops);
3. fits with: a CSV log and TensorBoard logs (``tensorboard --logdir RUN/tensorboard``),
   best-checkpoint on validation loss, ``BackupAndRestore``
   (a killed run started again with the same ``--out`` resumes from its last
   finished epoch), a NaN guard that stops with a clear :class:`TrainingError`,
   and Keras' progress bar;
   for the GAN (:mod:`srlib.models.gan`) the log holds both players' losses
   and the generator starts from a trained U-Net (``init``, the shipped one by default);
4. keeps the best weights as ``model.weights.h5`` beside ``config.json``,
   ``command.txt``, ``log.csv`` and ``metrics.json`` (the test-split evaluation
   of the model against the baselines).

A folder with ``model.weights.h5`` and ``config.json`` is a *model*: the
inference code loads it by path, and the shipped ones by name.
"""

from __future__ import annotations

import json
import math
import shlex
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from .errors import AudioError, TrainingError

__all__ = ["TrainConfig", "PROFILES", "GAN_PROFILES", "SPECTRAL_PROFILES", "SPECTRAL_GAN_PROFILES", "MODELS",
           "profile_config", "spectral_config", "train", "NaNGuard", "add_train_command"]

#: What ``srlib train --model`` can train.
MODELS = ("unet", "gan", "spectral", "spectral-gan")


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on (saved as ``config.json``).

    Attributes
    ----------
    corpus : str
        ``speech``, ``music``, ``vctk:PATH[:split]`` or a folder (see :func:`srlib.data.cli.open_corpus`).
    sr_hz : int
        High (target) rate in Hz.
    ratio : int
        Up-sampling factor; the model's input rate is ``sr_hz / ratio``.
    preset : str
        U-Net architecture (:data:`srlib.models.unet.PRESETS`).
    patch_len, stride : int
        Training patch length and hop in samples at ``sr_hz``.
    batch_size, epochs : int
    learning_rate : float
        Adam step size.
    filter : str
        Anti-aliasing filter of the low-rate inputs (``"random"`` for filter-robust training).
    stft_weight : float
        Weight of the multi-resolution STFT loss added to the waveform MSE.
    seed : int
    quick_data : bool
        Use the quick slice of the corpus.
    max_clips : int or None
        At most this many clips per split.
    model : str
        ``"unet"`` (MSE/STFT training), ``"gan"`` (adversarial, :mod:`srlib.models.gan`),
        ``"spectral"`` (high-band log-magnitude MAE) or ``"spectral-gan"`` (the phase-aware
        spectral generator trained like the GAN).
    init : str or None
        Model folder or shipped name whose weights start the network (the GAN's generator; for
        ``spectral-gan``, a ``spectral`` model's 2-D U-Net or a whole ``spectral-gan`` generator).
    gan : dict or None
        :class:`srlib.models.gan.GANConfig` fields that differ from its defaults.
    d_learning_rate : float or None
        The discriminators' Adam step (the GAN; default: ``learning_rate``).
    spectral : dict or None
        :class:`srlib.models.spectral.SpectralConfig` fields that differ from :func:`spectral_config`'s.
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
    filter: str = "cheby1"
    stft_weight: float = 0.0
    seed: int = 0
    quick_data: bool = False
    max_clips: int | None = None
    model: str = "unet"
    init: str | None = None
    gan: dict | None = None
    d_learning_rate: float | None = None
    spectral: dict | None = None


#: ``quick``: seconds-long, for CI and learners; ``full``: the run whose weights ship.
#: 24 epochs at 1e-3 beat 16 at 3e-4 (validation loss 0.00227 against 0.00235). A random
#: anti-aliasing filter per clip costs a little on Chebyshev-made inputs but is what makes the
#: model safe on real files: trained on Chebyshev alone, the same network fell from +0.5 dB
#: above the spline to 21-24 dB *below* it on elliptic, FIR and soxr-made inputs.
PROFILES = {
    "quick": TrainConfig(epochs=2, quick_data=True, max_clips=24, patch_len=4096, stride=4096),
    "full": TrainConfig(epochs=24, learning_rate=1e-3, filter="random"),
}

#: The GAN fine-tunes the shipped U-Net; Adam(beta_1=0.5, beta_2=0.9) for both players
#: at a step ten times smaller than the U-Net's from-scratch one.
GAN_PROFILES = {
    "quick": TrainConfig(model="gan", init="unet", epochs=1, quick_data=True, max_clips=24, patch_len=4096,
                         stride=4096, learning_rate=1e-4),
    "full": TrainConfig(model="gan", init="unet", epochs=8, learning_rate=1e-4, filter="random"),
}


#: The spectral model trains from scratch (its residual starts at the identity) at 1e-3, with
#: 8/16/32 channels: the default 16/32/64 costs four times the arithmetic (about 0.7 GMAC per
#: forward pass of an 8,192-sample patch at 44.1 kHz), which on 2 CPU cores made one epoch of
#: the music corpus take longer than a quarter of an hour.
SPECTRAL_PROFILES = {
    "quick": TrainConfig(model="spectral", epochs=2, quick_data=True, max_clips=24, patch_len=4096, stride=4096,
                         learning_rate=1e-3, spectral={"filters": [8, 16, 32]}),
    "full": TrainConfig(model="spectral", epochs=3, learning_rate=1e-3, filter="random",
                        spectral={"filters": [8, 16, 32]}),
}

#: The phase-aware generator: a spectral model (``init``; an untrained one starts at the spline
#: with mirrored phase) and its waveform stage, trained against the GAN's discriminators.
SPECTRAL_GAN_PROFILES = {
    "quick": TrainConfig(model="spectral-gan", epochs=1, quick_data=True, max_clips=24, patch_len=4096,
                         stride=4096, learning_rate=1e-4, spectral={"filters": [8, 16, 32]}),
    "full": TrainConfig(model="spectral-gan", epochs=2, learning_rate=1e-4, filter="random",
                        spectral={"filters": [8, 16, 32]}),
}

_TABLES = {"unet": PROFILES, "gan": GAN_PROFILES, "spectral": SPECTRAL_PROFILES,
           "spectral-gan": SPECTRAL_GAN_PROFILES}


def spectral_config(config: TrainConfig):
    """The :class:`~srlib.models.spectral.SpectralConfig` of a run: STFT sized to the rate, then ``config.spectral``.

    ``n_fft`` is 512 samples up to 24 kHz and 1024 above (32 ms and 23 ms at 16 and
    44.1 kHz), the hop a quarter of it.
    """
    from .models.spectral import SpectralConfig

    n_fft = 512 if config.sr_hz <= 24000 else 1024
    base = SpectralConfig(n_fft=n_fft, hop=n_fft // 4, sr_hz=config.sr_hz, ratio=config.ratio).to_dict()
    try:
        return SpectralConfig.from_dict({**base, **(config.spectral or {}), "sr_hz": config.sr_hz,
                                         "ratio": config.ratio})
    except TypeError as e:
        raise AudioError(f"spectral: {e}") from None


def profile_config(model: str = "unet", profile: str = "quick") -> TrainConfig:
    """The :class:`TrainConfig` of a named profile for ``model`` (one of :data:`MODELS`)."""
    table = _TABLES.get(model)
    if table is None:
        raise AudioError(f"model: got {model!r}; expected one of {', '.join(MODELS)}")
    if profile not in table:
        raise AudioError(f"profile: got {profile!r}; expected one of {', '.join(table)}")
    return table[profile]


def NaNGuard():  # noqa: N802  (a callback factory: keeps Keras out of srlib's import)
    """A Keras callback that stops training on a NaN/inf loss and remembers where.

    After ``fit`` returns, :func:`train` raises :class:`TrainingError` with the
    epoch, batch and advice (Keras' own ``TerminateOnNaN`` stops silently).
    """
    import keras

    class _Guard(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.where = None
            self.epoch = 0

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            for key in ("loss", "g_loss", "d_loss"):  # the U-Net's loss, the GAN's two players
                loss = (logs or {}).get(key)
                if loss is not None and not math.isfinite(float(loss)):
                    self.where = (self.epoch + 1, batch + 1, float(loss))
                    self.model.stop_training = True
                    return

    return _Guard()


def _pairs(config: TrainConfig, split: str, progress: bool):
    from .data import make_pairs
    from .data.cli import open_corpus

    corpus = open_corpus(config.corpus, quick=config.quick_data, progress=progress)
    return make_pairs(corpus, split, ratio=config.ratio, sr_hz=config.sr_hz, patch_len=config.patch_len,
                      stride=config.stride, filter=config.filter, seed=config.seed, max_clips=config.max_clips,
                      progress=progress)


def train(config: TrainConfig, out_dir, *, verbose: int = 1, evaluate: bool = True, command: str | None = None,
          pairs=None, callbacks=()):
    """Train a U-Net; returns ``(model, history_dict)``.

    Parameters
    ----------
    config : TrainConfig
    out_dir : path
        Run folder (created). Re-running into the same folder resumes an
        interrupted run; a finished run (with ``model.weights.h5``) is refused.
    verbose : int
        Keras verbosity (1 progress bar, 2 one line per epoch, 0 silent).
    evaluate : bool
        Score the best model on the test split into ``metrics.json``.
    command : str, optional
        The command line to record in ``command.txt``.
    pairs : (train Pairs, val Pairs), optional
        Ready pairs instead of building them from ``config`` (tests).
    callbacks : sequence of keras.callbacks.Callback
        Extra callbacks (e.g. one that records every batch's losses for a plot).
    """
    import keras
    import tensorflow as tf

    from .data import make_dataset

    out = Path(out_dir)
    if (out / "model.weights.h5").exists():
        raise AudioError(f"{out}: already holds a trained model; choose another --out")
    if config.model not in MODELS:
        raise AudioError(f"model: got {config.model!r}; expected one of {', '.join(MODELS)}")
    arch = _architecture(config)
    multiple = arch.hop if config.model.startswith("spectral") else arch.multiple
    if config.patch_len % multiple:
        raise AudioError(f"patch_len {config.patch_len} must be a multiple of {multiple} for this {config.model} model")
    init = _init_model(config, arch) if config.init else None
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(config.seed)
    tf.config.experimental.enable_op_determinism()
    train_pairs, val_pairs = pairs or (_pairs(config, "train", verbose > 0), _pairs(config, "val", verbose > 0))
    model, network, monitor, meta = _build(config, arch, init)
    meta.update({"sr_hz": config.sr_hz, "ratio": config.ratio, "train": asdict(config),
                 "n_train_patches": len(train_pairs), "n_val_patches": len(val_pairs),
                 "n_params": int(network.count_params())})
    (out / "config.json").write_text(json.dumps(meta, indent=2))
    (out / "command.txt").write_text((command or " ".join(shlex.quote(a) for a in sys.argv)) + "\n")
    guard = NaNGuard()
    callbacks = [
        keras.callbacks.BackupAndRestore(str(out / "backup")),
        keras.callbacks.CSVLogger(str(out / "log.csv"), append=True),
        keras.callbacks.TensorBoard(str(out / "tensorboard"), write_graph=False),
        keras.callbacks.ModelCheckpoint(str(out / "best.weights.h5"), monitor=monitor, mode="min",
                                        save_best_only=True, save_weights_only=True),
        guard,
        *callbacks,
    ]
    if config.model == "spectral":  # log-magnitude features in, log-magnitude targets out
        from .models.spectral import spectral_training_arrays

        x, y = spectral_training_arrays(train_pairs, arch)
        fit_args = dict(x=x, y=y, batch_size=config.batch_size, validation_data=spectral_training_arrays(val_pairs, arch),
                        shuffle=True)
    else:
        fit_args = dict(x=make_dataset(train_pairs, config.batch_size, seed=config.seed),
                        validation_data=make_dataset(val_pairs, config.batch_size, shuffle=False),
                        shuffle=False)  # the dataset reshuffles itself, seeded, every epoch
    t0 = time.perf_counter()
    history = model.fit(**fit_args, epochs=config.epochs, callbacks=callbacks, verbose=verbose)
    seconds = time.perf_counter() - t0
    if guard.where:
        epoch, batch, loss = guard.where
        raise TrainingError(
            f"training stopped: the loss became {loss} at epoch {epoch}, batch {batch}. Lower the learning rate "
            f"(now {config.learning_rate}), check the data for NaN/inf or clipping, or resume from {out}/backup "
            "with a smaller step"
        )
    if (out / "best.weights.h5").exists():
        model.load_weights(str(out / "best.weights.h5"))
    # a fresh, uncompiled copy of the (generator) network: the shipped file holds no optimizer state
    clean = _network(config, arch)
    clean.set_weights(network.get_weights())
    clean.save_weights(str(out / "model.weights.h5"))
    (out / "best.weights.h5").unlink(missing_ok=True)
    meta["train_seconds"] = round(seconds, 1)
    epochs_run = len(next(iter(history.history.values()), []))
    meta["train_audio_s_per_s"] = round(train_pairs.duration_s * epochs_run / max(seconds, 1e-9), 1)
    (out / "config.json").write_text(json.dumps(meta, indent=2))
    if evaluate:
        from .inference import evaluate_model_dir

        evaluate_model_dir(out, quick=config.quick_data, max_clips=config.max_clips)
    return model, history.history


def _architecture(config: TrainConfig):
    """The U-Net preset (unet, gan) or the :class:`SpectralConfig` (spectral kinds) of a run."""
    if config.model.startswith("spectral"):
        return spectral_config(config)
    from .models.unet import PRESETS

    if config.preset not in PRESETS:
        raise AudioError(f"preset: got {config.preset!r}; expected one of {', '.join(PRESETS)}")
    return PRESETS[config.preset]


def _network(config: TrainConfig, arch):
    """A fresh network of the run's kind: what ``model.weights.h5`` holds."""
    if config.model == "spectral":
        from .models.spectral import build_spectral_unet

        return build_spectral_unet(arch)
    if config.model == "spectral-gan":
        from .models.spectral import build_spectral_waveform_generator

        return build_spectral_waveform_generator(arch)
    from .models.unet import build_unet

    return build_unet(arch)


def _init_model(config: TrainConfig, arch):
    """The model named by ``config.init``, checked against the run's rates and architecture."""
    from .inference import load_model

    init = load_model(config.init)
    if config.model.startswith("spectral"):
        own, wanted = init.spectral_cfg, arch
        fits = init.kind in ("spectral", "spectral-gan") and own is not None and \
            (own.n_fft, own.hop, tuple(own.filters)) == (arch.n_fft, arch.hop, tuple(arch.filters)) and \
            (init.kind == "spectral" or own == arch)
    else:
        own, wanted = init.unet_cfg, arch
        fits = own == arch
    if (init.sr_hz, init.ratio) != (config.sr_hz, config.ratio) or not fits:
        raise AudioError(f"init: model {init.name} ({init.kind}) is {init.sr_hz} Hz, ratio {init.ratio}, {own}; "
                         f"this {config.model} run is {config.sr_hz} Hz, ratio {config.ratio}, {wanted}")
    return init


def _build(config: TrainConfig, arch, init):
    """(model to fit, network that ships, checkpoint monitor, config.json entries) for ``config.model``."""
    import keras

    network = _network(config, arch)
    meta = {"kind": config.model, "init": init.name if init else None}
    meta.update({"spectral": arch.to_dict()} if config.model.startswith("spectral") else {"unet": arch.to_dict()})
    if init is not None:
        if config.model == "spectral-gan" and init.kind == "spectral":  # the magnitudes' network only
            network.get_layer("spectral").unet.set_weights(init.model.get_weights())
        else:
            network.set_weights(init.model.get_weights())
    if config.model == "unet":
        from .losses import make_loss

        network.compile(keras.optimizers.Adam(config.learning_rate), loss=make_loss(1.0, config.stft_weight))
        return network, network, "val_loss", meta
    if config.model == "spectral":
        from .models.spectral import high_band_mae

        network.compile(keras.optimizers.Adam(config.learning_rate), loss=high_band_mae(arch.cutoff_bin))
        return network, network, "val_loss", meta
    from .models.gan import GAN, GANConfig, build_discriminators

    try:
        gan_cfg = GANConfig.from_dict({**GANConfig().to_dict(), **(config.gan or {})})
    except TypeError as e:
        raise AudioError(f"gan: {e}") from None
    gan = GAN(network, build_discriminators(gan_cfg), gan_cfg)
    d_lr = config.d_learning_rate or config.learning_rate
    gan.compile(g_optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=0.5, beta_2=0.9),
                d_optimizer=keras.optimizers.Adam(d_lr, beta_1=0.5, beta_2=0.9))
    gan.build((None, None, 1))
    n_d = sum(int(d.count_params()) for d in gan.discriminators)
    # the generator is kept where it best matches held-out spectra (the adversarial losses of
    # two moving players say little about quality on their own)
    meta.update({"gan": gan_cfg.to_dict(), "n_discriminator_params": n_d})
    return gan, network, "val_stft", meta


def _cmd_train(args) -> int:
    config = profile_config(args.model, args.profile)
    changes = {k: getattr(args, k) for k in ("epochs", "ratio", "sr_hz", "corpus", "preset", "filter", "seed",
                                              "stft_weight", "learning_rate", "init", "max_clips")
               if getattr(args, k) is not None}
    if args.init == "none":
        changes["init"] = None
    config = replace(config, **changes)
    command = "srlib " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[0].endswith("srlib") else None
    train(config, args.out, verbose=0 if args.quiet else 1, command=command)
    print(f"model written to {args.out}", file=sys.stderr)
    return 0


def add_train_command(sub) -> None:
    """Add the ``train`` subcommand to the ``srlib`` parser."""
    p = sub.add_parser("train", help="train a U-Net, a GAN or a spectral model (profiles: quick, full)",
                       description="Train the AudioUNet (--model unet), fine-tune it adversarially (--model gan), "
                                   "train the spectral model (--model spectral) or the phase-aware spectral "
                                   "generator (--model spectral-gan, usually --init a spectral model) on a corpus. "
                                   "The run folder gets config.json, command.txt, log.csv, model.weights.h5 and "
                                   "metrics.json; running again into the same folder resumes an interrupted run.")
    p.add_argument("--model", choices=MODELS, default="unet", help="what to train (default unet)")
    p.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    p.add_argument("--init", help="model folder or shipped name to start from ('none' for random; the GAN's "
                                  "default is the shipped U-Net; spectral-gan: a spectral model)")
    p.add_argument("--out", required=True, help="run folder")
    p.add_argument("--corpus", help="speech | music | vctk:PATH[:single|multi] | a folder (default speech)")
    p.add_argument("--ratio", type=int)
    p.add_argument("--sr-hz", dest="sr_hz", type=int, help="target rate in Hz")
    p.add_argument("--preset", help="architecture: small (default), paper, tiny")
    p.add_argument("--epochs", type=int)
    p.add_argument("--learning-rate", dest="learning_rate", type=float)
    p.add_argument("--filter", help="anti-aliasing filter of the inputs, or 'random'")
    p.add_argument("--stft-weight", dest="stft_weight", type=float, help="weight of the multi-resolution STFT loss")
    p.add_argument("--max-clips", dest="max_clips", type=int, help="at most this many clips per split")
    p.add_argument("--seed", type=int)
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=_cmd_train)
