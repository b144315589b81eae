import numpy as np
import pytest

from srlib import ConfigError
from srlib.models.spectral import (PHASES, SpectralConfig, build_spectral_unet, log_magnitude_features, mirror_phase,
                                   predict_magnitude, reconstruct)

keras = pytest.importorskip("keras")


@pytest.mark.parametrize("ratio", [2, 3, 4, 6])
def test_shapes_and_identity_at_start_for_each_ratio(ratio):
    cfg = SpectralConfig(ratio=ratio)
    model = build_spectral_unet(cfg)
    x = np.random.default_rng(0).standard_normal((2, 33, cfg.n_bins, 1)).astype("float32")
    y = np.asarray(model(x))
    assert y.shape == x.shape
    np.testing.assert_allclose(y, x, atol=1e-6)  # zero-initialised last layer: the residual starts at 0
    from srlib.interpolate import upsample_baseline

    n_lr = 1001
    x_in = upsample_baseline(np.random.default_rng(1).standard_normal(n_lr).astype("float32") * 0.1, ratio, "spline")
    out = reconstruct(*predict_magnitude(model, x_in, cfg), len(x_in), cfg)
    assert out.shape == (n_lr * ratio,) and out.dtype == np.float32


def test_every_phase_keeps_length_and_the_low_band():
    from srlib.degrade import make_lowres
    from srlib.interpolate import upsample_baseline
    from srlib.spectral import stft

    cfg = SpectralConfig(ratio=4)
    network = build_spectral_unet(cfg)
    rng = np.random.default_rng(2)
    x = make_lowres((0.1 * rng.standard_normal(8000)).astype("float32"), 4)
    x_in = upsample_baseline(x, 4, "spline")
    X, mag = predict_magnitude(network, x_in, cfg)
    c = cfg.cutoff_bin
    for phase in PHASES:
        y = reconstruct(X, mag * 1.0, len(x_in), cfg, phase, n_iter=4)
        assert y.shape == x_in.shape
        Y = stft(y, cfg.n_fft, cfg.hop)
        # the low band is the input's (up to the overlap-add's rounding)
        err = np.abs(Y[: c - 1, 4:-4] - X[: c - 1, 4:-4]).max() / np.abs(X[: c - 1]).max()
        assert err < 0.05, (phase, err)
    with pytest.raises(ConfigError, match="phase"):
        reconstruct(X, mag, len(x_in), cfg, "random")


def test_mirror_phase_reflects_about_the_cutoff():
    phase = np.arange(12.0)[:, None] * np.ones((1, 3))
    out = mirror_phase(phase, 4)
    assert out[:, 0].tolist() == [0, 1, 2, 3, 4, 3, 2, 1, 0, 1, 2, 3]
    np.testing.assert_array_equal(phase[:4], out[:4])


def test_features_shape():
    cfg = SpectralConfig()
    X, f = log_magnitude_features(np.zeros(4096, "float32"), cfg)
    assert X.shape == (cfg.n_fft // 2 + 1, 4096 // cfg.hop + 1) and f.shape == (4096 // cfg.hop + 1, cfg.n_bins)


@pytest.mark.parametrize("ratio", [2, 4])
def test_phase_aware_generator_starts_at_the_mirror_phase_model(ratio):
    from srlib.degrade import make_lowres
    from srlib.interpolate import upsample_baseline
    from srlib.models.spectral import build_spectral_waveform_generator

    cfg = SpectralConfig(n_fft=256, hop=64, filters=(4, 8), ratio=ratio)
    gen = build_spectral_waveform_generator(cfg)
    rng = np.random.default_rng(4)
    x_in = upsample_baseline(make_lowres((0.1 * rng.standard_normal(4096)).astype("float32"), ratio), ratio,
                             "spline")[:4096]
    # give the 2-D U-Net a non-trivial residual so the magnitudes differ from the input's
    unet = gen.get_layer("spectral").unet
    unet.get_layer("out_conv").set_weights([w + 0.01 for w in unet.get_layer("out_conv").get_weights()])
    y = np.asarray(gen(x_in[None, :, None]))[0, :, 0]
    assert y.shape == x_in.shape
    ref = reconstruct(*predict_magnitude(unet, x_in, cfg), len(x_in), cfg, "mirror")
    # the same chain in NumPy/librosa: equal away from the edges (whose frames differ in padding)
    edge = cfg.n_fft * 2
    np.testing.assert_allclose(y[edge:-edge], ref[edge:-edge], atol=1e-4 * np.abs(ref).max())
    assert np.abs(y[edge:-edge] - x_in[edge:-edge]).max() > 1e-3  # and it did change the signal


def test_train_spectral_kinds_save_load_and_chunk_like_the_whole(tmp_path, synthetic_pairs):
    from dataclasses import replace

    from srlib.inference import SRModel
    from srlib.train import profile_config, train

    data = (synthetic_pairs(16, 4096), synthetic_pairs(8, 4096, seed=1))
    cfg = replace(profile_config("spectral", "quick"), epochs=2, batch_size=8, arch={"filters": [4, 8]})
    _, history = train(cfg, tmp_path / "spec", verbose=0, evaluate=False, pairs=data)
    assert history["loss"][-1] < history["loss"][0]
    spec = SRModel(tmp_path / "spec")
    assert (spec.kind, spec.sr_hz, spec.ratio, spec.arch.n_fft) == ("spectral", 16000, 4, 512)
    x = np.random.default_rng(3).standard_normal(6000).astype("float32") * 0.1
    assert spec.upsample_lr(x).shape == (24000,)
    # the phase choices reach a trained model through its network and architecture (chapter 8)
    from srlib.interpolate import upsample_baseline

    x_in = upsample_baseline(x, 4, "spline")
    X, mag = predict_magnitude(spec.model, x_in, spec.arch)
    assert {phase: reconstruct(X, mag, len(x_in), spec.arch, phase, n_iter=2).shape for phase in PHASES} == {
        phase: (24000,) for phase in PHASES}

    gan_cfg = replace(profile_config("spectral-gan", "quick"), init=str(tmp_path / "spec"), batch_size=8,
                      arch={"filters": [4, 8], "refiner_channels": 4})
    _, history = train(gan_cfg, tmp_path / "sgan", verbose=0, evaluate=False, pairs=data)
    assert {"g_loss", "d_loss", "val_stft"} <= set(history)
    gen = SRModel(tmp_path / "sgan")
    assert gen.kind == "spectral-gan" and gen.config["init"] == "spec"
    text = gen.describe()
    assert "spectral-gan, 4000 Hz -> 16000 Hz" in text and "1 epochs, started from spec" in text
    whole = gen.upsample_lr(x)
    chunked = gen.upsample_lr(x, chunk_len=4096)  # several chunks with margins and fades
    np.testing.assert_allclose(chunked, whole, atol=1e-5)

    with pytest.raises(ConfigError, match="init"):  # a spectral model of another size cannot start this run
        train(replace(gan_cfg, arch={"filters": [8, 16]}), tmp_path / "bad", verbose=0, evaluate=False,
              pairs=data)
    with pytest.raises(ConfigError, match="multiple of 128"):
        train(replace(cfg, patch_len=4000), tmp_path / "bad2", verbose=0, evaluate=False, pairs=data)
