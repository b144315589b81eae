"""The frame-level model's forward pass in NumPy: the shipped default runs without TensorFlow.

Importing TensorFlow costs seconds and hundreds of MB before a single sample is
processed, which dominates a command-line run on one file. The frame model's
chain (:class:`srlib.models.frame_layers.FrameBandwidthExtension`) is a few FFTs and
small matrix products per frame, so it is written here a second time with
NumPy and SciPy only (what a plain ``pip install srlib`` has):

1. ``X = rfft(w * frame_t(x))``: Hann-windowed frames (periodic window of
   ``n_fft``, hop ``hop``) of the input padded by ``n_fft`` on each side;
2. the network on ``[log(|X| + f_t) - mu_t, X / (|X| + f_t)]`` (the second over the input band;
   ``mu_t`` the log of the band's mean magnitude, ``f_t`` the floor under it):
   a projection, ConvNeXt blocks ``h + gamma W2 gelu(W1 LN(dwconv(h)))``, a LayerNorm
   and three linear heads (a versatile model's features: the phase parts over every bin, zero
   from the cutoff bin ``c`` up, and ``c / (n_fft / 2 + 1)``; ``c`` is the call's ``cutoff_bin``);
3. the crossover of the predicted band with the input's spectrum, as in Keras;
4. the inverse STFT as TensorFlow computes it: ``irfft`` of each frame times
   ``w / sum_k w^2[n + k hop]``, overlapped and added.

:func:`export_frame` writes the trained weights as ``model.npz`` beside
``model.weights.h5`` (``srlib train`` calls it), and :class:`FrameForward` runs
them. A test holds the two within ``1e-4`` relative RMS on real audio.

The ConvNeXt stack is most of the arithmetic and NumPy runs it one operation at a time
through memory (the GELU alone is twenty passes). Where ``ai-edge-litert`` is installed
(``srlib[litert]``, Linux and macOS), :func:`export_frame_blocks` has also written the stack as
``model.blocks.tflite`` and LiteRT's XNNPACK kernels run it, faster than NumPy (``python -m srlib.bench``
prints both); without either, NumPy does, to the same
result within float rounding (a test holds them within ``1e-5``).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from queue import Empty, SimpleQueue
from typing import TYPE_CHECKING

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import fft

from .litert import LiteRTForward, export_litert
from .spectral import mirror_index

if TYPE_CHECKING:  # frame.py imports this module to export and run its models
    from .frame import FrameConfig

__all__ = ["export_frame", "export_frame_blocks", "FrameForward", "NPZ_NAME", "BLOCKS_NAME"]

#: File name of the NumPy weights in a model folder.
NPZ_NAME = "model.npz"

#: File name of the LiteRT copy of the ConvNeXt stack in a model folder.
BLOCKS_NAME = "model.blocks.tflite"


def _kernel_and_bias(layer) -> list:
    return [np.asarray(layer.kernel), np.asarray(layer.bias)]


def export_frame(network, path) -> None:
    """Write the frame network's weights (a :func:`srlib.models.frame.build_frame_model` model) to ``path`` (.npz).

    Keys: ``proj``, ``block{i}.dw``, ``block{i}.norm``, ``block{i}.pw1``, ``block{i}.pw2``
    (each ``.0`` kernel / ``.1`` bias or LayerNorm scale / offset), ``block{i}.gamma``,
    ``norm``, ``mag_head``, ``re_head``, ``im_head``.
    """
    frame = network.get_layer("frame")
    arrays = {}

    def put(name, values):
        for i, v in enumerate(values):
            arrays[f"{name}.{i}"] = np.asarray(v, dtype=np.float32)

    put("proj", _kernel_and_bias(frame.proj))
    for i, block in enumerate(frame.blocks):
        put(f"block{i}.dw", [np.asarray(block.dw.kernel)[:, :, 0], np.asarray(block.dw.bias)])
        put(f"block{i}.norm", [np.asarray(block.norm.gamma), np.asarray(block.norm.beta)])
        put(f"block{i}.pw1", _kernel_and_bias(block.pw1))
        put(f"block{i}.pw2", _kernel_and_bias(block.pw2))
        put(f"block{i}.gamma", [np.asarray(block.gamma)])
    put("norm", [np.asarray(frame.norm.gamma), np.asarray(frame.norm.beta)])
    for head in ("mag_head", "re_head", "im_head"):
        put(head, _kernel_and_bias(getattr(frame, head)))
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def export_frame_blocks(network, path) -> None:
    """Write the frame network's ConvNeXt blocks and final LayerNorm, (batch, frames, channels) -> same shape,
    as a LiteRT model at ``path`` (:func:`srlib.models.litert.export_litert`)."""
    import keras

    frame = network.get_layer("frame")
    h = inp = keras.Input((None, frame.cfg.channels), name="h")
    for block in frame.blocks:
        h = block(h)
    export_litert(keras.Model(inp, frame.norm(h), name="frame_blocks"), path)


def _layer_norm(h, gamma, beta, eps=1e-6):
    mean = h.mean(axis=-1, keepdims=True)
    centred = h - mean
    var = np.square(centred).mean(axis=-1, keepdims=True)
    var += np.float32(eps)
    centred *= gamma / np.sqrt(var)  # (frames, 1) * (C,) -> gamma folded into the scale
    centred += beta
    return centred


#: Abramowitz and Stegun 7.1.26: ``erf(z) = 1 - (a1 s + ... + a5 s^5) exp(-z^2)``, ``s = 1 / (1 + p z)``, ``z >= 0``.
_AS_P, _AS_A = 0.3275911, (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _gelu(h):
    """The exact GELU, ``h Phi(h) = h (1 + erf(h / sqrt 2)) / 2`` (Keras' ``"gelu"``), within 5e-7.

    ``h erf(h / sqrt 2)`` is even, so with ``a = |h|`` and Abramowitz and Stegun's ``erf``
    (7.1.26, within 1.5e-7, a fifth of ``scipy.special.erf``'s time here):
    ``gelu(h) = max(h, 0) - a/2 (a1 s + ... + a5 s^5) exp(-a^2 / 2)``, ``s = 1 / (1 + p a / sqrt 2)``.
    The exponent is clipped at ``a = 12``, where the term is below float32's resolution of ``h``: beyond,
    ``exp`` falls through the subnormal numbers, which the processor handles many times slower.
    Written as in-place passes over three buffers: the function is memory-bound, and each pass costs.
    """
    f32 = np.float32
    a = np.abs(h)
    s = a * f32(_AS_P / np.sqrt(2.0))
    s += f32(1.0)
    np.reciprocal(s, out=s)
    poly = s * f32(0.5 * _AS_A[-1])  # Horner, the 1/2 folded into the coefficients
    for coef in _AS_A[-2::-1]:
        poly += f32(0.5 * coef)
        poly *= s
    e = np.minimum(a, f32(12.0), out=s)
    e *= e
    e *= f32(-0.5)
    poly *= np.exp(e, out=e)
    poly *= a
    out = np.maximum(h, f32(0.0), out=a)
    out -= poly
    return out


def _unit_parts(re, im, size):
    """The unit phasor ``exp(j atan2(im, re))`` as (real, imaginary) parts: ``(re / size, im / size)``, (1, 0) where
    ``size`` is 0.

    Real divisions, not a complex one: dividing a complex64 by a subnormal magnitude overflows
    inside NumPy's complex division, where ``re / size`` and ``im / size`` are at most 1.
    """
    zero = size == 0
    if not zero.any():  # the usual case, without the masks' passes
        return re / size, im / size
    safe = np.where(zero, 1, size)
    return np.where(zero, 1, re / safe), im / safe


def _depthwise(h, kernel, bias):
    """'same' depthwise convolution over frames: h (batch, frames, C), kernel (k, C) -> (batch, frames, C)."""
    k = kernel.shape[0]
    padded = np.pad(h, [(0, 0), (k // 2, k - 1 - k // 2), (0, 0)])
    out = np.zeros_like(h)
    for j in range(k):
        out += padded[:, j: j + h.shape[1]] * kernel[j]
    return out + bias


class FrameForward:
    """The frame model as a NumPy function: ``forward(x)``, x (batch, n) float32 -> (batch, n), ``n`` a multiple of hop.

    Parameters
    ----------
    config : FrameConfig
    path : str or Path
        The ``model.npz`` that :func:`export_frame` wrote.
    blocks : str or Path, optional
        The ``model.blocks.tflite`` that :func:`export_frame_blocks` wrote: LiteRT runs the
        ConvNeXt stack where the file exists and ``ai-edge-litert`` is installed
        (:attr:`stack` says which), else NumPy does.
    """

    def __init__(self, config: FrameConfig, path, blocks=None):
        self.cfg = config
        self._pool = None  # threads for __call__, started on first use
        with np.load(path) as z:
            self.w = {k: z[k] for k in z.files}
        self.n_blocks = len({k.split(".")[0] for k in self.w if k.startswith("block")})
        self._new_stack, self._idle = None, SimpleQueue()  # LiteRT stacks not in use: one per thread that runs a row
        if blocks is not None and Path(blocks).exists():
            new_stack = partial(LiteRTForward, Path(blocks), num_threads=1)  # the rows' threads: parallel
            try:
                self._idle.put(new_stack())
            except ModuleNotFoundError:  # no ai-edge-litert on this platform: NumPy runs the stack
                pass
            else:
                self._new_stack = new_stack
        self._bands = {}  # cutoff bin -> (mirror, ramp, first changed bin, heads' kernel and bias from it)
        p, hop = config.n_fft, config.hop
        n = np.arange(p)
        self.window = (0.5 - 0.5 * np.cos(2 * np.pi * n / p)).astype(np.float32)  # periodic Hann
        # TensorFlow's inverse_stft_window_fn: the window over the sum of the squared windows that overlap
        denom = (self.window ** 2).reshape(-1, hop).sum(axis=0)
        self.synthesis = (self.window / np.tile(denom, p // hop)).astype(np.float32)

    def band(self, c: int) -> tuple:
        """For cutoff bin ``c``: the mirror (source bin of every bin), the crossover ramp, the first bin
        the model changes (``lo``), the input projection over the features that are not constant and
        the three heads as one kernel and bias over the bins from ``lo`` up (their outputs below are
        unused). Computed once per cutoff.

        A versatile model's features hold zeros from ``c`` up and the constant ``c / bins``: their
        rows of the projection are dropped and the constant's row is folded into the bias, which
        at 4 kHz input halves the projection's arithmetic.
        """
        if c not in self._bands:
            cfg, nb = self.cfg, self.cfg.n_fft // 2 + 1
            ramp = np.clip((np.arange(nb) - (c - cfg.transition_bins)) / max(cfg.transition_bins, 1), 0.0, 1.0)
            lo = int(np.flatnonzero(ramp > 0)[0])
            proj, proj_bias = self.w["proj.0"], self.w["proj.1"]
            if cfg.versatile:  # rows: log-magnitudes (nb), real parts (nb), imaginary parts (nb), c / nb
                proj_bias = (proj_bias + proj[3 * nb] * np.float32(c / nb)).astype(np.float32)
                proj = np.ascontiguousarray(np.concatenate([proj[: nb + c], proj[2 * nb: 2 * nb + c]]))
            heads = ("mag_head", "re_head", "im_head")
            kernel = np.concatenate([self.w[f"{h}.0"][:, lo:] for h in heads], axis=1)
            bias = np.concatenate([self.w[f"{h}.1"][lo:] for h in heads])
            self._bands[c] = (mirror_index(nb, c), ramp.astype(np.float32), lo, (proj, proj_bias), (kernel, bias))
        return self._bands[c]

    def _dense(self, name, h):
        out = h @ self.w[f"{name}.0"]
        out += self.w[f"{name}.1"]
        return out

    @property
    def stack(self) -> str:
        """What runs the ConvNeXt stack: ``"litert"`` or ``"numpy"``."""
        return "numpy" if self._new_stack is None else "litert"

    def network(self, feats, proj, heads):
        """Features (batch, frames, F) -> (log-magnitude, re, im) heads, each (batch, frames, bins from ``lo`` up).

        ``proj``, ``heads``: the (kernel, bias) pairs of :meth:`band`. The projection and the
        heads are NumPy products (their kernels depend on the cutoff), the stack between is :meth:`blocks`.
        """
        h = feats @ proj[0]
        h += proj[1]
        out = self.blocks(h) @ heads[0]
        out += heads[1]
        return np.split(out, 3, axis=-1)

    def blocks(self, h: np.ndarray) -> np.ndarray:
        """The ConvNeXt blocks and the final LayerNorm: (batch, frames, channels) -> same shape.

        In LiteRT where :attr:`stack` is ``"litert"``: each call takes an idle interpreter (or makes
        one), so every thread that runs rows has its own, and gives it back.
        """
        if self._new_stack is None:
            return self.numpy_blocks(h)
        try:
            stack = self._idle.get_nowait()
        except Empty:
            stack = self._new_stack()
        try:
            return stack.predict_on_batch(h)
        finally:
            self._idle.put(stack)

    def numpy_blocks(self, h: np.ndarray) -> np.ndarray:
        """:meth:`blocks` in NumPy."""
        for i in range(self.n_blocks):
            b = f"block{i}"
            u = _depthwise(h, self.w[f"{b}.dw.0"], self.w[f"{b}.dw.1"])
            u = _layer_norm(u, self.w[f"{b}.norm.0"], self.w[f"{b}.norm.1"])
            u = self._dense(f"{b}.pw2", _gelu(self._dense(f"{b}.pw1", u)))
            h = h + self.w[f"{b}.gamma.0"] * u
        return _layer_norm(h, self.w["norm.0"], self.w["norm.1"])

    def __call__(self, x: np.ndarray, cutoff_bin: int | None = None) -> np.ndarray:
        """Run a batch (batch, n) row by row, the rows shared by one thread per core.

        ``cutoff_bin``: the input's cutoff bin, for a versatile model (:meth:`FrameConfig.cutoff_bin_for`
        its input rate); default (and the only choice of a one-rate model) ``config.cutoff_bin``.

        NumPy releases the GIL in its loops and LiteRT in its calls, so the threads run in parallel
        (the fixed cost of a row's few hundred NumPy calls does not: long rows scale better); BLAS gets one
        thread meanwhile (two levels of threads on two cores fight over them). One row at a
        time, not the whole batch at once: a row's arrays stay in the processor's cache
        (a batch of four rows takes 1.4 times as long per row).
        """
        x = np.asarray(x, dtype=np.float32)
        c = self.cfg.cutoff_bin if cutoff_bin is None else int(cutoff_bin)
        if c != self.cfg.cutoff_bin and not self.cfg.versatile:
            raise ValueError(f"cutoff_bin: this model's is {self.cfg.cutoff_bin}, got {c}")
        self.band(c)  # once, before the threads share it
        workers = min(len(x), os.cpu_count() or 1)
        rows = [x[i: i + 1] for i in range(len(x))]
        forward = partial(self._forward, c=c)
        if workers < 2:
            return np.concatenate([forward(row) for row in rows])
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(os.cpu_count(), thread_name_prefix="srlib-frame")
        with _one_blas_thread():
            return np.concatenate(list(self._pool.map(forward, rows)))

    def _forward(self, x: np.ndarray, c: int) -> np.ndarray:
        cfg = self.cfg
        p, hop = cfg.n_fft, cfg.hop
        mirror, mix, lo, proj, heads = self.band(c)
        x = np.asarray(x, dtype=np.float32)
        n = x.shape[1]
        padded = np.pad(x, [(0, 0), (p, p)])
        frames = sliding_window_view(padded, p, axis=-1)[:, ::hop]  # (batch, T, p)
        spec = fft.rfft(frames * self.window, axis=-1)  # complex64
        re, im = spec.real, spec.imag
        absx = np.abs(spec)
        level = absx[..., :c].mean(axis=-1, keepdims=True) + cfg.eps
        mu, floored = np.log(level), absx + cfg.floor * level
        # (a versatile model's zeros from c up and its constant c / bins are in the projection, see band)
        feats = [np.log(floored) - mu, re[..., :c] / floored[..., :c], im[..., :c] / floored[..., :c]]
        m, r, i = self.network(np.concatenate(feats, axis=-1), proj, heads)  # bins from ``lo`` up: below, X is kept
        # the added band: magnitude exp(mu + m), phase = the mirrored input bin's phase turned by (r, i)
        source = mirror[lo:]
        mirrored = spec[..., source]
        ur, ui = _unit_parts(mirrored.real, mirrored.imag, absx[..., source])
        cr, ci = _unit_parts(r, i, np.hypot(r, i))
        mag = np.exp(mu + m)
        gain, edge, upper = cfg.gain_for_bin(c)
        if gain != 1.0:  # from the cutoff bin up
            mag[..., c - lo:] *= np.float32(gain)
        if upper != 1.0:  # and from twice the cutoff bin up
            mag[..., 2 * c - lo:] *= np.float32(upper)
        if edge != 1.0:  # the transition bins below, where the model rebuilds the recorded band's edge
            mag[..., : c - lo] *= np.float32(edge)
        # Y = (1 - w) X + w mag (u c) from lo up, with u, c the unit phasors: in place, spec becomes the output.
        # The ramp w rises from lo to 1 (at the cutoff bin, or the next one without transition bins) and stays 1,
        # where Y is the added band alone.
        ramp = int(np.count_nonzero(mix[lo:] < 1))  # bins on the ramp, lo up
        top = lo + ramp
        band_re, band_im = ur * cr, ur * ci
        band_re -= ui * ci
        band_im += ui * cr
        mag[..., :ramp] *= mix[lo:top]
        band_re *= mag
        band_im *= mag
        keep = 1.0 - mix[lo:top]
        re[..., top:], im[..., top:] = band_re[..., ramp:], band_im[..., ramp:]
        re[..., lo:top] = keep * re[..., lo:top] + band_re[..., :ramp]
        im[..., lo:top] = keep * im[..., lo:top] + band_im[..., :ramp]
        y_frames = fft.irfft(spec, n=p, axis=-1)
        y_frames *= self.synthesis  # (batch, T, p)
        batch, n_frames = y_frames.shape[:2]
        y = np.zeros((batch, (n_frames - 1) * hop + p), dtype=np.float32)
        for k in range(p // hop):  # overlap-add, one hop-long slice of every frame at a time
            y[:, k * hop: k * hop + n_frames * hop] += y_frames[:, :, k * hop: (k + 1) * hop].reshape(batch, n_frames * hop)
        return y[:, p: p + n]


@contextmanager
def _one_blas_thread():
    """BLAS limited to one thread inside the block (threadpoolctl, which librosa's scikit-learn brings)."""
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - only slower
            _blas = False
        else:
            _blas = ThreadpoolController()  # finds the loaded BLAS libraries once (milliseconds)
    if not _blas:
        yield
        return
    with _blas.limit(limits=1, user_api="blas"):
        yield


_blas = None
