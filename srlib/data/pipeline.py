"""The ``tf.data`` input pipeline: shuffle, batch, prefetch.

The pairs fit in memory, so the pipeline slices tensors that are already
there; shuffling uses a seeded buffer as large as the data (an exact shuffle)
and is redone every epoch, and ``prefetch`` overlaps the next batch with the
training step. :func:`measure_throughput` shows it is far from the bottleneck
of a 2-core training loop (notebook ``03_data_generation``).
"""

from __future__ import annotations

import time

import numpy as np

from .pairs import Pairs

__all__ = ["make_dataset", "measure_throughput"]


def make_dataset(pairs: Pairs, batch_size: int = 16, *, shuffle: bool = True, seed: int = 0,
                 drop_remainder: bool = False, gain_db: tuple | None = None, extra: np.ndarray | None = None):
    """A ``tf.data.Dataset`` of ``(x_in, hr)`` batches.

    Parameters
    ----------
    pairs : Pairs
    batch_size : int
    shuffle : bool
        Reshuffle (seeded) every epoch.
    seed : int
    drop_remainder : bool
    gain_db : (low, high) or None
        A random gain per patch, uniform in dB between ``low`` and ``high``, applied to the input and
        the target alike (seeded; drawn anew every epoch): level-robust training.
    extra : float32 array, shape (n_patches, k), optional
        A second network input per patch (a versatile frame model's cutoff bins): the batches
        are then ``((x_in, extra), hr)``, and the gain leaves ``extra`` alone.

    Returns
    -------
    tf.data.Dataset yielding ``(x_in, hr)``, each float32 of shape (batch, patch_len, 1).
    """
    import tensorflow as tf

    x = pairs.x_in[..., None] if extra is None else (pairs.x_in[..., None], np.asarray(extra, np.float32))
    ds = tf.data.Dataset.from_tensor_slices((x, pairs.hr[..., None]))
    if shuffle:
        ds = ds.shuffle(len(pairs), seed=seed, reshuffle_each_iteration=True)
    if gain_db is not None:  # a seeded random stream, drawn anew every epoch
        low, high = (float(g) for g in gain_db)
        draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)

        def gain(pair, draw):
            u = tf.cast(draw % 1_000_003, tf.float32) / 1_000_003.0
            g = 10.0 ** ((low + (high - low) * u) / 20.0)
            x, y = pair
            return (x * g if extra is None else (x[0] * g, x[1])), y * g

        ds = tf.data.Dataset.zip((ds, draws)).map(gain)
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)


def measure_throughput(dataset, sr_hz: int, max_batches: int = 200) -> dict:
    """Iterate over a dataset and time it.

    Returns
    -------
    dict with ``batches``, ``seconds``, ``batches_per_s`` and ``audio_s_per_s``
    (seconds of target audio delivered per wall-clock second).
    """
    n_batches, n_samples = 0, 0
    t0 = time.perf_counter()
    for _, hr in dataset.take(max_batches):
        n_batches += 1
        n_samples += int(np.prod(hr.shape[:2]))
    dt = time.perf_counter() - t0
    return {"batches": n_batches, "seconds": dt, "batches_per_s": n_batches / dt,
            "audio_s_per_s": n_samples / sr_hz / dt}
