import numpy as np
import pytest

from srlib.errors import AudioError
from srlib.spectral import (
    griffin_lim_curve,
    keep_recorded_band,
    log_power_spectrogram,
    mel_spectrogram_db,
    spectral_convergence,
    stft,
)


def test_stft_parseval(noise):
    # with a Hann window at hop n_fft/4 the squared windows sum to 1.5: energy is scaled by 1.5 n_fft... per bin
    x = noise(16384).astype(np.float64)
    X = stft(x, n_fft=512, hop=128)
    # full-spectrum energy from the one-sided STFT
    full = np.sum(np.abs(X[0]) ** 2) + 2 * np.sum(np.abs(X[1:-1]) ** 2) + np.sum(np.abs(X[-1]) ** 2)
    expected = 512 * 1.5 * np.sum(x**2)  # sum_m w^2[n - m hop] = 1.5 for Hann, hop n_fft/4
    assert abs(full / expected - 1) < 0.02


def test_sine_peak_in_right_bin(sine):
    S = log_power_spectrogram(sine(1000), n_fft=1024, hop=256)
    assert S.shape[0] == 513
    assert int(np.argmax(S[:, 10])) == round(1000 / (16000 / 1024))


def test_mel_shape(sine):
    assert mel_spectrogram_db(sine(), 16000, n_mels=64).shape[0] == 64


def test_griffin_lim_converges(sine):
    x = sine(300) + sine(1200, amp=0.2)
    curve = griffin_lim_curve(x, iterations=(1, 10, 50), n_fft=512, hop=128)
    scs = [sc for _, sc, _ in curve]
    assert scs[0] > scs[1] > scs[2] and scs[2] < 0.1
    assert all(len(y) == len(x) for _, _, y in curve)
    assert spectral_convergence(np.abs(stft(x, 512, 128)), x, 512, 128) < 1e-6


def test_keep_recorded_band_is_a_complementary_crossover():
    """Below the cutoff the recorded signal, above it the extended one, and their sum across the edge."""
    rng = np.random.default_rng(0)
    recorded = rng.standard_normal((2, 16000)).astype(np.float32)
    y = keep_recorded_band(recorded, recorded, 16000, 3800)  # nothing added: nothing changes
    assert np.allclose(y, recorded, atol=1e-5)
    t = np.arange(16000) / 16000
    low, high = np.sin(2 * np.pi * 3700 * t), np.sin(2 * np.pi * 4100 * t)
    y = keep_recorded_band(low, 0.3 * low + high, 16000, 3800)  # 3.7 kHz kept as recorded, 4.1 kHz as extended
    assert np.abs(y - low - high)[2000:-2000].max() < 1e-3
    with pytest.raises(AudioError, match="cutoff_hz"):
        keep_recorded_band(low, low, 16000, 8000)
    with pytest.raises(AudioError, match="shapes"):
        keep_recorded_band(low, low[:-1], 16000, 3800)
