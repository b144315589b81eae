"""The registry of model kinds: the one table that names them.

Training, inference, the bench, ``srlib info``, ``srlib train --model`` and the
default method of ``srlib upsample`` ask this table; none of them branches on a
kind's name. Adding a kind is its module (a :class:`~srlib.models.kind.ModelKind`
subclass beside its network), one entry in :data:`KINDS` and its tests.

Each entry carries the kind's training profiles: ``quick`` trains in seconds
(CI, learners), ``full`` is the run whose weights ship (the shipped model's
``command.txt`` names it).

>>> from srlib.models.registry import get_kind, kind_names
>>> kind_names()
('unet', 'gan', 'spectral', 'spectral-gan', 'tfilm', 'afilm', 'diffusion', 'flow', 'frame', 'frame-gan')
>>> get_kind("gan").profile("full").init
'unet'
"""

from __future__ import annotations

from ..errors import ConfigError
from .diffusion import DiffusionKind
from .flow import FlowKind
from .frame import FrameGANKind, FrameKind
from .gan import GANKind
from .kind import ModelKind
from .spectral import SpectralGANKind, SpectralKind
from .unet import AFiLMKind, TFiLMKind, UNetKind

__all__ = ["KINDS", "DEFAULT_KINDS", "DIAGRAMS", "get_kind", "kind_names", "registered", "shipped_aliases"]

_QUICK = dict(epochs=2, quick_data=True, max_clips=24, patch_len=4096, stride=4096)
#: The frame GAN's discriminators and weights: the reconstruction is frame_loss, so not the U-Net GAN's MSE and STFT.
_FRAME_GAN = {"mse_weight": 0.0, "stft_weight": 0.0, "periods": [2, 3, 5, 7, 11]}

#: Every kind srlib can train and load, by the name ``config.json`` and ``--model`` use.
KINDS: dict[str, ModelKind] = {k.name: k for k in (
    # The recorded speech, 4 epochs of 4.2 h (7,312 steps; the letters' 24 epochs were 5,040):
    # the validation loss was flat from the first epoch on (6.363e-4 to 6.362e-4), so more passes
    # buy little at this size. On the letters, 24 epochs at 1e-3 had beaten 16 at 3e-4. A random
    # anti-aliasing filter per clip costs a little on Chebyshev-made inputs but is what makes the
    # model safe on real files: trained on Chebyshev alone, the same network fell from +0.5 dB
    # above the spline to 21-24 dB *below* it on elliptic, FIR and soxr-made inputs.
    UNetKind(
        name="unet", arch_key="unet", shipped="unet-speech-16k-r4",
        summary="the AudioUNet of Kuleshov et al. 2017 (waveform MSE)",
        profiles={"quick": _QUICK, "full": dict(corpus="recorded-speech", epochs=4, learning_rate=1e-3,
                                                  filter="random", stride=8192)}),
    # The GAN fine-tunes the shipped U-Net; Adam(beta_1=0.5, beta_2=0.9) for both players
    # at a step ten times smaller than the U-Net's from-scratch one. One epoch of the recorded
    # corpus (29,248 patches) is about as many steps as the 8 epochs it once ran on the letters.
    GANKind(
        name="gan", arch_key="unet", shipped="gan-speech-16k-r4",
        summary="the U-Net fine-tuned against STFT and waveform discriminators",
        profiles={"quick": {**_QUICK, "epochs": 1, "init": "unet", "learning_rate": 1e-4},
                  "full": dict(init="unet", corpus="recorded-speech", epochs=1, learning_rate=1e-4, filter="random",
                               stride=8192)}),
    # The spectral model trains from scratch (its residual starts at the identity) at 1e-3, with
    # 8/16/32 channels: the default 16/32/64 costs four times the arithmetic (about 0.7 GMAC per
    # forward pass of an 8,192-sample patch at 44.1 kHz), which on 2 CPU cores made one epoch of
    # the music corpus take longer than a quarter of an hour.
    SpectralKind(
        name="spectral", arch_key="spectral",
        summary="a 2-D U-Net on the log-magnitude STFT, played with a Griffin-Lim phase",
        profiles={"quick": {**_QUICK, "learning_rate": 1e-3, "arch": {"filters": [8, 16, 32]}},
                  "full": dict(epochs=3, learning_rate=1e-3, filter="random", arch={"filters": [8, 16, 32]})}),
    # The phase-aware generator: a spectral model (``init``; an untrained one starts at the spline
    # with mirrored phase) and its waveform stage, trained against the GAN's discriminators.
    SpectralGANKind(
        name="spectral-gan", arch_key="spectral",
        summary="the phase-aware spectral generator (spectral model + waveform stage), trained as a GAN",
        profiles={"quick": {**_QUICK, "epochs": 1, "learning_rate": 1e-4, "arch": {"filters": [8, 16, 32]}},
                  "full": dict(epochs=2, learning_rate=1e-4, filter="random", arch={"filters": [8, 16, 32]})}),
    # The reading list's feature-wise modulation: the U-Net's preset, loss and recipe, with a FiLM layer
    # after every down and up block (blocks of 256 input samples). No weights ship: the course trains them.
    TFiLMKind(
        name="tfilm", arch_key="unet",
        summary="the U-Net with temporal FiLM: an LSTM over blocks modulates every block (Birnbaum et al. 2019)",
        profiles={"quick": _QUICK, "full": dict(epochs=24, learning_rate=1e-3, filter="random")}),
    AFiLMKind(
        name="afilm", arch_key="unet",
        summary="the U-Net with attention FiLM: self-attention over blocks modulates every block (Rakotonirina 2021)",
        profiles={"quick": _QUICK, "full": dict(epochs=24, learning_rate=1e-3, filter="random")}),
    # NU-Wave's idea (a conditional diffusion model, 8 DDIM steps) on the spline's residual, DiffWave-style
    # layers 32 wide; trained on the real recordings like the frame model. No weights ship.
    DiffusionKind(
        name="diffusion", arch_key="diffusion",
        summary="a conditional diffusion model of the residual (NU-Wave's idea): eps-prediction, 8 DDIM steps",
        profiles={"quick": {**_QUICK, "learning_rate": 1e-3},
                  "full": dict(corpus="recorded-speech", epochs=4, learning_rate=1e-3, filter="random", stride=8192)}),
    # WSRGlow's idea (a conditional Glow) on the spline's residual: 6 steps of a 1x1 convolution and an affine
    # coupling over groups of 8 samples, sampled at temperature 0.5. No weights ship.
    FlowKind(
        name="flow", arch_key="flow",
        summary="a conditional normalizing flow of the residual (WSRGlow's idea), trained by maximum likelihood",
        profiles={"quick": {**_QUICK, "learning_rate": 1e-3},
                  "full": dict(corpus="recorded-speech", epochs=4, learning_rate=1e-3, filter="random", stride=8192)}),
    # The frame-level model (AP-BWE's idea sized for 2 CPU cores), meant for the real-recording
    # corpora (--corpus recorded-speech): patches without overlap keep 5 hours of speech in 2.6 GB.
    # On a 1.3 h slice, held-out ktuberling clips: the waveform term at weight 100 (frame_loss)
    # cost 0.35 dB of SNR against the better baseline where weight 0 cost 0.94 dB, for LSD
    # 1.35 instead of 1.21 (sinc 4.82).
    FrameKind(
        name="frame", arch_key="frame", shipped="frame-speech-16k-r4",
        summary="ConvNeXt blocks over STFT frames with an exact low-band crossover and level normalisation",
        profiles={"quick": {**_QUICK, "learning_rate": 1e-3},
                  "full": dict(corpus="recorded-speech", epochs=10, learning_rate=1e-3, filter="random", stride=8192)}),
    # The frame model's GAN variant: the shipped versatile generator fine-tuned with its own loss plus
    # the GAN's adversarial and feature-matching terms, against the STFT and waveform discriminators
    # and HiFi-GAN's multi-period ones; both players at a tenth of the frame model's step.
    FrameGANKind(
        name="frame-gan", arch_key="frame",
        summary="the frame model fine-tuned against STFT, waveform and multi-period discriminators",
        profiles={"quick": {**_QUICK, "epochs": 1, "init": "frame-speech-16k-4to12k", "input_rates_hz": [4000, 12000],
                            "learning_rate": 1e-4, "gan": _FRAME_GAN},
                  "full": dict(init="frame-speech-16k-4to12k", input_rates_hz=[4000, 12000], corpus="recorded-speech",
                               epochs=1, learning_rate=1e-4, filter="random", stride=8192, gan=_FRAME_GAN)}),
)}

#: Kinds whose shipped model ``srlib upsample`` uses by default where its rates fit, in order of preference.
DEFAULT_KINDS = ("frame",)

#: What :func:`srlib.diagrams.architecture_figure` draws for a kind: (the network's drawing, "u-net", "frames",
#: "spectrogram", "glow" or "denoising"; whether discriminators train it). TFiLM and AFiLM are the U-Net with
#: modulation layers.
DIAGRAMS = {"unet": ("u-net", False), "tfilm": ("u-net", False), "afilm": ("u-net", False),
            "gan": ("u-net", True), "frame": ("frames", False), "frame-gan": ("frames", True),
            "spectral": ("spectrogram", False), "flow": ("glow", False), "diffusion": ("denoising", False)}


def get_kind(name: str) -> ModelKind:
    """The registered kind called ``name``; a :class:`~srlib.errors.ConfigError` names the known ones."""
    try:
        return KINDS[name]
    except KeyError:
        raise ConfigError(f"model kind: got {name!r}; expected one of {', '.join(KINDS)}") from None


def kind_names() -> tuple:
    """The registered kinds' names, in registry order."""
    return tuple(KINDS)


def registered(kind_class: type) -> ModelKind:
    """The registered kind of exactly this class (how a kind's own module finds its name)."""
    for kind in KINDS.values():
        if type(kind) is kind_class:
            return kind
    raise ConfigError(f"{kind_class.__name__}: not a registered model kind")


def shipped_aliases() -> dict:
    """``--model`` alias -> shipped folder name, for every kind that ships a model (``{"unet": "unet-speech-16k-r4", ...}``)."""
    return {name: kind.shipped for name, kind in KINDS.items() if kind.shipped}
