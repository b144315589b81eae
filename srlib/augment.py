"""Training-time variety: other voices, rooms, microphones and the chains people's audio went through.

A model trained on a few sources learns their voices, microphones and clean chains. Real inputs
come from other speakers, with other spectral tilts and noise floors, often through a telephone
or a low-rate codec. :class:`Augment` draws, for each training clip, one of each:

- **a voice**: the clip resampled by a factor ``1 + v``, ``v`` uniform in +-``voice``: pitch and
  formants move together by up to that share (a few percent is another speaker, not a cartoon);
- **a microphone and room**: a spectral tilt of ``t`` dB per octave around 1 kHz, ``t`` uniform
  in +-``tilt_db_per_octave`` (a first-order shelf: brighter or duller), applied to the clip itself,
  so that input and target share it;
- **a noise floor**: white noise ``noise_db`` below the clip's RMS (uniform in the range);
- **a chain** for the low-rate input only (the target stays the clean clip), with probability
  ``chain_p``: 8-bit G.711 mu-law or A-law companding, GSM 06.10 (at 8 kHz), MP3 or Opus at a
  random low bit rate (libsndfile's encoders, through ``soundfile``; the input is brought to the
  nearest rate the codec takes, coded, decoded and brought back).

:func:`srlib.data.make_pairs` applies it clip by clip, seeded, so a run's pairs are reproducible
and cached under their parameters. G.711's companding laws:

.. math::

    F_\\mu(x) = \\operatorname{sgn}(x) \\frac{\\ln(1 + \\mu |x|)}{\\ln(1 + \\mu)}, \\quad \\mu = 255;
    \\qquad
    F_A(x) = \\operatorname{sgn}(x) \\begin{cases} \\frac{A |x|}{1 + \\ln A} & |x| < 1/A \\\\
    \\frac{1 + \\ln(A |x|)}{1 + \\ln A} & \\text{otherwise} \\end{cases}, \\quad A = 87.6,

each followed by 8-bit uniform quantisation and the inverse law.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, fields

import numpy as np
import soundfile as sf

from .audio import resample
from .errors import ConfigError
from .extras import lazy

#: scipy.signal costs over half a second of start-up: imported when a function first uses it.
signal = lazy("scipy.signal")

__all__ = ["Augment", "CHAINS", "apply_chain", "check_chain", "companded", "tilted"]

#: The chains :meth:`Augment.chain` draws from: name -> rates in Hz its codec takes (None: any rate).
CHAINS = {
    "mulaw": None,
    "alaw": None,
    "gsm": (8000,),
    "mp3": (8000, 11025, 12000, 16000, 22050, 24000),
    "opus": (8000, 12000, 16000, 24000),
}
#: libsndfile's compression levels (0 best, 1 smallest) each codec draws from: low bit rates, as people meet them.
_LEVELS = {"mp3": (0.3, 0.85), "opus": (0.6, 0.95)}
_MU, _A = 255.0, 87.6


def companded(x, law: str = "mulaw", bits: int = 8) -> np.ndarray:
    """``x`` through G.711-style companding: the law, ``bits``-bit uniform quantisation, the inverse law.

    Parameters
    ----------
    x : float array, shape (n_samples,)
        Audio in [-1, 1] (clipped there first, as a codec would).
    law : {"mulaw", "alaw"}
    bits : int
        Bits per sample after the law (8 in G.711).

    Returns
    -------
    float32 array, shape (n_samples,): quantisation error grows with the sample's size, as in a telephone.

    Examples
    --------
    >>> y = companded(np.array([0.0, 0.001, 0.5, -1.0]))
    >>> bool(abs(y[2] - 0.5) < 0.02 and y[3] == -1.0 and y[0] == 0.0)
    True
    """
    x = np.clip(np.asarray(x, np.float64), -1.0, 1.0)
    a = np.abs(x)
    if law == "mulaw":
        y = np.log1p(_MU * a) / np.log1p(_MU)
    elif law == "alaw":
        y = np.where(a < 1 / _A, _A * a, 1 + np.log(np.maximum(_A * a, 1.0))) / (1 + np.log(_A))
    else:
        raise ConfigError(f"law: got {law!r}; expected mulaw or alaw")
    steps = 2 ** (bits - 1) - 1
    y = np.round(y * steps) / steps
    if law == "mulaw":
        a = np.expm1(y * np.log1p(_MU)) / _MU
    else:
        z = y * (1 + np.log(_A))
        a = np.where(z < 1, z / _A, np.exp(z - 1) / _A)
    return (np.sign(x) * a).astype(np.float32)


def tilted(x, sr_hz: int, db_per_octave: float) -> np.ndarray:
    """``x`` with a spectral tilt of ``db_per_octave`` (dB per octave) around 1 kHz: a first-order shelf.

    A one-pole high-shelf (positive tilt, brighter) or low-shelf (negative, duller) whose corners
    lie ``|db_per_octave| / 2`` octaves apart, centred on 1 kHz: its gain changes by
    ``3 |db_per_octave|`` dB (6 dB per octave between the corners), that is ``db_per_octave`` per octave
    on average over the three octaves around 1 kHz; the level at 1 kHz is kept. ``x`` float array,
    shape (n_samples,), at ``sr_hz`` Hz; returns float32, same shape.

    >>> sr = 16000; t = np.arange(sr) / sr
    >>> lo, hi = (np.sin(2 * np.pi * f * t) for f in (250.0, 4000.0))
    >>> rms = lambda y: 20 * np.log10(np.sqrt(np.mean(y[sr // 2:] ** 2)) / np.sqrt(0.5))
    >>> round(rms(tilted(hi, sr, 3.0)) - rms(tilted(lo, sr, 3.0)))  # 4 octaves apart: the 9 dB shelf, nearly whole
    8
    """
    x = np.asarray(x, np.float64)
    if db_per_octave == 0:
        return x.astype(np.float32)
    # a first-order shelf: H(s) = (s + w_z) / (s + w_p), corners |db_per_octave| / 2 octaves apart around 1 kHz
    octaves = min(abs(db_per_octave) / 2.0, 3.0)
    f_lo, f_hi = 1000.0 / 2 ** (octaves / 2), 1000.0 * 2 ** (octaves / 2)
    fz, fp = (f_lo, f_hi) if db_per_octave > 0 else (f_hi, f_lo)
    k = 2 * sr_hz  # bilinear transform, prewarped at each corner
    wz, wp = (2 * sr_hz * np.tan(np.pi * f / sr_hz) for f in (fz, fp))
    b, a = np.array([k + wz, wz - k]), np.array([k + wp, wp - k])
    y = signal.lfilter(b / a[0], a / a[0], x)
    w = 2 * np.pi * 1000.0 / sr_hz  # keep 1 kHz where it was
    z = np.exp(-1j * w)
    g = abs((b[0] + b[1] * z) / (a[0] + a[1] * z))
    return (y / g).astype(np.float32)


def _aligned(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``y`` (a decoded copy of ``x``) shifted by the lag, 0 to 2048 samples, that best matches ``x``; ``len(x)`` samples."""
    n = len(x)
    extra = np.pad(y, (0, max(n + 2048 - len(y), 0)))
    lags = signal.correlate(extra[: n + 2048], x, mode="valid", method="fft")
    lag = int(np.argmax(lags))
    return extra[lag: lag + n].astype(np.float32)


def check_chain(chain: str, rate_hz: float) -> None:
    """A :class:`~srlib.errors.ConfigError` unless :func:`apply_chain` takes ``chain`` at ``rate_hz`` Hz: a key of
    :data:`CHAINS` whose codec codes audio at that rate or above (companding takes any)."""
    if chain not in CHAINS:
        raise ConfigError(f"chain: got {chain!r}; expected one of {', '.join(CHAINS)}")
    if CHAINS[chain] is not None and not any(r >= rate_hz for r in CHAINS[chain]):
        raise ConfigError(f"chain {chain}: codes audio at {', '.join(map(str, CHAINS[chain]))} Hz; "
                          f"got {rate_hz:g} Hz input")


def apply_chain(x_lr, rate_hz: int, chain: str, *, level: float = 0.5) -> np.ndarray:
    """The low-rate input ``x_lr`` through one chain of :data:`CHAINS`, at its rate ``rate_hz`` Hz.

    Parameters
    ----------
    x_lr : float array, shape (n_samples,)
        Audio at ``rate_hz`` Hz.
    rate_hz : int
    chain : str
        A key of :data:`CHAINS`. GSM 06.10 codes 8 kHz audio: an input above 8 kHz would lose its
        band to it, so it is refused (:meth:`Augment.chain` draws GSM only for inputs up to 8 kHz).
    level : float
        libsndfile's compression level for MP3 and Opus, 0 (best) to under 1 (smallest).

    Returns
    -------
    float32 array, shape (n_samples,), at ``rate_hz`` Hz, aligned sample for sample with ``x_lr``.
    """
    check_chain(chain, rate_hz)
    x = np.asarray(x_lr, np.float32)
    if chain in ("mulaw", "alaw"):
        return companded(x, chain)
    coded_hz = min(r for r in CHAINS[chain] if r >= rate_hz)
    z = np.clip(resample(x, rate_hz, coded_hz) if coded_hz != rate_hz else x, -1.0, 1.0)
    fmt, subtype, kw = {"gsm": ("WAV", "GSM610", {}),
                        "mp3": ("MP3", "MPEG_LAYER_III", {"compression_level": level, "bitrate_mode": "CONSTANT"}),
                        "opus": ("OGG", "OPUS", {"compression_level": level})}[chain]
    buf = io.BytesIO()
    sf.write(buf, z, coded_hz, format=fmt, subtype=subtype, **kw)
    buf.seek(0)
    y, _ = sf.read(buf, dtype="float32")
    y = _aligned(y, z)
    return resample(y, coded_hz, rate_hz)[: len(x)] if coded_hz != rate_hz else y


@dataclass(frozen=True)
class Augment:
    """What :func:`srlib.data.make_pairs` does to each training clip beyond its anti-aliasing filter.

    Attributes
    ----------
    voice : float
        Largest resampling share (0.04: the clip played 4 % faster or slower).
    tilt_db_per_octave : float
        Largest spectral tilt, dB per octave, either way.
    noise_db : (low, high)
        Noise floor, dB relative to the clip's RMS (more negative: quieter).
    chain_p : float
        Probability that the low-rate input goes through a chain.
    chains : tuple of str
        The chains drawn from, equally (:data:`CHAINS`).
    copies : int
        Versions of each clip, each with its own draws (and its own input rate, for a versatile
        model): the training set grows by this factor.
    """

    voice: float = 0.04
    tilt_db_per_octave: float = 3.0
    noise_db: tuple = (-60.0, -35.0)
    chain_p: float = 0.5
    chains: tuple = tuple(CHAINS)
    copies: int = 1

    @classmethod
    def from_dict(cls, d: dict | None) -> Augment | None:
        """The fields ``config.json`` (``train.augment``) holds; missing ones take the defaults; None: no augmentation."""
        if d is None:
            return None
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ConfigError(f"augment: unknown field(s) {sorted(unknown)}; expected some of {sorted(names)}")
        d = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        bad = set(d.get("chains", ())) - set(CHAINS)
        if bad:
            raise ConfigError(f"augment chains: unknown {sorted(bad)}; expected some of {', '.join(CHAINS)}")
        if int(d.get("copies", 1)) < 1:
            raise ConfigError(f"augment copies: got {d['copies']}; expected 1 or more")
        return cls(**d)

    def to_dict(self) -> dict:
        """The fields as plain JSON values."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def source(self, x, sr_hz: int, rng: np.random.Generator) -> np.ndarray:
        """The clip ``x`` (float array, shape (n_samples,), at ``sr_hz`` Hz) as another voice, microphone and floor.

        Returns float32 at ``sr_hz`` Hz, about ``n_samples / (1 + v)`` samples long.
        """
        x = np.asarray(x, np.float32)
        v = rng.uniform(-self.voice, self.voice)
        if v:
            x = resample(x, round(sr_hz * (1 + v)), sr_hz)  # played faster (v > 0) or slower
        x = tilted(x, sr_hz, rng.uniform(-self.tilt_db_per_octave, self.tilt_db_per_octave))
        rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
        if rms > 0:
            x = x + (rms * 10 ** (rng.uniform(*self.noise_db) / 20) * rng.standard_normal(len(x))).astype(np.float32)
        return x

    def chain(self, x_lr, rate_hz: int, rng: np.random.Generator) -> np.ndarray:
        """The low-rate input (float array, shape (n_samples,), at ``rate_hz`` Hz) through a drawn chain, or as it is
        (no chain drawn, or none of ``chains`` codes that rate: GSM above 8 kHz, MP3 and Opus above 24 kHz)."""
        usable = [c for c in self.chains if CHAINS[c] is None or max(CHAINS[c]) >= rate_hz]  # what codes this rate
        if rng.uniform() >= self.chain_p or not usable:
            return np.asarray(x_lr, np.float32)
        chain = usable[int(rng.integers(len(usable)))]
        level = rng.uniform(*_LEVELS.get(chain, (0.5, 0.5)))
        return apply_chain(x_lr, rate_hz, chain, level=level)
