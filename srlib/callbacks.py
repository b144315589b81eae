"""Keras callbacks of srlib's training runs (this module imports Keras: :mod:`srlib.train` loads it lazily)."""

from __future__ import annotations

import math

import keras

__all__ = ["NaNGuard", "CosineSteps"]


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
