"""Keras callbacks of srlib's training runs (this module imports Keras: :mod:`srlib.train` loads it lazily)."""

from __future__ import annotations

import math
import time
from pathlib import Path

import keras

from .models.card import csv_rows

__all__ = ["NaNGuard", "CosineSteps", "EpochClock", "EPOCHS_NAME", "training_seconds"]

#: The file of a run folder where :class:`EpochClock` writes each epoch's time.
EPOCHS_NAME = "epochs.csv"


class NaNGuard(keras.callbacks.Callback):
    """Stops training on a NaN/inf loss and remembers where.

    After ``fit`` returns, :func:`srlib.train.train` raises :class:`~srlib.errors.TrainingError`
    with the epoch, batch and advice (Keras' own ``TerminateOnNaN`` stops silently).

    Attributes
    ----------
    where : (epoch, batch, loss) or None
        1-based epoch and batch of the first non-finite loss.
    """

    #: Loss keys watched: the U-Net's loss and the GAN's two players.
    KEYS = ("loss", "g_loss", "d_loss")

    def __init__(self):
        super().__init__()
        self.where = None
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        for key in self.KEYS:
            loss = (logs or {}).get(key)
            if loss is not None and not math.isfinite(float(loss)):
                self.where = (self.epoch + 1, batch + 1, float(loss))
                self.model.stop_training = True
                return


class CosineSteps(keras.callbacks.Callback):
    """Cosine decay of every optimizer's step, set at each epoch's start: ``base * (floor + (1 - floor) *
    (1 + cos(pi e / epochs)) / 2)`` for epoch ``e`` from 0, so the last epoch runs at about ``floor * base``.

    ``bases`` maps the model's optimizer attributes (``optimizer``; a GAN's ``d_optimizer`` too) to their
    configured steps; the step follows the epoch alone, so a run resumed by
    ``BackupAndRestore`` continues on the same curve.
    """

    def __init__(self, epochs: int, bases: dict, floor: float = 0.1):
        super().__init__()
        self.epochs, self.bases, self.floor = int(epochs), dict(bases), float(floor)

    def factor(self, epoch: int) -> float:
        return self.floor + (1 - self.floor) * (1 + math.cos(math.pi * epoch / self.epochs)) / 2

    def on_epoch_begin(self, epoch, logs=None):
        for attribute, base in self.bases.items():
            optimizer = getattr(self.model, attribute, None)
            if optimizer is not None:
                optimizer.learning_rate = base * self.factor(epoch)


class EpochClock(keras.callbacks.Callback):
    """Appends each finished epoch's wall time to ``path`` (a CSV of ``epoch,seconds,finished``; seconds from
    the epoch's start to its end, validation included; ``finished`` in UTC, ISO 8601).

    The file is appended to, never rewritten, so a run resumed by ``BackupAndRestore`` over several
    sittings keeps one record, and :func:`training_seconds` adds them up.
    """

    def __init__(self, path):
        super().__init__()
        self.path, self.start = Path(path), None

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self.start
        new = not self.path.exists()
        with self.path.open("a") as f:
            if new:
                f.write("epoch,seconds,finished\n")
            f.write(f"{epoch},{seconds:.1f},{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n")


def training_seconds(path) -> tuple[int, float]:
    """How many epochs :class:`EpochClock` recorded at ``path``, every sitting's, and their seconds in all.

    An epoch recorded twice (a sitting stopped after its clock line but before its backup was
    written runs it again) counts once, at its last time; a line a stopped writer cut short is
    left out (:func:`srlib.models.card.csv_rows`).

    Returns
    -------
    (epochs, seconds): (0, 0.0) without a file.
    """
    times = {int(row["epoch"]): row["seconds"] for row in csv_rows(path) if "epoch" in row and "seconds" in row}
    return len(times), float(sum(times.values()))
