import numpy as np
import pytest

from srlib import AudioError
from srlib.interpolate import _PIECES, METHODS, upsample_baseline


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("ratio", [2, 3, 4, 6, 8])
def test_shapes(method, ratio):
    x = np.random.default_rng(0).standard_normal(101).astype(np.float32)
    assert upsample_baseline(x, ratio, method).shape == (101 * ratio,)
    assert upsample_baseline(np.stack([x, x]), ratio, method).shape == (2, 101 * ratio)


@pytest.mark.parametrize("method", ["zoh", "linear", "spline", "sinc"])
def test_samples_land_on_their_positions(method):
    x = np.sin(np.arange(64) * 0.3).astype(np.float32)
    y = upsample_baseline(x, 4, method)
    tol = 1e-5 if method != "sinc" else 2e-2
    np.testing.assert_allclose(y[::4][8:-8], x[8:-8], atol=tol)


def test_spline_is_near_exact_on_a_band_limited_sine(sine):
    hr = sine(200, 16000)
    lr = hr[::4]  # 4 kHz rate, the tone far below its Nyquist
    y = upsample_baseline(lr, 4, "spline")
    err = y[100:-100] - hr[100:-100]
    snr = 10 * np.log10(np.sum(hr[100:-100] ** 2) / np.sum(err**2))
    assert snr > 60


def test_spline_matches_splrep_like_kuleshov():
    from scipy import interpolate

    x = np.random.default_rng(1).standard_normal(50)
    i_lr = np.arange(0, 200, 4)
    ref = interpolate.splev(np.arange(200), interpolate.splrep(i_lr, x))
    np.testing.assert_allclose(upsample_baseline(x, 4, "spline")[:197], ref[:197], atol=1e-4)


# 29: the first with a constant pivot; the last, evaluated in three blocks of pieces
@pytest.mark.parametrize("n", [4, 5, 6, 9, 27, 28, 29, 1001, 2 * _PIECES + 3])
@pytest.mark.parametrize("ratio", [2, 3, 4, 7])
def test_spline_equals_scipys_not_a_knot_spline_extrapolation_included(n, ratio):
    from scipy import interpolate

    x = np.random.default_rng(n).standard_normal((2, n))
    ref = interpolate.make_interp_spline(np.arange(n), x, k=3, axis=-1)(np.arange(n * ratio) / ratio)
    np.testing.assert_allclose(upsample_baseline(x, ratio, "spline"), ref, atol=1e-5)


def test_no_method_creates_high_band(noise):
    from srlib.degrade import make_lowres

    x = noise(16000)
    lr = make_lowres(x, 4)
    for method in ["spline", "sinc", "soxr"]:
        y = upsample_baseline(lr, 4, method)
        spec = np.abs(np.fft.rfft(y)) ** 2
        f = np.fft.rfftfreq(len(y), 1 / 16000)
        assert spec[f > 3000].sum() / spec.sum() < 0.01


def test_bad_method():
    with pytest.raises(AudioError, match="method"):
        upsample_baseline(np.ones(10), 2, "magic")
