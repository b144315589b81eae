"""The frame-level model: crossover, level robustness, reach, losses and training through the registry."""

import math
from dataclasses import replace

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from srlib import ConfigError  # noqa: E402
from srlib.degrade import make_lowres  # noqa: E402
from srlib.interpolate import upsample_baseline  # noqa: E402
from srlib.models.frame import (FrameConfig, anti_wrapping, build_frame_model, frame_loss, frame_reach,  # noqa: E402
                                gains_text)
from srlib.spectral import stft  # noqa: E402

CFG = FrameConfig(channels=16, blocks=2)


def _speechlike(n=16000, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 16000
    x = sum(np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) / k for k, f in enumerate((150, 310, 620, 1900, 3400), 1))
    return (0.2 * x * (1 + 0.5 * np.sin(2 * np.pi * 4 * t)) + 0.01 * rng.standard_normal(n)).astype("float32")


def _perturbed(cfg=CFG, seed=0):
    model = build_frame_model(cfg)
    rng = np.random.default_rng(seed)
    model.set_weights([w + 0.05 * rng.standard_normal(w.shape).astype(w.dtype) for w in model.get_weights()])
    return model


def _run(model, x):
    return np.asarray(model.predict_on_batch(x[None, :, None]))[0, :, 0]


def test_the_recorded_band_passes_through_and_the_band_above_is_added():
    x = _speechlike()
    x_in = upsample_baseline(make_lowres(x, 4), 4, "spline")[:16000]
    model = _perturbed()
    head = model.get_layer("frame").mag_head
    head.bias.assign(np.zeros(head.bias.shape, "float32"))  # the added band at the frame's own level
    y = _run(model, x_in)
    X, Y = np.abs(stft(x_in, 512, 128)), np.abs(stft(y, 512, 128))
    below = CFG.cutoff_bin - CFG.transition_bins
    # below the crossover the output is the input (up to the resynthesis of a modified STFT)
    assert np.abs(Y[:below, 4:-4] - X[:below, 4:-4]).max() < 2e-3 * X[:below].max()
    # above the cutoff the model adds energy the spline did not have
    assert Y[CFG.cutoff_bin + 4:, 4:-4].mean() > 3 * X[CFG.cutoff_bin + 4:, 4:-4].mean()


def test_an_untrained_model_stays_close_to_its_input():
    x_in = upsample_baseline(make_lowres(_speechlike(), 4), 4, "spline")[:16000]
    y = _run(build_frame_model(CFG), x_in)
    assert np.sqrt(np.mean((y - x_in) ** 2) / np.mean(x_in**2)) < 0.05


@pytest.mark.parametrize("gain_db", [-40.0, -20.0, 6.0])
def test_output_scales_with_the_input_level(gain_db):
    model = _perturbed()
    x_in = upsample_baseline(make_lowres(_speechlike(), 4), 4, "spline")[:16000]
    g = 10 ** (gain_db / 20)
    y, y_g = _run(model, x_in), _run(model, g * x_in)
    assert np.sqrt(np.mean((y_g / g - y) ** 2) / np.mean(y**2)) < 1e-3


def test_reach_bounds_what_an_output_sample_sees():
    model = _perturbed()
    x = np.random.default_rng(1).standard_normal(16384).astype("float32") * 0.1
    x2 = x.copy()
    x2[8192] += 1.0
    changed = np.flatnonzero(np.abs(_run(model, x2) - _run(model, x)) > 1e-6)
    assert changed.size and max(8192 - changed.min(), changed.max() - 8192) <= frame_reach(CFG)


def test_losses_are_zero_on_the_target_invariant_to_gain_and_ignore_whole_turns():
    loss = frame_loss(CFG, wave_weight=0.0)
    y = _speechlike(8192)[None, :, None]
    y_hat = _speechlike(8192, seed=3)[None, :, None]
    assert float(loss(y, y)) < 1e-3
    assert float(loss(y, y_hat)) > 0.5
    assert abs(float(loss(0.01 * y, 0.01 * y_hat)) - float(loss(y, y_hat))) < 1e-2
    with_wave = frame_loss(CFG, wave_weight=10.0)
    assert float(with_wave(y, y)) < 1e-3 and float(with_wave(y, y_hat)) > float(loss(y, y_hat)) + 1.0
    assert abs(float(with_wave(0.01 * y, 0.01 * y_hat)) - float(with_wave(y, y_hat))) < 1e-2
    d = np.array([0.0, 2 * math.pi, -4 * math.pi, math.pi / 2], "float32")
    np.testing.assert_allclose(np.asarray(anti_wrapping(d)), [0, 0, 0, math.pi / 2], atol=1e-5)


def test_a_runs_wave_weight_sets_the_losss_mse_term_and_none_keeps_the_old_weight():
    from srlib.models.frame import WAVE_WEIGHT, run_loss
    from srlib.models.train_config import TrainConfig

    y = _speechlike(8192)[None, :, None]
    y_hat = _speechlike(8192, seed=3)[None, :, None]
    for weight, expected in ((0.0, 0.0), (None, WAVE_WEIGHT), (5.0, 5.0)):
        got = float(run_loss(TrainConfig(wave_weight=weight), CFG)(y, y_hat))
        assert got == pytest.approx(float(frame_loss(CFG, wave_weight=expected)(y, y_hat)), rel=1e-5)
    assert float(run_loss(TrainConfig(), CFG)(y, y_hat)) > float(run_loss(TrainConfig(wave_weight=0.0), CFG)(y, y_hat))


def test_a_runs_loss_resolutions_picks_the_first_stft_sizes():
    from srlib.losses import STFT_SIZES
    from srlib.models.frame import run_loss
    from srlib.models.train_config import TrainConfig

    y = _speechlike(8192)[None, :, None]
    y_hat = _speechlike(8192, seed=3)[None, :, None]
    values = []
    for count in (1, 2, 3):
        got = float(run_loss(TrainConfig(loss_resolutions=count), CFG)(y, y_hat))
        assert got == pytest.approx(float(frame_loss(CFG, stft_sizes=STFT_SIZES[:count])(y, y_hat)), rel=1e-5)
        values.append(got)
    assert values[2] == pytest.approx(float(run_loss(TrainConfig(), CFG)(y, y_hat)), rel=1e-6)  # default: all
    assert len(set(values)) == 3  # each size changes the loss
    for wrong in (0, 4, -1, True, 1.5):
        with pytest.raises(ConfigError, match="loss_resolutions"):
            run_loss(TrainConfig(loss_resolutions=wrong), CFG)


def _rel_rms(a, b):
    return float(np.sqrt(np.mean((a - b) ** 2) / np.mean(b**2)))


@pytest.mark.parametrize("cfg", [CFG, FrameConfig(sr_hz=44100, n_fft=1024, hop=256, channels=8, blocks=1, kernel=3),
                                 FrameConfig(channels=8, blocks=1, transition_bins=0, band_gain=0.5, edge_gain=0.5)])
def test_the_numpy_forward_pass_equals_keras(tmp_path, cfg):
    from srlib.models.frame_numpy import FrameForward, export_frame, export_frame_blocks

    model = _perturbed(cfg)
    export_frame(model, tmp_path / "model.npz")
    export_frame_blocks(model, tmp_path / "model.blocks.tflite")
    x_in = upsample_baseline(make_lowres(_speechlike(16384), 4), 4, "spline")[:16384]
    batch = np.stack([x_in, 0.01 * x_in[::-1]])
    expected = np.asarray(model.predict_on_batch(batch[..., None]))[..., 0]
    numpy_only = FrameForward(cfg, tmp_path / "model.npz", blocks=tmp_path / "absent.tflite")
    with_litert = FrameForward(cfg, tmp_path / "model.npz", blocks=tmp_path / "model.blocks.tflite")
    assert numpy_only.stack == "numpy" and with_litert.stack == "litert"
    for forward in (numpy_only, with_litert):
        got = forward(batch)
        assert got.shape == expected.shape and got.dtype == np.float32
        assert _rel_rms(got[0], expected[0]) < 1e-4 and _rel_rms(got[1], expected[1]) < 1e-4
        silent = forward(np.zeros((1, 4096), "float32"))  # |X| = 0 everywhere: no NaN from the unit phasors
        assert np.isfinite(silent).all() and np.abs(silent).max() < 1e-6
        tiny = forward(1e-38 * batch[:1])  # subnormal bins: no overflow in the phasors either
        assert np.isfinite(tiny).all()
    h = np.random.default_rng(0).standard_normal((2, 37, cfg.channels)).astype("float32")
    np.testing.assert_allclose(with_litert.blocks(h), numpy_only.blocks(h), atol=1e-5)


def test_the_litert_stack_serves_threads_at_once(tmp_path):
    """Each thread that runs rows takes its own interpreter (one interpreter is not thread-safe)."""
    from concurrent.futures import ThreadPoolExecutor

    from srlib.models.frame_numpy import FrameForward, export_frame, export_frame_blocks

    model = _perturbed(CFG)
    export_frame(model, tmp_path / "model.npz")
    export_frame_blocks(model, tmp_path / "model.blocks.tflite")
    forward = FrameForward(CFG, tmp_path / "model.npz", blocks=tmp_path / "model.blocks.tflite")
    rng = np.random.default_rng(1)
    hs = [rng.standard_normal((1, t, CFG.channels)).astype("float32") for t in (40, 41, 40, 57) * 4]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(forward.blocks, hs))
    for h, g in zip(hs, got):
        np.testing.assert_allclose(g, forward.numpy_blocks(h), atol=1e-5)


def test_a_config_without_room_for_the_crossover_is_refused():
    with pytest.raises(ConfigError, match="crossover"):
        build_frame_model(FrameConfig(n_fft=64, hop=16, ratio=4, transition_bins=8))


def test_training_through_the_registry_lowers_the_loss(tmp_path, synthetic_pairs):
    from srlib.inference import SRModel
    from srlib.train import profile_config, train

    config = replace(profile_config("frame", "quick"), epochs=3, batch_size=8, patch_len=4096, stride=4096,
                     arch={"channels": 16, "blocks": 2}, learning_rate=3e-3)
    data = (synthetic_pairs(24, 4096), synthetic_pairs(8, 4096, seed=1))
    _, history = train(config, tmp_path / "frame", verbose=0, evaluate=False, pairs=data)
    assert history["loss"][-1] < history["loss"][0]
    m = SRModel(tmp_path / "frame")
    assert m.kind == "frame" and m.arch.channels == 16
    assert m.upsample_lr(np.zeros(1000, "float32") + 1e-3).shape == (4000,)
    # training exported the NumPy copy, and inference uses it unless Keras is asked for
    assert (tmp_path / "frame" / "model.npz").exists() and m.runtime == "light"
    with_keras = SRModel(tmp_path / "frame", runtime="keras")
    x_lr = make_lowres(_speechlike(12000), 4)
    assert with_keras.runtime == "keras"
    assert _rel_rms(m.upsample_lr(x_lr), with_keras.upsample_lr(x_lr)) < 1e-4
    (tmp_path / "frame" / "model.npz").unlink()
    assert SRModel(tmp_path / "frame").runtime == "keras"
    with pytest.raises(ConfigError, match="light runtime"):
        SRModel(tmp_path / "frame", runtime="light")


def test_distributed_training_runs_on_two_replicas_and_refuses_the_gan(tmp_path, synthetic_pairs):
    """``train(distribute=True)``, i.e. ``srlib train --distribute``, on two logical CPU devices (a fresh process:
    TensorFlow splits a device only before it first uses it)."""
    import subprocess
    import sys

    for name, seed, n in (("train", 0, 16), ("val", 1, 8)):
        p = synthetic_pairs(n, 4096, seed=seed)
        np.savez(tmp_path / f"{name}.npz", hr=p.hr, x_in=p.x_in, lr=p.lr, clip_index=p.clip_index)
    code = f"""
import sys
from dataclasses import replace
import numpy as np
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from srlib.data.pairs import Pairs
from srlib.errors import ConfigError
from srlib.train import mirrored_strategy, profile_config, train
pairs = [Pairs(**dict(np.load(r"{tmp_path}/" + n + ".npz")), sr_hz=16000, ratio=4) for n in ("train", "val")]
print("replicas", mirrored_strategy().num_replicas_in_sync)
config = replace(profile_config("frame", "quick"), epochs=2, batch_size=8, patch_len=4096, stride=4096,
                 arch={{"channels": 16, "blocks": 2}}, learning_rate=3e-3)
_, history = train(config, r"{tmp_path}/frame", verbose=1, evaluate=False, pairs=pairs, distribute=True)
print("losses", *history["loss"])
try:
    train(replace(profile_config("gan", "quick"), epochs=1), r"{tmp_path}/gan", verbose=0, evaluate=False,
          pairs=pairs, distribute=True)
except ConfigError as exc:
    print("refused", exc)
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    said = dict(line.split(" ", 1) for line in res.stdout.splitlines() if line.split(" ", 1)[0] in
                ("replicas", "losses", "refused"))
    assert said["replicas"] == "2" and "training on 2 replicas" in res.stderr
    losses = [float(v) for v in said["losses"].split()]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert (tmp_path / "frame" / "model.weights.h5").exists() and (tmp_path / "frame" / "model.npz").exists()
    assert "adversarial step" in said["refused"] and not (tmp_path / "gan" / "model.weights.h5").exists()


# --- the versatile model: one network for a range of input rates ---------------------------------------------

VCFG = replace(CFG, input_rates_hz=(4000, 12000))


def test_a_versatile_config_round_trips_and_gives_each_rate_its_cutoff_bin():
    assert VCFG.versatile and not CFG.versatile
    assert FrameConfig.from_dict(VCFG.to_dict()) == VCFG
    assert FrameConfig.from_dict({**VCFG.to_dict(), "input_rates_hz": [4000, 12000]}) == VCFG  # as JSON gives it
    assert "input_rates_hz" not in CFG.to_dict()  # one-rate configs are written as before
    assert [VCFG.cutoff_bin_for(r) for r in (4000, 8000, 11025, 12000)] == [64, 128, 176, 192]
    assert VCFG.cutoff_bin_for(4000) == VCFG.cutoff_bin
    with pytest.raises(ConfigError, match="input_rates_hz"):
        build_frame_model(replace(VCFG, input_rates_hz=(8000, 12000)))  # the low end is sr_hz / ratio


def test_a_versatile_model_keeps_each_examples_own_band(tmp_path):
    from srlib.models.frame_numpy import FrameForward, export_frame

    model = _perturbed(VCFG)
    head = model.get_layer("frame").mag_head
    head.bias.assign(np.zeros(head.bias.shape, "float32"))
    x = _speechlike(16384)
    batch = np.stack([x, x, 0.01 * x])
    bins = np.array([[64], [160], [128]], np.float32)
    y = np.asarray(model.predict_on_batch([batch[..., None], bins]))[..., 0]
    for row, (c,) in zip(range(3), bins.astype(int)):
        X, Y = np.abs(stft(batch[row], 512, 128)), np.abs(stft(y[row], 512, 128))
        below = c - VCFG.transition_bins
        assert np.abs(Y[:below, 4:-4] - X[:below, 4:-4]).max() < 2e-3 * X[:below].max()
        assert not np.allclose(Y[c + 4:, 4:-4], X[c + 4:, 4:-4], rtol=0.1)  # above its cutoff the model works
    export_frame(model, tmp_path / "model.npz")
    forward = FrameForward(VCFG, tmp_path / "model.npz")
    for row, (c,) in enumerate(bins.astype(int)):
        assert _rel_rms(forward(batch[row: row + 1], int(c))[0], y[row]) < 1e-4
    with pytest.raises(ValueError, match="cutoff_bin"):
        FrameForward(CFG, tmp_path / "model.npz")(batch[:1], 100)


def _ranged(pairs, seed):
    """``pairs`` as a versatile run's: a random input rate from 4 to 12 kHz per patch."""
    rates = np.random.default_rng(seed).integers(4000, 12001, len(pairs))
    return replace(pairs, lr=pairs.lr[:, :0], low_sr_hz=rates)


def test_a_versatile_model_trains_and_serves_every_rate_of_its_range(tmp_path, synthetic_pairs):
    from srlib.api import upsample
    from srlib.errors import AudioError
    from srlib.methods import get_method
    from srlib.inference import SRModel, upsample_with_model
    from srlib.train import profile_config, train

    config = replace(profile_config("frame", "quick"), epochs=2, batch_size=8, patch_len=4096, stride=4096,
                     arch={"channels": 16, "blocks": 2}, input_rates_hz=(4000, 12000))
    data = (_ranged(synthetic_pairs(16, 4096), 0), _ranged(synthetic_pairs(8, 4096, seed=1), 1))
    _, history = train(config, tmp_path / "v", verbose=0, evaluate=False, pairs=data)
    assert np.isfinite(history["loss"]).all()
    m, with_keras = SRModel(tmp_path / "v"), SRModel(tmp_path / "v", runtime="keras")
    assert m.input_rates_hz == (4000, 12000) and m.runtime == "light" and m.arch.versatile
    assert m.card.serves(6000, 16000) and m.card.serves(12000, 16000) and not m.card.serves(16000, 22050)
    assert "4000-12000 Hz -> 16000 Hz" in m.card.describe() and "ratios 1.3-4" in m.card.summary_line()
    for rate in (4000, 6000, 11025):
        x_lr = make_lowres(_speechlike(12000), 4)[: rate // 2]
        y = m.upsample_lr(x_lr, rate)
        assert y.shape == (round(len(x_lr) * 16000 / rate),)
        assert _rel_rms(y, with_keras.upsample_lr(x_lr, rate)) < 1e-4
    x = np.random.default_rng(0).standard_normal(3000).astype("float32") * 0.1  # 3 kHz: raised to the range's 4 kHz
    y, sr = upsample_with_model(x, 3000, 16000, model=m)
    assert sr == 16000 and y.shape == (16000,)
    y, sr = upsample(x, 6000, target_sr_hz=16000, method=str(tmp_path / "v"))
    assert sr == 16000 and y.shape == (8000,)
    with pytest.raises(AudioError, match="4000-12000 Hz"):
        upsample_with_model(x, 16000, 22050, model=m)
    with pytest.raises(AudioError, match="input rates"):
        m.refine(np.zeros(4096, "float32"), low_sr_hz=14000)
    assert get_method(str(tmp_path / "v")).upsample(np.zeros(800, "float32"), 8000, 16000).shape == (1600,)
    with pytest.raises(ConfigError, match="one input rate"):
        train(replace(config, model="unet"), tmp_path / "u", verbose=0, evaluate=False, pairs=data)


def test_the_frame_gan_fine_tunes_a_calibrated_frame_models_generator(tmp_path, synthetic_pairs):
    import json

    from srlib.inference import SRModel
    from srlib.train import prepare, profile_config, train

    data = (_ranged(synthetic_pairs(16, 4096), 0), _ranged(synthetic_pairs(8, 4096, seed=1), 1))
    small = {"channels": 16, "blocks": 2}
    frame = replace(profile_config("frame", "quick"), epochs=1, batch_size=8, patch_len=4096, stride=4096, arch=small,
                    input_rates_hz=(4000, 12000))
    train(frame, tmp_path / "v", verbose=0, evaluate=False, pairs=data)
    saved = json.loads((tmp_path / "v" / "config.json").read_text())
    saved["frame"]["band_gain"] = 0.35  # as srlib calibrate leaves it: inference-only, so the GAN starts all the same
    saved["frame"]["edge_gain"] = 0.35
    saved["frame"]["band_gains"] = [[4000, 0.15, 1.0], [8000, 0.25, 0.25]]
    (tmp_path / "v" / "config.json").write_text(json.dumps(saved))
    config = replace(profile_config("frame-gan", "quick"), init=str(tmp_path / "v"), epochs=1, batch_size=8,
                     patch_len=4096, stride=4096, arch=small,
                     gan={"stft_sizes": [[256, 64]], "wave_scales": 0, "periods": [2, 3], "stft_channels": 4,
                          "period_channels": 4, "mse_weight": 0.0, "stft_weight": 0.0})
    run = prepare(config, *data)
    init = SRModel(tmp_path / "v", runtime="keras")
    for w, w0 in zip(run.network.get_weights(), init.model.get_weights()):
        np.testing.assert_array_equal(w, w0)
    assert run.monitor == "val_stft" and run.meta["reconstruction"] == "frame_loss" and run.meta["init"] == "v"
    again = prepare(replace(frame, init=str(tmp_path / "v"), wave_weight=0.0), *data)  # a frame fine-tune from it too
    for w, w0 in zip(again.network.get_weights(), init.model.get_weights()):
        np.testing.assert_array_equal(w, w0)
    assert again.arch == again.arch.uncalibrated()  # the run trains the band as it is, its gains left behind
    _, history = train(config, tmp_path / "g", verbose=0, evaluate=False, pairs=data)
    assert {"recon", "adv", "fm", "val_recon", "val_stft"} <= set(history)
    assert np.isfinite(history["recon"]).all()
    m = SRModel(tmp_path / "g")
    assert (m.kind, m.runtime, m.arch.band_gain, m.input_rates_hz) == ("frame-gan", "light", 1.0, (4000, 12000))
    assert m.upsample_lr(make_lowres(_speechlike(12000), 4)[:3000], 6000).shape == (8000,)
    with pytest.raises(ConfigError, match="init: model"):  # another width: not this generator
        train(replace(config, arch={"channels": 8, "blocks": 2}), tmp_path / "x", verbose=0, evaluate=False,
              pairs=data)


# --- the calibrated band gain ---------------------------------------------------------------------------------


def test_band_gain_scales_the_added_band_and_nothing_else(tmp_path):
    from srlib.models.frame_numpy import FrameForward, export_frame

    model = _perturbed()
    head = model.get_layer("frame").mag_head
    head.bias.assign(np.zeros(head.bias.shape, "float32"))
    export_frame(model, tmp_path / "model.npz")
    half = build_frame_model(replace(CFG, band_gain=0.5))
    half.set_weights(model.get_weights())
    x_in = upsample_baseline(make_lowres(_speechlike(), 4), 4, "spline")[:16000]
    Y1, Yh = (np.abs(stft(_run(m, x_in), 512, 128))[:, 4:-4] for m in (model, half))
    c, below = CFG.cutoff_bin, CFG.cutoff_bin - CFG.transition_bins
    # below the crossover both are the input (up to the resynthesis' leakage near the ramp)
    assert np.abs(Yh[: below - 4] - Y1[: below - 4]).max() < 2e-3 * Y1[:below].max()
    assert np.median(Yh[c + 4:] / Y1[c + 4:]) == pytest.approx(0.5, abs=0.02)
    # the transition bins rebuild the recorded band's edge: not scaled
    assert np.median(Yh[below + 2: c - 2] / Y1[below + 2: c - 2]) == pytest.approx(1.0, abs=0.05)
    light = FrameForward(replace(CFG, band_gain=0.5), tmp_path / "model.npz")
    assert _rel_rms(light(x_in[None])[0], _run(half, x_in)) < 1e-4
    assert "band_gain" not in CFG.to_dict() and replace(CFG, band_gain=0.5).to_dict()["band_gain"] == 0.5
    versatile = _perturbed(VCFG)  # each example's own cutoff bin sets where the gain starts, Keras and NumPy alike
    export_frame(versatile, tmp_path / "versatile.npz")
    vhalf = build_frame_model(replace(VCFG, band_gain=0.5))
    vhalf.set_weights(versatile.get_weights())
    for bin_ in (64, 128):
        expected = np.asarray(vhalf.predict_on_batch([x_in[None, :, None], np.array([[bin_]], "float32")]))[0, :, 0]
        got = FrameForward(replace(VCFG, band_gain=0.5), tmp_path / "versatile.npz")(x_in[None], bin_)[0]
        assert _rel_rms(got, expected) < 1e-4


def _rule(entry, keys) -> tuple:
    """The calibration's rule on a result (or span) as the docstring states it: (band gain, edge gain), or
    (band gain, edge gain, upper gain) where it tried several upper gains."""
    floor = {k: max(b[k] for b in entry["baselines"].values()) for k in keys}
    tables = entry.get("by_upper") or {1.0: entry}
    ranked = [(g, e, u, v) for u in sorted(tables, reverse=True) for g in sorted(tables[u]["by_gain"], reverse=True)
              for e, v in ((1.0, tables[u]["by_gain"][g]), (g, tables[u]["by_gain_edge"].get(g))) if v is not None]
    harmless = [r[:3] for r in ranked if all(r[3][k] >= floor[k] for k in keys)]
    best = harmless[0] if harmless else max(ranked, key=lambda r: r[3][keys[0]])[:3]
    return best if "by_upper" in entry else best[:2]


def test_edge_gain_scales_the_rebuilt_transition_bins_alone_in_keras_and_numpy(tmp_path):
    """The output is linear in the edge gain, and the edge is the transition bins below the cutoff alone."""
    from srlib.models.frame_numpy import FrameForward, export_frame

    model = _perturbed()
    export_frame(model, tmp_path / "model.npz")
    x_in = upsample_baseline(make_lowres(_speechlike(), 4), 4, "spline")[:16000]
    y = {}
    for edge in (0.0, 0.5, 1.0):
        scaled = build_frame_model(replace(CFG, band_gain=0.5, edge_gain=edge))
        scaled.set_weights(model.get_weights())
        y[edge] = _run(scaled, x_in)
        light = FrameForward(replace(CFG, band_gain=0.5, edge_gain=edge), tmp_path / "model.npz")
        assert _rel_rms(light(x_in[None])[0], y[edge]) < 1e-4
    assert _rel_rms(y[0.5], (y[0.0] + y[1.0]) / 2) < 1e-5
    Y0, Y1 = (np.abs(stft(y[e], 512, 128))[:, 4:-4] for e in (0.0, 1.0))
    c, below = CFG.cutoff_bin, CFG.cutoff_bin - CFG.transition_bins
    assert np.abs(Y0[c + 4:] - Y1[c + 4:]).max() < 2e-3 * Y1[c + 4:].max()  # the added band: as it was
    assert np.abs(Y0[below + 2: c - 2] - Y1[below + 2: c - 2]).max() > 0.05 * Y1[below: c].max()
    assert replace(CFG, edge_gain=0.5).to_dict()["edge_gain"] == 0.5 and "edge_gain" not in CFG.to_dict()


def test_upper_gain_scales_the_band_from_twice_the_cutoff_alone_in_keras_and_numpy(tmp_path):
    """A versatile model's band from 2c up plays at band gain times upper gain, from c to 2c at the band gain."""
    from srlib.models.frame_numpy import FrameForward, export_frame

    model = _perturbed(VCFG)
    export_frame(model, tmp_path / "model.npz")
    upper = replace(VCFG, band_gain=0.5, band_gains=((4000, 0.5, 1.0, 0.25), (8000, 0.5, 1.0)))
    assert upper.calibrated and replace(VCFG, upper_gain=0.5).calibrated and upper.uncalibrated() == VCFG
    assert upper.gain_for_bin(64) == (0.5, 1.0, 0.25) and upper.gain_for_bin(128) == (0.5, 1.0, 1.0)
    assert FrameConfig.from_dict(upper.to_dict()) == upper
    assert upper.to_dict()["band_gains"] == [[4000, 0.5, 1.0, 0.25], [8000, 0.5, 1.0]]
    scaled = build_frame_model(upper)
    scaled.set_weights(model.get_weights())
    x = _speechlike(16384)
    c = 64  # a 4 kHz input: its band's first octave is bins 64-127
    y = np.asarray(scaled.predict_on_batch([x[None, :, None], np.array([[c]], np.float32)]))[0, :, 0]
    y1 = np.asarray(model.predict_on_batch([x[None, :, None], np.array([[c]], np.float32)]))[0, :, 0]
    assert _rel_rms(FrameForward(upper, tmp_path / "model.npz")(x[None], c)[0], y) < 1e-4
    ratio = np.abs(stft(y, 512, 128))[:, 4:-4] / np.abs(stft(y1, 512, 128))[:, 4:-4]
    assert np.median(ratio[c + 4: 2 * c - 4]) == pytest.approx(0.5, abs=0.02)
    assert np.median(ratio[2 * c + 4:]) == pytest.approx(0.125, abs=0.01)
    with pytest.raises(ConfigError, match="upper_gain"):
        from srlib.calibration import calibrate_band_gain

        calibrate_band_gain(tmp_path, upper_gains=(1.0, 1.5))
    with pytest.raises(ConfigError, match="gains"):
        calibrate_band_gain(tmp_path, gains=(0.0, 0.5))
    from srlib.calibration import RULE_NAMES, RULES

    assert set(RULE_NAMES) == set(RULES)  # the book names every rule


def test_an_image_gain_adds_that_share_of_the_splines_images_beside_the_band(tmp_path):
    """FrameConfig.image_gain: the network's output as before, plus the spline's images of the input at that gain,
    per span of input rate; written and read back with the other gains."""
    import json

    from srlib.inference import SRModel
    from srlib.interpolate import spline_images

    d = _untrained_music_model(tmp_path, input_rates_hz=(11025, 22050))
    imaged = replace(SRModel(d).arch, band_gains=((11025, 1.0, 1.0, 1.0, 0.5), (16538, 1.0)))
    assert imaged.calibrated and imaged.images and not imaged.uncalibrated().images
    assert (imaged.image_gain_for(12000), imaged.image_gain_for(20000)) == (0.5, 0.0)
    assert imaged.to_dict()["band_gains"] == [[11025, 1.0, 1.0, 1.0, 0.5], [16538, 1.0, 1.0]]
    assert FrameConfig.from_dict(imaged.to_dict()) == imaged
    x = _speechlike(12000 * 2, seed=3)[::2].copy()  # 1 s at 12 kHz
    plain, with_images = (SRModel(d, arch=a).upsample_lr(x, 12000) for a in (imaged.uncalibrated(), imaged))
    images = spline_images(x, 12000, 44100)[: len(plain)]
    np.testing.assert_allclose(with_images - plain, 0.5 * images, atol=1e-5)
    assert np.sqrt(np.mean(images ** 2)) > 1e-3  # there are images to add
    y = SRModel(d, arch=imaged).upsample_lr(x, 20000)  # the same samples read as 20 kHz: that span adds none
    np.testing.assert_array_equal(y, SRModel(d, arch=imaged.uncalibrated()).upsample_lr(x, 20000))
    config = json.loads((d / "config.json").read_text())
    config["frame"] = imaged.to_dict()
    (d / "config.json").write_text(json.dumps(config))
    assert "images 0.5" in gains_text(*imaged.band_gains[0][1:]) and SRModel(d).arch == imaged


def test_calibration_keeps_the_most_band_that_does_no_harm_on_validation_clips(tmp_path, synthetic_pairs):
    import json

    from srlib import save
    from srlib.calibration import calibrate_band_gain
    from srlib.inference import SRModel
    from srlib.models.card import model_folder
    from srlib.train import profile_config, train

    corpus = tmp_path / "voices"
    for s in range(10):  # ten speakers: the folder corpus gives whole speakers to train, val and test
        (corpus / f"spk{s}").mkdir(parents=True)
        save(corpus / f"spk{s}" / "a.wav", _speechlike(24000, seed=s), 16000)
    config = replace(profile_config("frame", "quick"), corpus=str(corpus), epochs=1, batch_size=8, patch_len=4096,
                     stride=4096, arch={"channels": 16, "blocks": 2})
    train(config, tmp_path / "f", verbose=0, evaluate=False,
          pairs=(synthetic_pairs(8, 4096), synthetic_pairs(8, 4096, seed=1)))
    result = calibrate_band_gain(tmp_path / "f", gains=(0.1, 0.5, 1.0), max_clips_per_source=2)
    by_gain, base = result["by_gain"], result["baselines"]
    assert set(by_gain) == {0.1, 0.5, 1.0} and set(base) == {"spline", "sinc"} and result["split"] == "val"
    assert set(result["by_gain_edge"]) == {0.1, 0.5}  # at 1 the edge scaled is the edge rebuilt
    gain, edge = _rule(result, ("pesq", "snr_db"))
    assert (result["band_gain"], result["edge_gain"]) == (gain, edge)
    saved = json.loads((tmp_path / "f" / "config.json").read_text())
    arch = SRModel(tmp_path / "f").arch
    assert saved["calibration"]["band_gain"] == gain and (arch.band_gain, arch.edge_gain) == (gain, edge)
    assert f"band_gain {gains_text(gain, edge)}, chosen on {result['n_clips']} val clips" in SRModel(
        tmp_path / "f").describe()
    with pytest.raises(ConfigError, match="band_gain"):
        calibrate_band_gain(model_folder("unet"), write=False)
    # the listener's rule: the best DNSMOS within 0.1 PESQ-WB and 0.3 dB SNR of the better baseline
    heard = calibrate_band_gain(tmp_path / "f", gains=(0.1, 0.5, 1.0), max_clips_per_source=2, rule="listener",
                                write=False)
    assert heard["rule"] == "listener" and all("dnsmos" in v for v in heard["by_gain"].values())
    floor = {k: max(b[k] for b in heard["baselines"].values()) for k in ("pesq", "snr_db")}
    ranked = [(g, e, v) for g in sorted(heard["by_gain"], reverse=True)
              for e, v in ((1.0, heard["by_gain"][g]), (g, heard["by_gain_edge"].get(g))) if v is not None]
    allowed = [r for r in ranked if r[2]["pesq"] >= floor["pesq"] - 0.1 and r[2]["snr_db"] >= floor["snr_db"] - 0.3]
    want = max(allowed, key=lambda r: r[2]["dnsmos"])[:2] if allowed else max(ranked, key=lambda r: r[2]["pesq"])[:2]
    assert (heard["band_gain"], heard["edge_gain"]) == want
    with pytest.raises(ConfigError, match="rule"):
        calibrate_band_gain(tmp_path / "f", rule="loudest", write=False)


def _untrained_music_model(tmp_path, **arch):
    """A perturbed 44.1 kHz frame model's folder whose corpus is a folder of ten artists (whole artists go to
    train, val and test)."""
    import json

    from srlib import save

    songs = tmp_path / "songs"
    for s in range(10):
        (songs / f"artist{s}").mkdir(parents=True)
        save(songs / f"artist{s}" / "a.wav", _speechlike(44100, seed=s), 44100)
    cfg = FrameConfig(sr_hz=44100, ratio=4, n_fft=1024, hop=256, channels=16, blocks=2, **arch)
    d = tmp_path / "m"
    d.mkdir()
    _perturbed(cfg).save_weights(str(d / "model.weights.h5"))
    config = {"kind": "frame", "sr_hz": 44100, "ratio": 4, "frame": cfg.to_dict(),
              "train": {"corpus": str(songs), "patch_len": 8192, "epochs": 1}}
    if cfg.input_rates_hz:
        config["input_rates_hz"] = list(cfg.input_rates_hz)
    (d / "config.json").write_text(json.dumps(config))
    return d


def test_calibration_away_from_16_khz_asks_snr_alone(tmp_path):
    """Music at 44.1 kHz: wide-band PESQ is not defined there, so no harm is judged on SNR."""
    import json

    from srlib.calibration import calibrate_band_gain

    d = _untrained_music_model(tmp_path)
    result = calibrate_band_gain(d, gains=(0.25, 1.0), max_clips_per_source=2, write=False)
    tables = (*result["by_gain"].values(), *result["by_gain_edge"].values(), *result["baselines"].values())
    assert all(set(v) == {"snr_db", "lsd"} for v in tables)
    assert (result["band_gain"], result["edge_gain"]) == _rule(result, ("snr_db",))
    assert "calibration" not in json.loads((d / "config.json").read_text())  # write=False


def test_calibrating_a_versatile_model_chooses_a_gain_per_span_of_input_rates(tmp_path):
    """Every validation clip is made low-rate once per span of the range; the rule runs per span as well."""
    import json

    from srlib.calibration import calibrate_band_gain
    from srlib.tables import calibrated_scores
    from srlib.inference import SRModel

    d = _untrained_music_model(tmp_path, input_rates_hz=(11025, 22050))
    result = calibrate_band_gain(d, gains=(0.1, 0.5, 1.0), max_clips_per_source=2, spans=2)
    spans = result["by_span"]
    assert [s["rates_hz"] for s in spans] == [[11025, 16538], [16538, 22050]]
    assert result["n_clips"] > 0 and result["n_clips"] % 2 == 0  # one input per clip and span
    chosen = [_rule(span, ("snr_db",)) for span in spans]
    assert [(s["band_gain"], s["edge_gain"]) for s in spans] == chosen
    assert result["band_gains"] == [[11025, *chosen[0]], [16538, *chosen[1]]]
    arch = SRModel(d).arch
    assert arch.band_gains == ((11025, *chosen[0], 1.0, 0.0), (16538, *chosen[1], 1.0, 0.0))
    assert arch.gain_for_bin(arch.cutoff_bin_for(20000)) == (*chosen[1], 1.0)
    saved = json.loads((d / "config.json").read_text())["calibration"]  # as config.json holds it: keys as strings
    pooled = _rule(result, ("snr_db",))
    for entry, (gain, edge) in zip((result, *spans, saved), (pooled, *chosen, pooled)):
        assert calibrated_scores(entry) == (entry["by_gain"] if edge == 1.0 else entry["by_gain_edge"])[
            gain if gain in entry["by_gain"] else str(gain)]
    assert (f"band gain by input rate: from 11025 Hz {gains_text(*chosen[0])}; from 16538 Hz "
            f"{gains_text(*chosen[1])} (pooled over the rates: {gains_text(*pooled)})") in SRModel(d).describe()
    quieter = calibrate_band_gain(d, gains=(0.1, 0.5, 1.0), max_clips_per_source=2, spans=2, upper_gains=(0.5,),
                                  write=False)
    assert quieter["upper_gain"] == 0.5 and all(step[3] == 0.5 for step in quieter["band_gains"])
    assert "upper_gain" not in result and "by_upper" not in result  # as trained, nothing new is written
    both = calibrate_band_gain(d, gains=(0.1, 0.5, 1.0), max_clips_per_source=2, spans=2, upper_gains=(0.5, 1.0),
                               write=False)
    for entry in (both, *both["by_span"]):  # the rule runs on every (gain, edge gain, upper gain) at once
        assert set(entry["by_upper"]) == {0.5, 1.0}
        chosen = _rule(entry, ("snr_db",))
        assert (entry["band_gain"], entry["edge_gain"], entry.get("upper_gain", 1.0)) == chosen
        assert entry["by_gain"] == entry["by_upper"][chosen[2]]["by_gain"]
    assert both["by_upper"][0.5]["by_gain"] == quieter["by_gain"]  # the same clips, seeded: the same scores
    assert [step[3:] for step in both["band_gains"]] == [[s["upper_gain"]] if s["upper_gain"] != 1.0 else []
                                                         for s in both["by_span"]]
    imaged = calibrate_band_gain(d, gains=(0.1, 0.5, 1.0), max_clips_per_source=2, spans=2, image_gains=(0.5, 1.0),
                                 write=False)
    for entry in (imaged, *imaged["by_span"]):  # then the images, on top of the gains chosen without them
        assert set(entry["by_image"]) == {0.0, 0.5, 1.0}
        gains = (entry["band_gain"], entry["edge_gain"])
        assert entry["by_image"][0.0] == (entry["by_gain"] if gains[1] == 1.0 else entry["by_gain_edge"])[gains[0]]
        floor = max(v["snr_db"] for v in entry["baselines"].values())
        allowed = [a for a, v in entry["by_image"].items() if v["snr_db"] >= floor]
        assert entry.get("image_gain", 0.0) == max(allowed, default=0.0)  # no harm: the most images that do none
        assert calibrated_scores(entry) == entry["by_image"][entry.get("image_gain", 0.0)]  # what it chose scored
    assert [step[4:] for step in imaged["band_gains"]] == [[s["image_gain"]] if s["image_gain"] else []
                                                           for s in imaged["by_span"]]


def test_gains_by_rate_scale_each_examples_band_alike_in_keras_and_numpy(tmp_path):
    from srlib.models.frame_numpy import FrameForward, export_frame

    model = _perturbed(VCFG)
    export_frame(model, tmp_path / "model.npz")
    stepped = replace(VCFG, band_gain=0.5, band_gains=((4000, 0.5, 1.0), (8000, 0.25, 0.25)))
    assert stepped.gain_steps == ((0, 0.5, 1.0, 1.0, 0.0), (64, 0.5, 1.0, 1.0, 0.0), (128, 0.25, 0.25, 1.0, 0.0))
    assert replace(VCFG, band_gains=[[4000, 0.5]]).band_gains == ((4000, 0.5, 1.0, 1.0, 0.0),)  # as written before edges
    keras_stepped = build_frame_model(stepped)
    keras_stepped.set_weights(model.get_weights())
    x = _speechlike(16384)
    batch = np.stack([x, x])
    bins = np.array([[96], [160]], np.float32)  # 6 kHz (gain 0.5) and 10 kHz (gain 0.25) in one batch
    y = np.asarray(keras_stepped.predict_on_batch([batch[..., None], bins]))[..., 0]
    y1 = np.asarray(model.predict_on_batch([batch[..., None], bins]))[..., 0]
    forward = FrameForward(stepped, tmp_path / "model.npz")
    for row, c in enumerate((96, 160)):
        assert _rel_rms(forward(batch[row: row + 1], c)[0], y[row]) < 1e-4
        ratio = np.abs(stft(y[row], 512, 128))[c + 4:, 4:-4] / np.abs(stft(y1[row], 512, 128))[c + 4:, 4:-4]
        assert np.median(ratio) == pytest.approx(stepped.gain_for_bin(c)[0], abs=0.02)
    assert FrameConfig.from_dict(stepped.to_dict()) == stepped
    with pytest.raises(ConfigError, match="ascend"):
        replace(VCFG, band_gains=((8000, 0.5), (4000, 0.25)))
