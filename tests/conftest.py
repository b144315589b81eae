import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")


@pytest.fixture
def sine():
    """A 440 Hz sine, 1 s at 16 kHz, amplitude 0.5."""
    def make(freq_hz=440.0, sr_hz=16000, duration_s=1.0, amp=0.5):
        t = np.arange(int(sr_hz * duration_s)) / sr_hz
        return (amp * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)
    return make


@pytest.fixture
def noise():
    """Seeded white noise (band-unlimited: energy up to Nyquist)."""
    def make(n=16000, seed=0, amp=0.1):
        return (amp * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)
    return make


@pytest.fixture
def synthetic_pairs():
    """Training pairs made the way srlib makes them, from seeded tones in noise (fast, no corpus).

    ``make(n, length, seed, ratio, poison)`` -> :class:`srlib.data.Pairs` at 16 kHz: ``hr`` amplitude-modulated
    tones plus noise, ``lr`` their low-rate version (:func:`srlib.degrade.make_lowres`), ``x_in`` its spline
    interpolation; ``poison=True`` puts one NaN in ``x_in`` (for the NaN guard).
    """
    from srlib.data.pairs import Pairs
    from srlib.degrade import make_lowres
    from srlib.interpolate import upsample_baseline

    def make(n=32, length=1024, seed=0, ratio=4, poison=False):
        rng = np.random.default_rng(seed)
        t = np.arange(length) / 16000
        hr = np.stack([0.3 * np.sin(2 * np.pi * rng.uniform(200, 800) * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
                       + 0.05 * rng.standard_normal(length) for _ in range(n)]).astype("float32")
        lr = np.stack([make_lowres(v, ratio) for v in hr])
        x_in = np.stack([upsample_baseline(v, ratio, "spline")[:length] for v in lr])
        if poison:
            x_in[5, 10] = np.nan
        return Pairs(hr, x_in, lr, np.arange(n), 16000, ratio)

    return make
