"""Architecture diagrams: each family draws, and its labels carry the numbers of the configuration it was given."""

import json
import re
from dataclasses import replace

import matplotlib.pyplot as plt
import pytest

from srlib.diagrams import DRAWN_KINDS, architecture_figure
from srlib.errors import ConfigError
from srlib.models.card import ModelCard, shipped_models
from srlib.models.diffusion import DiffusionConfig
from srlib.models.flow import FlowConfig
from srlib.models.frame import FrameConfig
from srlib.models.gan import GANConfig
from srlib.models.registry import get_kind
from srlib.models.spectral import PHASES, SpectralConfig
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
    with pytest.raises(ConfigError, match="kind: got 'spectral-gan'"):  # registered, but not drawn
        architecture_figure("spectral-gan")
    with pytest.raises(ConfigError, match="not a unet architecture"):
        architecture_figure("unet", {"channels": 64})
    with pytest.raises(ConfigError, match="expected None, a model name or folder"):
        architecture_figure("frame", 3)
    with pytest.raises(ConfigError, match="neither a shipped model"):
        architecture_figure("unet", "no-such-model")


def _first_shipped(kind):
    """The ``config.json`` and name of the first shipped model of ``kind`` (the default where none is named)."""
    cards = [ModelCard.read(path) for path in shipped_models().values()]
    card = next(card for card in cards if card.kind == kind)
    return card.config, card.name


def test_spectral_labels_carry_the_shipped_models_stft_levels_and_cutoff():
    cfg, name = _first_shipped("spectral")
    arch = SpectralConfig.from_dict(cfg["spectral"])
    text = _texts(architecture_figure("spectral"))
    assert f"Hann window {arch.n_fft}, hop {arch.hop}" in text and f"the first {arch.n_bins}" in text
    for i, f in enumerate(arch.filters):
        assert f"level {i}: Conv2D {f} filters 3×3" in text
        assert f"→ frames × {arch.n_bins // 2 ** i} bins × {f} channels" in text
    assert f"concatenated with level 0\n→ frames × {arch.n_bins} bins × {2 * arch.filters[0]} channels" in text
    assert f"c = {arch.cutoff_bin} ({arch.sr_hz / (2 * arch.ratio):g} Hz)" in text
    assert f"over bins {arch.cutoff_bin} to {arch.n_bins - 1}" in text
    assert all(f"{phase}:" in text for phase in PHASES) and "griffin_lim: from mirror" in text
    assert name in text


def test_a_given_spectral_config_changes_the_drawing():
    arch = SpectralConfig(n_fft=256, hop=64, filters=(4, 12), sr_hz=22050, ratio=2)
    text = _texts(architecture_figure("spectral", arch))
    assert "Hann window 256, hop 64" in text and "129 bins" in text
    assert "level 0: Conv2D 4 filters" in text and "then Conv2D 12 filters" in text and "level 2" not in text
    assert "up 0:" in text and "up 1:" not in text
    assert "c = 64 (5512.5 Hz)" in text and "n samples at 22050 Hz" in text
    assert "parameters" not in text  # the shipped model's count is not this architecture's


def test_flow_labels_carry_its_config():
    arch = get_kind("flow").architecture(get_kind("flow").profile("full"))
    text = _texts(architecture_figure("flow"))
    half = arch.group // 2
    assert f"n/{arch.group} steps × {arch.group} channels" in text and f"W: {arch.group} × {arch.group}" in text
    assert f"a = channels 1 to {half} pass" in text and f"b = channels {half + 1} to {arch.group}" in text
    assert f"× {arch.flows} steps" in text and f"Conv1D to {arch.channels} channels" in text
    assert f"{arch.layers} dilated Conv1D" in text and f"temperature T = {arch.temperature:g}" in text
    assert f"{arch.period} samples" in text and f"high-pass of {arch.crossover_taps} taps" in text
    assert "full training profile" in text  # no flow ships


def test_a_given_flow_config_changes_the_drawing():
    arch = replace(FlowConfig(), group=4, flows=3, layers=2, temperature=0.8, crossover_taps=0)
    text = _texts(architecture_figure("flow", arch))
    assert "n/4 steps × 4 channels" in text and "× 3 steps" in text and "dilations 1-2)" in text
    assert "T = 0.8" in text and "no crossover" in text and "high-pass" not in text


def test_diffusion_labels_carry_its_config():
    arch = get_kind("diffusion").architecture(get_kind("diffusion").profile("full"))
    text = _texts(architecture_figure("diffusion"))
    dilations = "-".join(str(2 ** (i % arch.cycle)) for i in range(arch.layers))
    assert f"{arch.layers} residual layers, dilations {dilations} (a cycle of {arch.cycle})" in text
    assert f"to {2 * arch.channels} channels" in text and f"Dense {4 * arch.channels}" in text
    assert f"{arch.steps} DDIM steps" in text and f"× {arch.steps} steps" in text
    assert f"{arch.period} samples" in text and f"/ √{arch.layers}" in text


def test_a_diffusion_model_folder_is_drawn_with_its_own_numbers(tmp_path):
    """What chapter 9 does: the model it just trained, drawn from the ``config.json`` of its folder."""
    folder = tmp_path / "small-diffusion"
    folder.mkdir()
    arch = DiffusionConfig(channels=16, layers=6, cycle=3, steps=4)
    (folder / "config.json").write_text(json.dumps({"kind": "diffusion", "diffusion": arch.to_dict(),
                                                    "sr_hz": 16000, "ratio": 4, "n_params": 12345}))
    (folder / "model.weights.h5").write_bytes(b"")
    text = _texts(architecture_figure("diffusion", folder))
    assert "6 residual layers, dilations 1-2-4-1-2-4 (a cycle of 3)" in text and "4 DDIM steps" in text
    assert "Dense 64, Dense 16" in text and "small-diffusion; 12,345 parameters" in text
    with pytest.raises(ConfigError, match="is a 'diffusion' model; expected a 'flow' one"):
        architecture_figure("flow", folder)
