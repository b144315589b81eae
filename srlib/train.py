"""Training the models: profiles per kind, Keras ``fit()`` with the callbacks a long run needs.

``srlib train --model KIND --profile quick|full --out DIR`` (or :func:`train`
from a notebook) trains any registered kind (:mod:`srlib.models.registry`:
the AudioUNet, its GAN fine-tuning, the spectral model, the phase-aware
spectral generator, ...). The kind supplies the architecture, the network, the
losses and the data ``fit`` sees; this module does the rest, the same for all:

1. builds the corpus and the cached training pairs (:mod:`srlib.data`);
2. seeds everything (``keras.utils.set_random_seed``, deterministic TF ops);
3. fits with: a CSV log, each epoch's time (``epochs.csv``, :class:`srlib.callbacks.EpochClock`) and
   TensorBoard logs (``tensorboard --logdir RUN/tensorboard``), best-checkpoint on the kind's
   validation measure, ``BackupAndRestore`` (a killed run started again with the same ``--out``
   resumes from its last finished epoch, its best checkpoint replaced only by a better epoch than
   every earlier sitting's, and ``train_seconds`` counts every sitting's epochs), a NaN guard that
   stops with a clear :class:`TrainingError`, and Keras' progress bar; a kind that starts from a trained model
   (``init``, e.g. the GAN from the shipped U-Net) has it checked and loaded;
4. keeps the best weights as ``model.weights.h5`` beside ``config.json``,
   ``command.txt``, ``log.csv``, ``metrics.json`` and ``per_clip.json.gz`` (the test-split evaluation
   of the model against the baselines, :func:`srlib.evaluate.evaluate_model_dir`).

A folder with ``model.weights.h5`` and ``config.json`` is a *model*: the
inference code loads it by path, and the shipped ones by name.
"""

from __future__ import annotations

import math
import shlex
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from .augment import Augment
from .data import make_pairs, open_corpus
from .errors import ConfigError, TrainingError
from .evaluate import evaluate_model_dir
from .extras import lazy
from .inference import load_model
from .lineage import Lineage
from .models.card import LOG_NAME, ModelCard, csv_rows, model_folder
from .models.registry import get_kind, kind_names
from .models.train_config import LR_SCHEDULES, TrainConfig

#: :mod:`srlib.callbacks` imports Keras: loaded when a run starts (:func:`srlib.extras.lazy`).
keras_callbacks = lazy("srlib.callbacks")

__all__ = ["TrainConfig", "resolved", "profile_config", "prepare", "train", "mirrored_strategy"]


def resolved(config: TrainConfig) -> TrainConfig:
    """``config`` with its kind named: an empty ``model`` is the registry's first kind."""
    return config if config.model else replace(config, model=kind_names()[0])


def profile_config(model: str | None = None, profile: str = "quick") -> TrainConfig:
    """The :class:`TrainConfig` of a named profile (``quick``, ``full``) of a registered kind (default: the first)."""
    return get_kind(model or kind_names()[0]).profile(profile)


@dataclass
class Prepared:
    """A run ready to ``fit``: what :func:`prepare` returns.

    Attributes
    ----------
    kind : srlib.models.kind.ModelKind
    arch
        The kind's architecture config.
    network : keras.Model
        What ``model.weights.h5`` will hold (the generator of a GAN).
    model : keras.Model
        What ``fit`` trains (the network itself, or the GAN around it).
    monitor : str
        The validation measure the best checkpoint is chosen on.
    meta : dict
        ``config.json`` entries so far (kind, init, architecture, rates, training config, sizes).
    fit_args : dict
        ``fit`` keyword arguments: the data and its batching.
    """

    kind: object
    arch: object
    network: object
    model: object
    monitor: str
    meta: dict
    fit_args: dict


def prepare(config: TrainConfig, train_pairs, val_pairs) -> Prepared:
    """Build, initialise and compile the run's network, and its ``fit`` data, as its kind says.

    Used by :func:`train` and by the bench (:mod:`srlib.bench`), so a measured
    training step is the one a run takes. Seeds Keras with ``config.seed`` before
    building the network.
    """
    import keras

    config = resolved(config)
    kind = get_kind(config.model)
    if config.input_rates_hz and not kind.input_rates:
        raise ConfigError(f"input rates: a {config.model} model takes one input rate; --input-rates is for the "
                          f"kinds {', '.join(n for n in kind_names() if get_kind(n).input_rates)}")
    arch = kind.architecture(config)
    multiple = kind.multiple(arch)
    if config.patch_len % multiple:
        raise ConfigError(f"patch_len: {config.patch_len} is not a multiple of {multiple}, the grid of this "
                          f"{config.model} model")
    init = _init_model(config, kind, arch) if config.init else None
    keras.utils.set_random_seed(config.seed)  # after loading init: the new weights depend on the seed alone
    network = kind.build(arch)
    if init is not None:
        kind.load_init(network, init)
    model, monitor, extra = kind.compile(network, config, arch)
    meta = {"kind": kind.name, "init": init.name if init else None, kind.arch_key: arch.to_dict(), **extra,
            "sr_hz": config.sr_hz, "ratio": config.ratio,
            **({"input_rates_hz": list(config.input_rates_hz)} if config.input_rates_hz else {}),
            "train": asdict(config),
            "n_train_patches": len(train_pairs), "n_val_patches": len(val_pairs),
            "n_params": int(network.count_params())}
    return Prepared(kind, arch, network, model, monitor, meta,
                    kind.fit_data(train_pairs, val_pairs, config, arch))


def mirrored_strategy():
    """A ``tf.distribute.MirroredStrategy`` over the machine's GPUs, or over its logical CPU devices where it has none.

    One CPU is one device unless TensorFlow was told to split it
    (``tf.config.set_logical_device_configuration``, as the test does to check two replicas
    on a machine without a GPU); the strategy then has one replica and trains as without it.
    """
    import tensorflow as tf

    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy([d.name for d in devices])


def _init_model(config: TrainConfig, kind, arch):
    """The model named by ``config.init``, checked against the run's rates and architecture."""
    init = load_model(config.init)
    if (init.sr_hz, init.ratio) != (config.sr_hz, config.ratio) or not kind.init_fits(init, arch):
        raise ConfigError(f"init: model {init.name} ({init.kind}) is {init.sr_hz} Hz, ratio {init.ratio}, "
                          f"{init.arch}; this {config.model} run is {config.sr_hz} Hz, ratio {config.ratio}, {arch}")
    return init


def _corpus(config: TrainConfig, progress: bool):
    return open_corpus(config.corpus, quick=config.quick_data, progress=progress)


def _lineage(config: TrainConfig, corpus, init_name) -> dict:
    """``config.json``'s ``lineage``: the groups of the corpus' train and val splits (a superset of the clips a
    ``max_clips`` slice or the bandwidth gate keeps) and the ``init`` model's lineage."""
    lineage = Lineage.from_clips(corpus.split("train"), corpus.split("val")) if corpus is not None else Lineage()
    if init_name:
        lineage = lineage.union(ModelCard.read(model_folder(init_name)).lineage)
    return lineage.to_dict()


def _pairs(config: TrainConfig, corpus, split: str, progress: bool):
    augment = Augment.from_dict(config.augment) if split == "train" else None  # validation stays as recorded
    return make_pairs(corpus, split, ratio=config.ratio, sr_hz=config.sr_hz, patch_len=config.patch_len,
                      stride=config.stride, filter=config.filter, seed=config.seed, max_clips=config.max_clips,
                      input_rates_hz=config.input_rates_hz, augment=augment, progress=progress)


def _best_logged(log_path, monitor: str) -> float | None:
    """The least finite value of ``monitor`` in a run's log (None: no file, no such column or no finite value)."""
    values = [row[monitor] for row in csv_rows(log_path) if math.isfinite(row.get(monitor, math.nan))]
    return min(values) if values else None


def train(config: TrainConfig, out_dir, *, verbose: int = 1, evaluate: bool = True, command: str | None = None,
          pairs=None, callbacks=(), distribute: bool = False):
    """Train a model of the kind ``config.model``; returns ``(fitted keras model, history dict)``.

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
        Ready pairs instead of building them from ``config`` (tests): the folder's lineage then holds only
        its ``init``'s, since nothing says where the pairs came from.
    callbacks : sequence of keras.callbacks.Callback
        Extra callbacks (e.g. one that records every batch's losses for a plot).
    distribute : bool
        Train data-parallel with TensorFlow's ``MirroredStrategy`` over every GPU of the machine
        (:func:`mirrored_strategy`): each batch is split among the replicas and their gradients
        are summed, so ``batch_size`` stays the global batch. Kinds with their own adversarial
        ``train_step`` (the GANs) are refused.
    """
    import keras
    import tensorflow as tf

    config = resolved(config)
    Augment.from_dict(config.augment)  # a wrong field fails before the corpus is read
    if config.lr_schedule not in LR_SCHEDULES:
        raise ConfigError(f"lr_schedule: got {config.lr_schedule!r}; expected one of {', '.join(LR_SCHEDULES)}")
    config.stft_sizes()  # a wrong loss_resolutions fails before the corpus is read too
    out = Path(out_dir)
    if (out / "model.weights.h5").exists():
        raise ConfigError(f"{out}: already holds a trained model; choose another --out")
    tf.config.experimental.enable_op_determinism()
    corpus = None if pairs else _corpus(config, verbose > 0)
    train_pairs, val_pairs = pairs or (_pairs(config, corpus, "train", verbose > 0),
                                       _pairs(config, corpus, "val", verbose > 0))
    if distribute:
        strategy = mirrored_strategy()
        if verbose:
            print(f"training on {strategy.num_replicas_in_sync} replicas: "
                  + ", ".join(strategy.extended.worker_devices), file=sys.stderr)
        with strategy.scope():
            run = prepare(config, train_pairs, val_pairs)
        if type(run.model).train_step is not keras.Model.train_step:
            raise ConfigError(f"--distribute: the {config.model} kind trains with its own adversarial step, "
                              "which is not written for several replicas; train it without --distribute")
    else:
        run = prepare(config, train_pairs, val_pairs)
    model, network, meta = run.model, run.network, run.meta
    meta["lineage"] = _lineage(config, corpus, config.init)
    out.mkdir(parents=True, exist_ok=True)
    card = ModelCard.create(out, meta, command=command or " ".join(shlex.quote(a) for a in sys.argv))
    guard = keras_callbacks.NaNGuard()
    clock, best = out / keras_callbacks.EPOCHS_NAME, out / "best.weights.h5"
    best_so_far = None
    if (out / "backup").exists():  # resumed: the best checkpoint is replaced only by a better epoch than any before
        best_so_far = _best_logged(out / LOG_NAME, run.monitor) if best.exists() else None
    else:  # a fresh start (a run stopped by the NaN guard has no backup): an earlier attempt's clock and best go
        clock.unlink(missing_ok=True)
        best.unlink(missing_ok=True)
    # at an epoch's end, in this order: its time, its checkpoint, its log line, the backup; a sitting stopped
    # before the backup runs the epoch again, so nothing a later callback writes lacks what an earlier one does
    callbacks = [
        keras_callbacks.EpochClock(clock),
        keras.callbacks.ModelCheckpoint(str(best), monitor=run.monitor, mode="min", save_best_only=True,
                                        save_weights_only=True, initial_value_threshold=best_so_far),
        keras.callbacks.CSVLogger(str(out / LOG_NAME), append=True),
        keras.callbacks.BackupAndRestore(str(out / "backup")),
        keras.callbacks.TensorBoard(str(out / "tensorboard"), write_graph=False),
        guard,
        *([keras_callbacks.CosineSteps(config.epochs, {  # a GAN's optimizer is its generator's
            "optimizer": config.learning_rate, "d_optimizer": config.d_learning_rate or config.learning_rate})]
          if config.lr_schedule == "cosine" else []),
        *callbacks,
    ]
    t0 = time.perf_counter()
    history = model.fit(**run.fit_args, epochs=config.epochs, callbacks=callbacks, verbose=verbose)
    seconds = time.perf_counter() - t0
    if guard.where:
        epoch, batch, loss = guard.where
        raise TrainingError(
            f"training stopped: the loss became {loss} at epoch {epoch}, batch {batch}. Lower the learning rate "
            f"(now {config.learning_rate}), or check the data for NaN/inf or clipping; run again into {out} "
            "to start afresh (its log keeps this attempt's epochs)"
        )
    if (out / "best.weights.h5").exists():
        model.load_weights(str(out / "best.weights.h5"))
    # a fresh, uncompiled copy of the (generator) network: the shipped file holds no optimizer state
    clean = run.kind.build(run.arch)
    clean.set_weights(network.get_weights())
    clean.save_weights(str(out / "model.weights.h5"))
    run.kind.export(clean, run.arch, out)  # the light runtime's copy, where the kind has one
    (out / "best.weights.h5").unlink(missing_ok=True)
    epochs_run, clocked = keras_callbacks.training_seconds(out / keras_callbacks.EPOCHS_NAME)
    if not epochs_run:  # no epoch finished: this sitting's time
        epochs_run, clocked = len(next(iter(history.history.values()), [])), seconds
    meta["train_seconds"] = round(clocked, 1)  # every sitting's epochs, a resumed run's included
    meta["train_audio_s_per_s"] = round(train_pairs.duration_s * epochs_run / max(clocked, 1e-9), 1)
    card.update(train_seconds=meta["train_seconds"], train_audio_s_per_s=meta["train_audio_s_per_s"])
    if evaluate:
        evaluate_model_dir(out, quick=config.quick_data, max_clips=config.max_clips)
    return model, history.history
