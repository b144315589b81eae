"""TFiLM and AFiLM: the U-Net with feature-wise modulation by blocks (srlib.models.layers.BlockFiLM)."""

from dataclasses import replace

import numpy as np
import pytest

from srlib.errors import ConfigError
from srlib.models.unet import PRESETS, UNetConfig, build_unet


@pytest.mark.parametrize("mode", ["lstm", "attention"])
def test_a_film_layer_starts_as_the_identity_and_modulates_whole_blocks(mode):
    from srlib.models.layers import BlockFiLM

    x = np.random.default_rng(0).standard_normal((2, 64, 8)).astype("float32")
    layer = BlockFiLM(16, mode=mode)
    np.testing.assert_allclose(np.asarray(layer(x)), x, atol=1e-6)  # zero-initialised gamma and beta
    rng = np.random.default_rng(1)
    layer.gamma.kernel.assign(0.5 * rng.standard_normal(layer.gamma.kernel.shape).astype("float32"))
    y = np.asarray(layer(x))
    scale = (y / x).reshape(2, 4, 16, 8)  # beta is still zero: y = (1 + gamma_block) x
    assert np.abs(scale - scale[:, :, :1]).max() < 1e-4  # one scale per block and channel
    assert np.abs(scale[:, :, 0] - 1).max() > 1e-2  # and not the identity any more


def test_film_configs_are_checked_and_a_plain_unet_config_is_unchanged():
    tiny = PRESETS["tiny"]
    assert "film" not in tiny.to_dict()
    tfilm = replace(tiny, film="lstm", film_block=64)
    assert UNetConfig.from_dict(tfilm.to_dict()) == tfilm and tfilm.multiple == 64
    for bad in (dict(film="gru"), dict(film="lstm", film_block=96), dict(film="lstm", film_block=2)):
        with pytest.raises(ConfigError, match="film"):
            replace(tiny, **bad)


@pytest.mark.parametrize("mode", ["lstm", "attention"])
def test_an_untrained_film_unet_returns_its_input(mode):
    model = build_unet(replace(PRESETS["tiny"], film=mode))
    assert any(layer.name == "down0_film" for layer in model.layers)
    x = np.random.default_rng(0).standard_normal((2, 1024, 1)).astype("float32")
    np.testing.assert_allclose(np.asarray(model(x)), x, atol=1e-6)  # the U-Net's zero last layer


@pytest.mark.parametrize("name", ["tfilm", "afilm"])
def test_training_a_film_kind_through_the_registry_lowers_the_loss(tmp_path, synthetic_pairs, name):
    from srlib.inference import SRModel
    from srlib.train import profile_config, train

    config = replace(profile_config(name, "quick"), preset="tiny", epochs=3, batch_size=8, patch_len=2048,
                     stride=2048, learning_rate=3e-3)
    data = (synthetic_pairs(24, 2048), synthetic_pairs(8, 2048, seed=1))
    _, history = train(config, tmp_path / name, verbose=0, evaluate=False, pairs=data)
    assert history["loss"][-1] < history["loss"][0]
    m = SRModel(tmp_path / name)
    assert m.kind == name and m.arch.film == {"tfilm": "lstm", "afilm": "attention"}[name] and m.runtime == "keras"
    assert m.upsample_lr(np.zeros(1000, "float32") + 1e-3).shape == (4000,)
