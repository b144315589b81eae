"""Oracle bands (srlib.oracles) and the band level measure (srlib.metrics.band_level_db)."""

import math

import numpy as np
import pytest

from srlib.degrade import make_lowres
from srlib.errors import AudioError
from srlib.metrics import band_level_db
from srlib.spectral import stft

pytest.importorskip("librosa")


def _clip(seconds=2.0, sr=16000):
    from srlib.data.examples import speech_example

    x = speech_example(sr_hz=sr)[: int(seconds * sr)]
    return (0.9 * x / np.abs(x).max()).astype(np.float32)


def test_band_level_is_the_estimates_band_power_against_the_originals_in_db():
    x = _clip()
    assert band_level_db(x, x, 16000, 2000) == pytest.approx(0.0, abs=1e-9)
    assert band_level_db(x, 0.1 * x, 16000, 2000) == pytest.approx(-20.0, abs=1e-6)
    low = make_lowres(x, 4, keep_rate=True)[: len(x)]
    assert band_level_db(x, low, 16000, 2000) < -30  # a low-passed copy has (almost) no band
    assert band_level_db(x, np.zeros_like(x), 16000, 2000) == -math.inf
    assert math.isnan(band_level_db(np.zeros_like(x), x, 16000, 2000))
    with pytest.raises(AudioError, match="shape"):
        band_level_db(x, x[:-1], 16000, 2000)


def test_oracles_keep_the_input_band_and_change_the_added_band_as_named():
    from srlib.oracles import ORACLES, oracle_bands

    x = _clip()
    x_lr = make_lowres(x, 4)
    out = oracle_bands(x, x_lr, 4)
    assert tuple(out) == ORACLES and all(y.shape == x.shape and y.dtype == np.float32 for y in out.values())
    assert out["original"] is not None and np.array_equal(out["original"], x)
    below = slice(0, 64 - 8)  # 2 kHz is bin 64 of 512; a window's width under it every oracle is sinc's
    inner = slice(4, -4)  # the first and last frames see the clip's ends
    sinc = stft(out["sinc"], 512, 128)[below, inner]
    for name in ORACLES[2:]:
        assert np.abs(stft(out[name], 512, 128)[below, inner] - sinc).max() < 1e-3 * np.abs(sinc).max(), name
    assert band_level_db(x, out["original at -6 dB"], 16000, 2100) == pytest.approx(-6.0, abs=0.5)
    assert band_level_db(x, out["original at -12 dB"], 16000, 2100) == pytest.approx(-12.0, abs=0.5)
    assert band_level_db(x, out["sinc"], 16000, 2100) < -30
    envelopes = ("envelope, random phase", "envelope over 17 bins, random phase", "envelope over 33 bins, random phase")
    for name in ("envelope, own phase", "mirrored input band at its level", "magnitude, mirrored phase"):
        assert -8 < band_level_db(x, out[name], 16000, 2100) < 2, name  # a band near the original's level
    own = band_level_db(x, out["envelope, own phase"], 16000, 2100)
    for name in ("magnitude, random phase", *envelopes):  # overlapping frames of random phase partly cancel
        assert -12 < band_level_db(x, out[name], 16000, 2100) < own - 3, name
    # the coarser the envelope, the less the band's spectrum varies from bin to bin (its formants smoothed out)
    above = slice(64 + 8, 256)
    detail = [np.abs(np.diff(np.log(np.abs(stft(out[name], 512, 128)[above, inner]).mean(axis=1)))).mean()
              for name in envelopes]
    assert detail[0] > detail[1] > detail[2], detail
    assert not np.allclose(out["magnitude, random phase"], oracle_bands(x, x_lr, 4, seed=1)["magnitude, random phase"])
    with pytest.raises(AudioError, match="mono clip"):
        oracle_bands(x[:100], x_lr[:25], 4)


def test_scoring_oracles_puts_the_original_at_the_whole_gap_and_sinc_at_none():
    pytest.importorskip("speechmos")
    from srlib.evaluate import cases_at_rates
    from srlib.oracles import score_oracles

    x = _clip(3.0)
    cases = cases_at_rates([("clip", x)], 16000, [4000], decimate=True)
    summary = score_oracles(cases, 16000, extra={"spline": lambda x_lr, rate: __import__(
        "srlib.interpolate", fromlist=["x"]).upsample_baseline(x_lr, 4, "spline")})
    assert summary["original"]["dnsmos_gap"]["mean"] == pytest.approx(1.0)
    assert summary["sinc"]["dnsmos_gap"]["mean"] == pytest.approx(0.0)
    assert summary["original"]["band_db"]["mean"] == pytest.approx(0.0, abs=1e-6)
    assert summary["original at -12 dB"]["band_db"]["mean"] == pytest.approx(-12.0, abs=0.5)
    assert "spline" in summary and summary["spline"]["n"] == 1
    assert summary["original"]["pesq"]["mean"] > summary["sinc"]["pesq"]["mean"]
