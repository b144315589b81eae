import numpy as np

from srlib.spectral import griffin_lim_curve, log_power_spectrogram, mel_spectrogram_db, spectral_convergence, stft


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
