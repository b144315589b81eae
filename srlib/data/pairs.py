"""Training pairs: high-rate target patches, their low-rate versions and the network input.

For each clip ``x`` (mono, at ``sr_hz``, trimmed to a multiple of ``ratio``):

- ``lr = make_lowres(x, ratio, filter)``: the degraded low-rate signal
  (``filter="random"`` draws a filter per clip, seeded by ``seed + clip index``);
- ``x_in = upsample_baseline(lr, ratio, "spline")``: the network's input, at
  the high rate (Kuleshov et al. 2017 feed the spline interpolation to the
  network and learn the residual);
- patches of ``patch_len`` samples every ``stride`` samples are cut at the same
  positions from ``x`` (target ``hr``) and ``x_in``, and at ``position / ratio``
  from ``lr``; clips shorter than one patch are zero-padded to one patch.

With ``input_rates_hz=(low, high)`` (a versatile model's pairs) each clip draws its own input
rate ``r`` in Hz, uniform over the range (seeded by ``seed + clip index``), and its input is
what a user's ``r`` Hz file becomes: :func:`srlib.degrade.make_lowres_at` (low-passed at
``r / 2``, resampled to ``r``), resampled back to ``sr_hz`` (:func:`srlib.audio.resample`, soxr).
``lr`` is then empty and ``low_sr_hz`` holds each patch's rate.

Patches whose target RMS is below ``min_rms_db`` dBFS (default -40 dBFS, an
RMS of 0.01; the embedded clips peak at 0.9) are dropped as silence: they teach
the model nothing and would dominate short-utterance corpora.

Pairs are cached as ``.npz`` under ``cache_dir()/pairs``, keyed by a hash of
every parameter and the corpus fingerprint, so notebooks share them and any
change of parameter builds a new set.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from ..audio import atomic_output, fix_length, resample, validate_ratio
from ..augment import Augment
from ..degrade import degrade_pair, make_lowres_at
from ..errors import AudioError
from ..interpolate import upsample_baseline
from .corpus import Corpus
from .embedded import cache_dir
from .recorded import GATE_FRACTION, gate

__all__ = ["Pairs", "make_pairs", "pairs_cache_key", "cut_patches"]

_PAIRS_VERSION = 1


@dataclass
class Pairs:
    """Aligned training patches.

    Attributes
    ----------
    hr : float32 array, shape (n_patches, patch_len)
        High-rate targets at ``sr_hz``.
    x_in : float32 array, shape (n_patches, patch_len)
        Spline-interpolated low-rate signal at ``sr_hz`` (the network input).
    lr : float32 array, shape (n_patches, patch_len // ratio)
        The low-rate patches at ``sr_hz / ratio``.
    clip_index : int array, shape (n_patches,)
        Which clip each patch came from.
    sr_hz, ratio : int
    low_sr_hz : int array, shape (n_patches,), or None
        Each patch's input rate in Hz, where the pairs span a range of rates (``lr`` is then
        empty, shape (n_patches, 0)); None: every patch's is ``sr_hz / ratio``.
    """

    hr: np.ndarray
    x_in: np.ndarray
    lr: np.ndarray
    clip_index: np.ndarray
    sr_hz: int
    ratio: int
    low_sr_hz: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.hr)

    @property
    def duration_s(self) -> float:
        """Total audio in the patches, in seconds (overlaps counted twice)."""
        return float(self.hr.size / self.sr_hz)


def cut_patches(x: np.ndarray, patch_len: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Patches of ``patch_len`` samples every ``stride`` samples.

    Returns
    -------
    patches : array, shape (n_patches, patch_len); a signal shorter than one
        patch is zero-padded into one.
    starts : int array, shape (n_patches,), the first sample of each.

    Examples
    --------
    >>> p, s = cut_patches(np.arange(10.0), 4, 3)
    >>> p.tolist(), s.tolist()
    ([[0.0, 1.0, 2.0, 3.0], [3.0, 4.0, 5.0, 6.0], [6.0, 7.0, 8.0, 9.0]], [0, 3, 6])
    """
    if len(x) < patch_len:
        return np.pad(x, (0, patch_len - len(x)))[None], np.array([0])
    starts = np.arange(0, len(x) - patch_len + 1, stride)
    return np.stack([x[s: s + patch_len] for s in starts]), starts


def pairs_cache_key(corpus: Corpus, split: str, **params) -> str:
    """Hash of the corpus fingerprint, the split and every pair parameter."""
    blob = json.dumps({"v": _PAIRS_VERSION, "corpus": corpus.fingerprint(), "split": split, **params},
                      sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


def make_pairs(corpus: Corpus, split: str = "train", *, ratio: int = 4, sr_hz: int = 16000,
               patch_len: int = 8192, stride: int = 4096, filter="cheby1", seed: int = 0,
               min_rms_db: float = -40.0, max_clips: int | None = None, cache: bool = True,
               gate_fraction: float | None = GATE_FRACTION, input_rates_hz: tuple | None = None,
               augment: Augment | None = None, progress: bool = False) -> Pairs:
    """Build (or load from cache) the training pairs of one split.

    Parameters
    ----------
    corpus : Corpus
    split : {"train", "val", "test"}
    ratio : int
        Up-sampling factor; ``patch_len`` and ``stride`` must be multiples of it (one input rate).
    sr_hz : int
        High (target) rate in Hz.
    patch_len, stride : int
        Patch length and hop, in samples at ``sr_hz``.
    filter : str
        Anti-aliasing filter name (see :mod:`srlib.degrade`), or ``"random"``.
    seed : int
        Seed of random filters (clip ``i`` uses ``seed + i``).
    min_rms_db : float
        Drop patches whose target RMS is below this, in dBFS.
    max_clips : int, optional
        Use only the first N clips of the split (quick profile), counted after the gate.
    gate_fraction : float or None
        The bandwidth gate (:func:`srlib.data.recorded.gate`): only clips whose measured bandwidth
        reaches this share of ``sr_hz / 2`` Hz make pairs (None: every clip).
    input_rates_hz : (low, high) or None
        Draw each clip's input rate in Hz from this range (see above); ``ratio`` is then
        ``sr_hz / low``. None: every input is at ``sr_hz / ratio``.
    augment : srlib.augment.Augment or None
        Each clip as another voice, microphone and floor before it is degraded (input and target
        alike), and its low-rate input through a drawn chain (the target stays clean), ``augment.copies``
        times with other draws; copy ``k`` of clip ``i`` draws from a generator seeded by ``(seed, i, k)``
        (its random filter: ``seed + i + k n_clips``). None: the clips as recorded.
    cache : bool
        Read/write ``cache_dir()/pairs/<key>.npz``.

    Returns
    -------
    Pairs
    """
    ratio = validate_ratio(ratio)
    if input_rates_hz is not None:
        low, high = (int(r) for r in input_rates_hz)
        if not (sr_hz // ratio == low < high < sr_hz):
            raise AudioError(f"input_rates_hz: got {input_rates_hz}; expected (sr_hz / ratio, a rate below sr_hz), "
                             f"here ({sr_hz // ratio}, < {sr_hz})")
    if input_rates_hz is None and (patch_len % ratio or stride % ratio):  # lr is cut at position / ratio
        raise AudioError(f"patch_len ({patch_len}) and stride ({stride}) must be multiples of ratio ({ratio})")
    clips = corpus.split(split)
    clips = (gate(clips, sr_hz, gate_fraction) if gate_fraction else clips)[:max_clips]
    if not clips:
        raise AudioError(f"corpus {corpus.name!r} has no clips in split {split!r} whose bandwidth passes the "
                         f"{sr_hz} Hz gate (gate_fraction={gate_fraction})")
    sub = Corpus(corpus.name, clips)
    params = dict(ratio=ratio, sr_hz=sr_hz, patch_len=patch_len, stride=stride, filter=str(filter),
                  seed=seed, min_rms_db=min_rms_db, gate_fraction=gate_fraction)
    if input_rates_hz is not None:  # keys of one-rate pairs stay as they were
        params["input_rates_hz"] = [low, high]
    if augment is not None:  # and so do keys of pairs without augmentation
        params["augment"] = augment.to_dict()
    path = cache_dir() / "pairs" / f"{pairs_cache_key(sub, split, **params)}.npz"
    if cache and path.exists():
        d = np.load(path)
        return Pairs(d["hr"], d["x_in"], d["lr"], d["clip_index"], sr_hz, ratio,
                     d["low_sr_hz"] if "low_sr_hz" in d.files else None)
    min_rms = 10 ** (min_rms_db / 20)
    hr_l, in_l, lr_l, idx_l, rate_l = [], [], [], [], []
    copies = augment.copies if augment is not None else 1
    for i, clip in enumerate(tqdm(clips, desc=f"pairs {split}", unit="clip", disable=not progress)):
        recorded = sub.load(clip, sr_hz)
        for k in range(copies):  # copy k of clip i: its own draws, filter and (versatile) input rate
            rng = np.random.default_rng([seed, i, k])
            x = augment.source(recorded, sr_hz, rng) if augment is not None else recorded
            if len(x) < 4 * ratio:
                continue
            filter_seed = seed + i + k * len(clips)
            if input_rates_hz is None:
                x, lr = degrade_pair(x, ratio, filter, seed=filter_seed)
                if augment is not None:
                    lr = augment.chain(lr, sr_hz // ratio, rng)
                x_in = upsample_baseline(lr, ratio, "spline")
            else:
                rate = int((rng if k else np.random.default_rng(seed + i)).integers(low, high + 1))
                x_lr = make_lowres_at(x, sr_hz, rate, filter, seed=filter_seed)
                if augment is not None:
                    x_lr = augment.chain(x_lr, rate, rng)
                x_in = fix_length(resample(x_lr, rate, sr_hz), len(x))
            hr_p, starts = cut_patches(x, patch_len, stride)
            in_p, _ = cut_patches(x_in, patch_len, stride)
            keep = np.sqrt(np.mean(hr_p**2, axis=1)) >= min_rms
            hr_l.append(hr_p[keep])
            in_l.append(in_p[keep])
            if input_rates_hz is None:
                lr_p, _ = cut_patches(lr, patch_len // ratio, stride // ratio)
                lr_l.append(lr_p[: len(hr_p)][keep])
            else:
                lr_l.append(np.zeros((int(keep.sum()), 0), np.float32))
                rate_l.append(np.full(int(keep.sum()), rate))
            idx_l.append(np.full(int(keep.sum()), i))
    if not hr_l or sum(len(h) for h in hr_l) == 0:
        raise AudioError(f"no patches above {min_rms_db} dBFS in split {split!r} of {corpus.name!r}")
    pairs = Pairs(np.concatenate(hr_l).astype(np.float32), np.concatenate(in_l).astype(np.float32),
                  np.concatenate(lr_l).astype(np.float32), np.concatenate(idx_l), sr_hz, ratio,
                  np.concatenate(rate_l) if rate_l else None)
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        rates = {} if pairs.low_sr_hz is None else {"low_sr_hz": pairs.low_sr_hz}
        with atomic_output(path, overwrite=True) as tmp, open(tmp, "wb") as f:
            np.savez(f, hr=pairs.hr, x_in=pairs.x_in, lr=pairs.lr, clip_index=pairs.clip_index, **rates)
    return pairs
