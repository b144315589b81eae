"""Architecture diagrams: each family draws, and its labels carry the numbers of the configuration it was given."""

import json
import re

import matplotlib.pyplot as plt
import pytest

from srlib.diagrams import DRAWN_KINDS, architecture_figure
from srlib.errors import ConfigError
from srlib.models.card import ModelCard, shipped_models
from srlib.models.frame import FrameConfig
from srlib.models.gan import GANConfig
from srlib.models.registry import get_kind
from srlib.models.unet import PRESETS


def _texts(fig) -> str:
    return "\n".join(t.get_text() for ax in fig.axes for t in ax.texts)


def _shipped(kind):
    return ModelCard.read(shipped_models()[get_kind(kind).shipped]).config


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("kind", list(DRAWN_KINDS))
def test_every_drawn_kind_draws_boxes_and_arrows(kind):
    fig = architecture_figure(kind)
    ax = fig.axes[0]
    assert len(ax.texts) >= 8 and len(ax.patches) >= 12
    assert kind in _texts(fig)


def test_unet_labels_carry_the_shipped_models_filters_and_kernels():
    unet = _shipped("unet")["unet"]
    text = _texts(architecture_figure("unet"))
    for i, (f, k) in enumerate(zip(unet["filters"], unet["kernels"])):
        assert f"down {i}: Conv1D {f} filters, kernel {k}" in text
        assert f"up {i}: Conv1D {2 * f} filters, kernel {k}" in text  # before the subpixel shuffle halves it
    assert f"bottleneck: Conv1D {unet['filters'][-1]} filters" in text
    assert str(unet["filters"][0]) in text and "skip (concatenate)" in text
    assert get_kind("unet").shipped in text  # the figure names where its numbers came from


def test_a_given_unet_config_changes_the_drawing():
    paper = PRESETS["paper"]
    text = _texts(architecture_figure("unet", paper))
    assert f"down 0: Conv1D {paper.filters[0]} filters, kernel {paper.kernels[0]}" in text
    assert f"down {paper.depth}:" not in text and f"down {paper.depth - 1}:" in text
    assert "parameters" not in text  # the shipped model's count does not describe another architecture
    assert "starts from" not in _texts(architecture_figure("gan", paper))  # nor its starting point
    # an architecture as a dict
    small = _texts(architecture_figure("unet", {"filters": [8, 16], "kernels": [9, 9]}))
    assert re.findall(r"^down (\d):", small, re.M) == ["0", "1"] and "Conv1D 8 filters" in small


def test_gan_draws_the_generator_and_every_sub_discriminator():
    cfg = _shipped("gan")
    gan = GANConfig.from_dict({**GANConfig().to_dict(), **cfg["gan"]})
    text = _texts(architecture_figure("gan"))
    assert str(cfg["unet"]["filters"][0]) in text and "-".join(map(str, cfg["unet"]["filters"])) in text
    for n_fft, hop in gan.stft_sizes:
        assert f"n_fft {n_fft}, hop {hop}" in text
    assert text.count("waveform D:") == gan.wave_scales
    assert f"from {gan.stft_channels} channels" in text
    assert f"{gan.mse_weight:g} MSE" in text and f"{gan.fm_weight:g} feature matching" in text


def test_frame_gan_draws_the_period_discriminators_and_its_own_reconstruction():
    text = _texts(architecture_figure("frame-gan"))
    periods = get_kind("frame-gan").profile("full").gan["periods"]
    for p in periods:
        assert f"period D: p = {p}\n" in text
    assert "frame_loss" in text and "MSE" not in text  # the frame GAN's MSE and STFT weights are 0
    custom = _texts(architecture_figure("frame-gan", GANConfig(stft_sizes=(), wave_scales=1, periods=(3,))))
    assert "period D: p = 3" in custom and "STFT D" not in custom and custom.count("waveform D:") == 1
    assert "discriminators" not in custom.splitlines()[1]  # the shipped discriminators' count is not theirs


def test_frame_labels_carry_the_shipped_models_stft_and_network():
    frame = _shipped("frame")["frame"]
    text = _texts(architecture_figure("frame"))
    assert f"Hann window {frame['n_fft']}, hop {frame['hop']}" in text
    assert f"{frame['n_fft'] // 2 + 1} bins" in text
    assert f"Dense → {frame['channels']} channels" in text
    assert f"{frame['blocks']} ConvNeXt blocks" in text and f"convolution of {frame['kernel']} frames" in text
    assert f"ramp over {frame['transition_bins']} bins" in text
    assert f"cutoff bin c = {frame['n_fft'] // (2 * frame['ratio'])}" in text


def test_a_versatile_calibrated_frame_model_shows_its_rates_and_gains(tmp_path):
    cfg = FrameConfig(input_rates_hz=(4000, 12000), band_gains=((4000, 0.3, 1.0), (10000, 0.1, 0.1)))
    text = _texts(architecture_figure("frame", cfg))
    assert "input rates 4000 to 12000 Hz" in text
    assert f"from {cfg.cutoff_bin_for(4000)} (2000 Hz) to {cfg.cutoff_bin_for(12000)} (6000 Hz)" in text
    assert "from 4000 Hz: 0.3" in text and "from 10000 Hz: 0.1 (edge 0.1)" in text


def test_a_model_folder_is_read_and_must_be_of_the_kind(tmp_path):
    source = shipped_models()[get_kind("frame").shipped]
    folder = tmp_path / "my-frame"
    folder.mkdir()
    config = json.loads((source / "config.json").read_text())
    config["frame"]["channels"] = 48
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "model.weights.h5").write_bytes(b"")
    text = _texts(architecture_figure("frame", folder))
    assert "Dense → 48 channels" in text and "my-frame" in text
    with pytest.raises(ConfigError, match="is a 'frame' model; expected a 'unet' one"):
        architecture_figure("unet", folder)


def test_unknown_kinds_and_configs_raise_config_error():
    with pytest.raises(ConfigError, match="kind: got 'transformer'; architecture_figure draws unet"):
        architecture_figure("transformer")
    with pytest.raises(ConfigError, match="kind: got 'diffusion'"):  # registered, but not drawn
        architecture_figure("diffusion")
    with pytest.raises(ConfigError, match="not a unet architecture"):
        architecture_figure("unet", {"channels": 64})
    with pytest.raises(ConfigError, match="expected None, a model name or folder"):
        architecture_figure("frame", 3)
    with pytest.raises(ConfigError, match="neither a shipped model"):
        architecture_figure("unet", "no-such-model")
