import numpy as np
import pytest

from srlib.errors import AudioError
from srlib.spectral import (
    fir_same,
    griffin_lim_curve,
    kaiser_lowpass,
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


@pytest.mark.parametrize("n", [1, 7, 1340, 1341, 5000, 70000])
@pytest.mark.parametrize("length", [1, 3, 1341])
def test_fir_same_is_scipys_centred_convolution_for_any_length_and_block(n, length):
    from scipy import signal

    rng = np.random.default_rng(n + length)
    x, taps = rng.standard_normal((2, n)).astype(np.float32), rng.standard_normal(length).astype(np.float32)
    want = signal.oaconvolve(x, taps[None], mode="same", axes=-1)
    for block in (64, 4096, 1 << 15):
        got = fir_same(x, taps, block=block)
        assert got.shape == x.shape and got.dtype == np.float32
        np.testing.assert_allclose(got, want, atol=1e-4 * np.sqrt(length))
    assert np.allclose(fir_same(x[0], taps), want[0], atol=1e-4 * np.sqrt(length))  # one channel, shape (n,)
    with pytest.raises(AudioError, match="odd"):
        fir_same(x, np.ones(4))
    with pytest.raises(AudioError, match="floats"):  # integer samples would truncate the taps
        fir_same(np.arange(10, dtype=np.int16), np.ones(3))
    assert fir_same(np.zeros((2, 0), np.float32), taps).shape == (2, 0)


@pytest.mark.parametrize("sr_hz, cutoff_hz, width_hz", [(16000, 2040, 60), (16000, 3886, 114), (44100, 5623, 165)])
def test_kaiser_lowpass_has_scipys_taps(sr_hz, cutoff_hz, width_hz):
    from scipy import signal

    numtaps, beta = signal.kaiserord(80.0, width_hz / (sr_hz / 2))
    want = signal.firwin(numtaps | 1, cutoff_hz, window=("kaiser", beta), fs=sr_hz)
    got = kaiser_lowpass(cutoff_hz, width_hz, sr_hz)
    assert got.shape == want.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-7)
    response = np.abs(np.fft.rfft(got, 1 << 16))  # -80 dB from the band's far edge, 0 dB in the pass band
    freqs = np.fft.rfftfreq(1 << 16, 1 / sr_hz)
    assert response[freqs >= cutoff_hz + width_hz / 2].max() < 1.2e-4
    assert np.abs(response[freqs <= cutoff_hz - width_hz / 2] - 1).max() < 1.2e-4
    with pytest.raises(AudioError, match="attenuation"):
        kaiser_lowpass(cutoff_hz, width_hz, sr_hz, attenuation_db=40)
    for cutoff, width in ((0, width_hz), (sr_hz / 2, width_hz), (cutoff_hz, 0)):
        with pytest.raises(AudioError, match="cutoff_hz, width_hz"):
            kaiser_lowpass(cutoff, width, sr_hz)


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
