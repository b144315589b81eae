"""The conditional normalizing flow (srlib.models.flow): invertible, exact likelihood, trainable, seeded sampling."""

from dataclasses import replace

import numpy as np

from srlib.models.flow import FlowConfig, build_flow, flow_reach


def _perturbed(cfg, seed=0):
    model = build_flow(cfg)
    rng = np.random.default_rng(seed)
    model.set_weights([w + 0.1 * rng.standard_normal(w.shape).astype(w.dtype) for w in model.get_weights()])
    return model


def test_the_flow_inverts_exactly_and_its_log_determinant_is_the_jacobians():
    cfg = FlowConfig(group=4, flows=2, channels=8, layers=2, period=16)
    model = _perturbed(cfg)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 64, 1)).astype("float32")
    y = x + 0.3 * rng.standard_normal((2, 64, 1)).astype("float32")
    z, logdet = (np.asarray(v) for v in model((x, y)))
    assert z.shape == (2, 16, 4) and logdet.shape == (2,)
    np.testing.assert_allclose(np.asarray(model.inverse(x, z)), y - x, atol=1e-4)
    # the log-determinant against a numerical Jacobian of r -> z for a short input (16 samples)
    x1, r1 = x[:1, :16], (y - x)[:1, :16].astype("float64")
    eps, cols = 1e-3, []
    for i in range(16):
        d = np.zeros_like(r1)
        d[0, i, 0] = eps
        plus = np.asarray(model((x1, (x1 + r1 + d).astype("float32")))[0], dtype="float64")
        minus = np.asarray(model((x1, (x1 + r1 - d).astype("float32")))[0], dtype="float64")
        cols.append(((plus - minus) / (2 * eps)).reshape(-1))
    numeric = np.linalg.slogdet(np.stack(cols, axis=1))[1]
    assert abs(numeric - float(np.asarray(model((x1, (x1 + r1).astype("float32")))[1])[0])) < 1e-2


def test_an_untrained_flow_is_a_rotation():
    cfg = FlowConfig(group=4, flows=3, channels=8, layers=2, period=16)
    model = build_flow(cfg)
    x = np.zeros((1, 64, 1), "float32")
    r = np.random.default_rng(0).standard_normal((1, 64, 1)).astype("float32")
    z, logdet = (np.asarray(v) for v in model((x, x + r)))
    assert abs(float(logdet[0])) < 1e-3  # orthogonal mixes, zero couplings
    np.testing.assert_allclose(np.sum(z ** 2), np.sum(r ** 2), rtol=1e-4)
    assert flow_reach(cfg) == 3 * (1 + 2 + 1) * 4 + cfg.crossover_taps // 2


def test_the_sampled_band_is_added_above_the_inputs_cutoff_only():
    from srlib.models.registry import get_kind

    cfg = FlowConfig(group=4, flows=2, channels=8, layers=2, period=1024, temperature=1.0)
    run = get_kind("flow").runner(_perturbed(cfg), cfg)
    x = np.zeros((1, 4096), "float32")
    window = np.hanning(4096)
    added = np.abs(np.fft.rfft(window * (run(x)[0] - x[0])))  # bins of 16000 / 4096 Hz; the cutoff (2 kHz) is 512
    assert added[620:].mean() > 1000 * added[10:500].mean()
    no_crossover = replace(cfg, crossover_taps=0)
    open_band = np.abs(np.fft.rfft(window * get_kind("flow").runner(_perturbed(cfg), no_crossover)(x)[0]))
    assert open_band[10:500].mean() > 0.1 * open_band[620:].mean()  # what the crossover removes


def test_training_through_the_registry_lowers_the_likelihood_loss_and_sampling_repeats(tmp_path, synthetic_pairs):
    from srlib.inference import SRModel
    from srlib.train import profile_config, train

    config = replace(profile_config("flow", "quick"), epochs=3, batch_size=8, patch_len=2048, stride=2048,
                     learning_rate=3e-3, arch={"group": 4, "flows": 2, "channels": 8, "layers": 2, "period": 1024})
    data = (synthetic_pairs(24, 2048), synthetic_pairs(8, 2048, seed=1))
    _, history = train(config, tmp_path / "flow", verbose=0, evaluate=False, pairs=data)
    assert history["loss"][-1] < history["loss"][0]
    m = SRModel(tmp_path / "flow")
    assert m.kind == "flow" and m.arch.group == 4 and m.multiple == 1024
    x_lr = (0.1 * np.sin(np.arange(1500) * 0.3)).astype("float32")
    a, b = m.upsample_lr(x_lr), m.upsample_lr(x_lr)
    assert a.shape == (6000,) and np.isfinite(a).all() and np.array_equal(a, b)
