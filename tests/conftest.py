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
