"""The generative kinds' crossover (srlib.models.residual): the sampled band is kept above the cutoff only."""

import numpy as np
import pytest

from srlib.errors import ConfigError
from srlib.models.residual import highpass_taps, keep_high_band


@pytest.mark.parametrize("ratio", [2, 4])
def test_the_high_pass_stops_the_recorded_band_and_passes_the_missing_one(ratio):
    sr_hz, cutoff_hz = 16000, 16000 / (2 * ratio)
    t = np.arange(sr_hz) / sr_hz
    gain = {}
    for f in (0.25 * cutoff_hz, 0.85 * cutoff_hz, cutoff_hz, cutoff_hz + 400, 0.95 * sr_hz / 2):
        x = np.sin(2 * np.pi * f * t)[None]
        y = keep_high_band(x, ratio, 257)
        inner = slice(500, -500)
        gain[f] = np.sqrt(np.mean(y[0, inner] ** 2) / np.mean(x[0, inner] ** 2))
    # the recorded band, up to the cutoff itself, lies in the stop band; the ramp (~340 Hz) starts there
    assert gain[0.25 * cutoff_hz] < 1e-4 and gain[0.85 * cutoff_hz] < 1e-3 and gain[cutoff_hz] < 1e-3
    assert gain[cutoff_hz + 400] == pytest.approx(1.0, abs=0.01)
    assert gain[0.95 * sr_hz / 2] == pytest.approx(1.0, abs=0.01)


def test_the_filter_is_linear_phase_and_short():
    h = highpass_taps(4, 257)
    np.testing.assert_allclose(h, h[::-1])  # symmetric: no delay, so the band lines up with the spline's
    impulse = np.zeros((1, 1001))
    impulse[0, 500] = 1.0
    out = keep_high_band(impulse, 4, 257)[0]
    assert np.all(out[: 500 - 128] == 0) and np.all(out[500 + 129:] == 0)  # reach: 128 samples either side


def test_no_crossover_and_bad_taps():
    r = np.random.default_rng(0).standard_normal((2, 100))
    assert keep_high_band(r, 4, 0) is r
    with pytest.raises(ConfigError, match="odd"):
        highpass_taps(4, 128)
    with pytest.raises(ConfigError, match="ratio"):
        highpass_taps(1, 129)
