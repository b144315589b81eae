"""Chunked inference: any length through a network of bounded reach, in bounded memory.

A model of every kind is, for inference, a function ``run(batch) -> batch`` on
windows of the (interpolated) signal: float32 arrays of shape
``(n_windows, width)`` in and out, ``width`` a multiple of the model's grid
``multiple`` (the U-Net's stride grid, the spectral models' STFT hop).
:func:`overlap_add` applies it to a long signal exactly: numpy in, numpy out,
no Keras here, so every kind and every runtime shares this one implementation.

The signal is cut into chunks of ``chunk_len`` samples. Neighbouring chunks
overlap by ``fade`` samples and are cross-faded linearly (the two fades sum to
one), and each chunk is run with ``margin`` samples of real context beyond
its fades on both sides, which are then discarded. Chunk starts and window
edges are multiples of ``multiple``, so every chunk sees the same grid as the
whole file, and when the margin is at least the network's one-sided reach the
kept part of each chunk equals whole-file processing up to float rounding
(the fades then join equal signals). A model whose reach exceeded the margin
still could not click at a seam: the fades blend it. Memory is bounded by ``batch``
windows, whatever the signal's length.
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

__all__ = ["pad_length", "overlap_add"]


def pad_length(n_samples: int, multiple: int) -> int:
    """Smallest multiple of ``multiple`` samples that is >= ``n_samples`` samples.

    Examples
    --------
    >>> pad_length(100, 32)
    128
    >>> pad_length(128, 32)
    128
    """
    return -(-int(n_samples) // int(multiple)) * int(multiple)


def overlap_add(run, x: np.ndarray, *, multiple: int, margin: int, chunk_len: int = 32768, fade: int = 256,
                batch: int = 4, progress: bool = False) -> np.ndarray:
    """Apply ``run`` to ``x`` chunk by chunk and join the chunks with cross-fades.

    Parameters
    ----------
    run : callable
        ``run(windows) -> outputs``, float32 arrays of shape (n_windows, width), ``width`` a
        multiple of ``multiple``. All windows of one call have the same width.
    x : float array, shape (n_samples,)
        The signal the network reads (at the output rate).
    multiple : int
        Grid of the network in samples: window widths, chunk starts and margins are multiples of it.
    margin : int
        Context in samples beyond each chunk's fades (rounded up to a multiple of ``multiple``);
        at least the network's one-sided reach for exact results.
    chunk_len : int
        Samples kept per chunk (rounded up to a multiple of ``multiple``).
    fade : int
        Cross-fade length at each seam in samples (at most ``margin``).
    batch : int
        Windows per call of ``run``.
    progress : bool
        Show a progress bar over the chunks.

    Returns
    -------
    float32 array, shape (n_samples,)

    Examples
    --------
    >>> x = np.arange(100_000, dtype=np.float32)
    >>> y = overlap_add(lambda w: 2 * w, x, multiple=64, margin=128, chunk_len=4096)
    >>> bool(np.allclose(y, 2 * x))
    True
    """
    x = np.asarray(x, dtype=np.float32)
    n, m = len(x), int(multiple)
    margin = pad_length(margin, m)
    chunk_len = pad_length(max(chunk_len, m), m)
    fade = min(pad_length(fade, m), margin)
    context = pad_length(margin + fade // 2, m)  # the kept part, fades included, has ``margin`` on each side
    if n <= chunk_len + 2 * context:  # one piece: the whole signal
        padded = np.pad(x, (0, pad_length(n, m) - n))
        return np.asarray(run(padded[None]), dtype=np.float32)[0, :n]
    out = np.zeros(n, np.float32)
    weight = np.zeros(n, np.float32)
    pending = []

    def flush():
        # windows of one width per call: zero-padding a short window to the batch's width would
        # differ from the signal's end (a network's biases make the padded zone non-zero)
        for width in dict.fromkeys(len(p[-1]) for p in pending):
            group = [p for p in pending if len(p[-1]) == width]
            for (lo, s, e, _), y in zip(group, np.asarray(run(np.stack([w for *_, w in group])), np.float32)):
                keep_lo, keep_hi = max(s - fade // 2, 0), min(e + fade // 2, n)
                ramp = np.ones(keep_hi - keep_lo, np.float32)
                if keep_lo > 0:
                    ramp[:fade] = np.linspace(0, 1, fade + 2, dtype=np.float32)[1:-1]
                if keep_hi < n:
                    ramp[-fade:] = np.minimum(ramp[-fade:], np.linspace(1, 0, fade + 2, dtype=np.float32)[1:-1])
                out[keep_lo:keep_hi] += y[keep_lo - lo: keep_hi - lo] * ramp
                weight[keep_lo:keep_hi] += ramp
        pending.clear()

    starts = list(range(0, n, chunk_len))
    if n - starts[-1] < fade:  # a last piece shorter than a fade joins the chunk before it
        starts.pop()
    ends = starts[1:] + [n]
    for s, e in tqdm(list(zip(starts, ends)), desc="upsampling", unit="chunk", disable=not progress):
        lo, hi = max(s - context, 0), min(e + context, n)
        window = np.pad(x[lo:hi], (0, pad_length(hi - lo, m) - (hi - lo)))
        pending.append((lo, s, e, window))
        if len(pending) == batch:
            flush()
    flush()
    return out / np.maximum(weight, 1e-12)
