import numpy as np
import pytest

from srlib import AudioError, ConfigError
from srlib.degrade import FILTERS, filter_spec, frequency_response, lowpass, make_lowres, random_filter

SR = 16000
CUT = 2000.0
NAMED = ["cheby1", "butter", "ellip", "bessel", "fir", "soxr"]


def _tone_level_db(x, skip=2000):
    y = x[skip:-skip]
    return 10 * np.log10(np.mean(y**2) / 0.5 + 1e-30)


@pytest.mark.parametrize("name", NAMED)
@pytest.mark.parametrize("freq", [2000, 2300, 4000, 7000])
def test_stopband_at_least_60_db_down(name, freq, sine):
    x = sine(freq, SR, 2.0, amp=1.0)
    assert _tone_level_db(lowpass(x, SR, CUT, name)) <= -59.5


@pytest.mark.parametrize("name", NAMED)
def test_passband_kept(name, sine):
    # a tone well inside the passband comes through within 1 dB (Bessel: gentler, lower edge)
    f = 200 if name == "bessel" else 1000
    x = sine(f, SR, 2.0, amp=1.0)
    assert abs(_tone_level_db(lowpass(x, SR, CUT, name))) < 1.0


def test_paper_filter_is_scipy_decimate(noise):
    from scipy import signal

    x = noise(16000).astype(np.float64)
    ours = make_lowres(x, 4, "paper")
    theirs = signal.decimate(x, 4, ftype="iir", zero_phase=True)
    # same filter and alignment; edges differ only through padding
    np.testing.assert_allclose(ours[200:-200], theirs[200:-200], atol=1e-4)


def test_frequency_response_matches_spec():
    for name in ["cheby1", "butter", "ellip", "bessel"]:
        f, g = frequency_response(CUT, SR, name, 4096)
        assert g[f >= CUT].max() <= -59.9


def test_make_lowres_shape_alignment_and_keep_rate(sine):
    x = sine(300, SR)
    lo = make_lowres(x, 4)
    assert lo.shape == (4000,)
    band = make_lowres(x, 4, keep_rate=True)
    assert band.shape == x.shape
    np.testing.assert_array_equal(lo, band[::4])
    # a 300 Hz tone is untouched: sample k of the low-res is sample 4k of the input
    np.testing.assert_allclose(lo[100:-100], x[::4][100:-100], atol=2e-3)


def test_make_lowres_stereo(sine):
    x = np.stack([sine(300), sine(500)])
    assert make_lowres(x, 2).shape == (2, 8000)


def test_random_filter_is_seeded_and_varied(noise):
    a = make_lowres(noise(), 4, "random", seed=1)
    b = make_lowres(noise(), 4, "random", seed=1)
    np.testing.assert_array_equal(a, b)
    specs = {random_filter(np.random.default_rng(s)) for s in range(40)}
    assert len({s.family for s in specs}) == 4 and len({s.order for s in specs}) > 5


def test_bad_filter_names():
    with pytest.raises(ConfigError, match="filter"):
        filter_spec("nope")
    with pytest.raises(AudioError, match="cutoff_hz"):
        lowpass(np.ones(100), SR, 9000)
    assert "random" in FILTERS


def test_group_delay_fir_is_constant_and_bessel_flattest():
    from srlib.degrade import design_lowpass, group_delay_ms

    _, taps = design_lowpass(CUT, SR, "fir")
    f, d = group_delay_ms(CUT, SR, "fir")
    band = f < 0.8 * CUT
    np.testing.assert_allclose(d[band], 1000 * (len(taps) - 1) / 2 / SR, rtol=1e-3)
    spread = {}
    for name in ["cheby1", "bessel"]:
        f, d = group_delay_ms(CUT, SR, name)
        pb = f < 0.3 * CUT  # where both pass
        spread[name] = np.ptp(d[pb]) / np.mean(d[pb])
    assert spread["bessel"] < spread["cheby1"]


def test_make_lowres_at_any_rate_is_the_low_passed_signal_resampled():
    from srlib.audio import resample
    from srlib.degrade import lowpass, make_lowres_at

    x = np.random.default_rng(0).standard_normal(16000).astype(np.float32)
    y = make_lowres_at(x, 16000, 6000, "random", seed=3)
    assert y.shape == (6000,) and y.dtype == np.float32
    np.testing.assert_array_equal(y, resample(lowpass(x, 16000, 3000, "random", seed=3), 16000, 6000))
