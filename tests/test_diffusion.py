"""The conditional diffusion model (srlib.models.diffusion): its schedule, sampler, network and training."""

from dataclasses import replace

import numpy as np
import pytest

from srlib.models.diffusion import DiffusionConfig, abar, build_diffusion_net, ddim_sample, diffusion_reach


def test_the_schedule_falls_from_signal_to_noise():
    a = abar(np.linspace(0, 1, 11))
    assert a[0] > 0.999 and a[-1] < 1e-3 and np.all(np.diff(a) < 0)


@pytest.mark.parametrize("steps", [1, 4, 8])
def test_ddim_with_the_true_noise_recovers_the_residual_exactly(steps):
    """An oracle network (it returns the noise actually in r_t) makes every DDIM step land on the residual."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 512)).astype("float32")
    r = (0.3 * rng.standard_normal((2, 512))).astype("float32")
    noise = rng.standard_normal((2, 512)).astype("float32")
    sigmas = []

    def oracle(r_t, cond, sigma):
        np.testing.assert_array_equal(cond, x)
        s = float(sigma[0, 0])
        sigmas.append(s)
        return (r_t - np.sqrt(1 - s**2) * r) / s

    # exact up to float32: sigma travels as float32, and at t = 1 the step divides by sqrt(abar) = 0.01
    np.testing.assert_allclose(ddim_sample(oracle, x, noise, steps), r, rtol=2e-4, atol=2e-5)
    assert len(sigmas) == steps and sigmas == sorted(sigmas, reverse=True)


def test_an_untrained_network_predicts_zero_noise_and_takes_three_inputs():
    cfg = DiffusionConfig(channels=8, layers=3, cycle=2)
    net = build_diffusion_net(cfg)
    r = np.random.default_rng(0).standard_normal((2, 1024, 1)).astype("float32")
    out = np.asarray(net.predict_on_batch([r, r, np.full((2, 1), 0.5, "float32")]))
    assert out.shape == (2, 1024, 1) and np.abs(out).max() == 0  # the zero-initialised output layer
    assert diffusion_reach(cfg) == cfg.steps * (1 + 2 + 1) + cfg.crossover_taps // 2


def test_training_through_the_registry_lowers_the_loss_and_sampling_is_seeded(tmp_path, synthetic_pairs):
    from srlib.inference import SRModel
    from srlib.train import profile_config, train

    config = replace(profile_config("diffusion", "quick"), epochs=3, batch_size=8, patch_len=2048, stride=2048,
                     learning_rate=3e-3, arch={"channels": 8, "layers": 4, "cycle": 2, "steps": 3, "period": 1024})
    data = (synthetic_pairs(24, 2048), synthetic_pairs(8, 2048, seed=1))
    _, history = train(config, tmp_path / "diffusion", verbose=0, evaluate=False, pairs=data)
    assert history["loss"][-1] < history["loss"][0]
    m = SRModel(tmp_path / "diffusion")
    assert m.kind == "diffusion" and m.arch.steps == 3 and m.multiple == 1024
    x_lr = (0.1 * np.sin(np.arange(1500) * 0.3)).astype("float32")
    a, b = m.upsample_lr(x_lr), m.upsample_lr(x_lr)
    assert a.shape == (6000,) and np.isfinite(a).all() and np.array_equal(a, b)  # the noise table is fixed


@pytest.mark.parametrize("name", ["diffusion", "flow"])
def test_an_unknown_architecture_field_is_a_clear_error(name):
    from srlib.errors import ConfigError
    from srlib.models.registry import get_kind

    kind = get_kind(name)
    with pytest.raises(ConfigError, match="arch"):
        kind.architecture(replace(kind.profile("quick"), arch={"wings": 2}))
    assert kind.architecture(replace(kind.profile("quick"), sr_hz=44100)).sr_hz == 44100
