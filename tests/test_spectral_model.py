import numpy as np
import pytest

from srlib import AudioError
from srlib.data.pairs import Pairs
from srlib.models.spectral import (PHASES, SpectralConfig, SpectralSR, build_spectral_unet, log_magnitude_features,
                                   mirror_phase, train_spectral)

keras = pytest.importorskip("keras")


@pytest.mark.parametrize("ratio", [2, 3, 4, 6])
def test_shapes_and_identity_at_start_for_each_ratio(ratio):
    cfg = SpectralConfig(ratio=ratio)
    model = build_spectral_unet(cfg)
    x = np.random.default_rng(0).standard_normal((2, 33, cfg.n_bins, 1)).astype("float32")
    y = np.asarray(model(x))
    assert y.shape == x.shape
    np.testing.assert_allclose(y, x, atol=1e-6)  # zero-initialised last layer: the residual starts at 0
    sr = SpectralSR(model, cfg)
    n_lr = 1001
    out = sr.upsample_lr(np.random.default_rng(1).standard_normal(n_lr).astype("float32") * 0.1)
    assert out.shape == (n_lr * ratio,) and out.dtype == np.float32


def test_every_phase_keeps_length_and_the_low_band():
    from srlib.degrade import make_lowres
    from srlib.interpolate import upsample_baseline
    from srlib.spectral import stft

    cfg = SpectralConfig(ratio=4)
    sr = SpectralSR(build_spectral_unet(cfg), cfg)
    rng = np.random.default_rng(2)
    x = make_lowres((0.1 * rng.standard_normal(8000)).astype("float32"), 4)
    x_in = upsample_baseline(x, 4, "spline")
    X, mag = sr.predict_magnitude(x_in)
    c = cfg.cutoff_bin
    for phase in PHASES:
        y = sr.reconstruct(X, mag * 1.0, len(x_in), phase, n_iter=4)
        assert y.shape == x_in.shape
        Y = stft(y, cfg.n_fft, cfg.hop)
        # the low band is the input's (up to the overlap-add's rounding)
        err = np.abs(Y[: c - 1, 4:-4] - X[: c - 1, 4:-4]).max() / np.abs(X[: c - 1]).max()
        assert err < 0.05, (phase, err)
    with pytest.raises(AudioError, match="phase"):
        sr.reconstruct(X, mag, len(x_in), "random")


def test_mirror_phase_reflects_about_the_cutoff():
    phase = np.arange(12.0)[:, None] * np.ones((1, 3))
    out = mirror_phase(phase, 4)
    assert out[:, 0].tolist() == [0, 1, 2, 3, 4, 3, 2, 1, 0, 1, 2, 3]
    np.testing.assert_array_equal(phase[:4], out[:4])


def _pairs(n=24, length=4096, seed=0, ratio=4):
    from srlib.degrade import make_lowres
    from srlib.interpolate import upsample_baseline

    rng = np.random.default_rng(seed)
    t = np.arange(length) / 16000
    hr = np.stack([0.3 * np.sin(2 * np.pi * rng.uniform(200, 800) * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
                   + 0.05 * rng.standard_normal(length) for _ in range(n)]).astype("float32")
    lr = np.stack([make_lowres(v, ratio) for v in hr])
    x_in = np.stack([upsample_baseline(v, ratio, "spline")[:length] for v in lr])
    return Pairs(hr, x_in, lr, np.arange(n), 16000, ratio)


def test_training_lowers_the_high_band_loss_and_round_trips(tmp_path):
    model, history = train_spectral(_pairs(), _pairs(8, seed=1), epochs=3, batch_size=8, learning_rate=3e-3)
    assert history["loss"][-1] < history["loss"][0]
    folder = model.save(tmp_path / "spec")
    again = SpectralSR.load(folder)
    x = np.random.default_rng(3).standard_normal(2000).astype("float32") * 0.1
    np.testing.assert_allclose(again.upsample_lr(x, phase="mirror"), model.upsample_lr(x, phase="mirror"), atol=1e-5)
    with pytest.raises(AudioError, match="not a spectral model"):
        SpectralSR.load(tmp_path)
    with pytest.raises(AudioError, match="pairs are"):
        train_spectral(_pairs(ratio=2), config=SpectralConfig(ratio=4), epochs=1)


def test_features_shape():
    cfg = SpectralConfig()
    X, f = log_magnitude_features(np.zeros(4096, "float32"), cfg)
    assert X.shape == (cfg.n_fft // 2 + 1, 4096 // cfg.hop + 1) and f.shape == (4096 // cfg.hop + 1, cfg.n_bins)
