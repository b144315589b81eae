"""Every shipped model of a kind with a light runtime runs without TensorFlow and agrees with Keras.

The frame model's NumPy pass (``model.npz``, its ConvNeXt stack in LiteRT: ``model.blocks.tflite``) and the
LiteRT copy (``model.tflite``) of the U-Net, the GAN and the spectral model must give Keras's output within
1e-4 (relative RMS) on real speech: a read sentence from outside every corpus (CMU ARCTIC), at the recorded
level and 30 dB down, with a noise floor 50 dB under it. The sentence was recorded at 16 kHz: without the
floor, a music model's band edge (11 kHz for a 22.05 kHz input) would hold only rounding noise, whose
phases, which the model's crossover keeps, differ between two FFTs by chance (1.7e-4 there, all of it in
the 10-11 kHz edge at -73 dB).
"""

import numpy as np
import pytest

from srlib.data.arctic import arctic_sentence
from srlib.degrade import make_lowres
from srlib.inference import SRModel
from srlib.models.card import shipped_models
from srlib.models.registry import get_kind

FRAME_FILES = ("model.npz", "model.blocks.tflite")
LIGHT_FILES = {"frame": FRAME_FILES, "frame-gan": FRAME_FILES, "unet": ("model.tflite",), "gan": ("model.tflite",),
               "spectral": ("model.tflite",)}


def _shipped():
    out = []
    for name, folder in sorted(shipped_models().items()):
        kind = SRModel(folder, runtime="keras").kind
        if kind in LIGHT_FILES:
            out.append(pytest.param(folder, kind, id=name))
    return out


def test_the_kinds_with_a_light_runtime_are_the_expected_ones():
    assert all(get_kind(k).litert for k in ("unet", "gan", "spectral")) and not get_kind("spectral-gan").litert


@pytest.mark.parametrize("folder, kind", _shipped())
def test_a_shipped_model_runs_light_and_equals_keras_on_real_speech(folder, kind):
    for name in LIGHT_FILES[kind]:
        assert (folder / name).exists(), f"{name}: srlib train writes it; python -m srlib.models.export FOLDER too"
    light, keras_model = SRModel(folder), SRModel(folder, runtime="keras")
    assert light.runtime == "light"
    x = arctic_sentence(light.sr_hz)[: 3 * light.sr_hz]
    x = x + np.float32(np.sqrt(np.mean(x ** 2)) * 10 ** (-50 / 20)) * np.random.default_rng(0).standard_normal(
        len(x)).astype(np.float32)
    x_lr = make_lowres(x[: len(x) - len(x) % light.ratio], light.ratio)
    for gain in (1.0, 10 ** (-30 / 20)):
        a, b = keras_model.upsample_lr(gain * x_lr), light.upsample_lr(gain * x_lr)
        assert b.dtype == np.float32 and b.shape == a.shape
        assert np.sqrt(np.mean((a - b) ** 2) / np.mean(a ** 2)) < 1e-4, gain
