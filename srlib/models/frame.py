"""A frame-level bandwidth-extension model: frequency bins as channels, ConvNeXt blocks over STFT frames.

The fastest strong bandwidth-extension systems of recent years (AP-BWE, Lu et
al. 2024; Vocos-style vocoders) do not run at the sample rate: they take an
STFT, treat its bins as the channels of a 1-D signal at the *frame* rate (one
step per hop of ``hop`` samples) and run a stack of ConvNeXt blocks along
time. A second of 16 kHz audio is 125 frames at hop 128 instead of 16,000
samples, so the arithmetic per second of audio falls by one to two orders of
magnitude against a sample-rate U-Net.

This module holds our CPU-sized version (:class:`srlib.models.frame_layers.FrameBandwidthExtension`
has the chain in detail):

- **input**: the STFT of the interpolated low-rate signal, as per-frame
  level-normalised log-magnitudes and the input band's phase;
- **output**: a log-magnitude and a phase correction for every bin (the phase
  as ``atan2`` of two linear heads, added to the mirrored input phase), then
  an inverse STFT;
- **crossover**: below the input's cutoff the output is the input's own
  spectrum, exactly (a short linear transition of ``transition_bins`` bins up
  to the cutoff), so the model can only add a band, never damage the one that
  was recorded;
- **level-robust**: features are relative to each frame's level and the
  predicted band is scaled back to it, so a quiet recording and a loud one
  give the same relative band (training also draws a random gain);
- **versatile** (``input_rates_hz``): the cutoff bin becomes a second input, one per example,
  and the training pairs draw an input rate per clip, so one network serves every input rate
  of a range (LISA's idea of training over random scales, Kim et al. 2022);
- **losses** (:func:`frame_loss`): the high band's log-magnitude L1, the
  multi-resolution STFT loss, and the anti-wrapping phase losses of AP-BWE on
  the high band: instantaneous phase, group delay (phase difference across
  bins) and instantaneous angular frequency (across frames), each through
  ``f(d) = |d - 2 pi round(d / 2 pi)|`` so that a difference of a whole turn
  costs nothing.

Nothing here imports Keras at import time; the layer lives in :mod:`srlib.models.frame_layers`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from ..data import make_dataset
from ..errors import ConfigError
from ..extras import lazy
from ..losses import STFT_SIZES, magnitude, stft_loss
from .frame_numpy import BLOCKS_NAME, NPZ_NAME, FrameForward, export_frame, export_frame_blocks
from .gan import compile_gan
from .kind import STFTKind

#: :mod:`srlib.models.frame_layers` imports Keras: loaded when a network is first built (:func:`srlib.extras.lazy`).
blocks = lazy("srlib.models.frame_layers")

__all__ = ["FrameConfig", "build_frame_model", "frame_macs_per_second", "frame_reach", "frame_loss", "anti_wrapping",
           "FrameKind", "FrameGANKind"]


@dataclass(frozen=True)
class FrameConfig:
    """Architecture and STFT of the frame-level model (saved in ``config.json``).

    Attributes
    ----------
    sr_hz, ratio : int
        Output rate in Hz and up-sampling factor: the cutoff bin is ``n_fft / (2 ratio)``.
    n_fft, hop : int
        STFT size and hop in samples at ``sr_hz``.
    channels : int
        Width of the frame-rate network.
    blocks : int
        ConvNeXt blocks.
    kernel : int
        Depthwise kernel of each block, in frames.
    transition_bins : int
        Width of the crossover ramp below the cutoff bin.
    eps : float
        Added to each frame's mean input-band magnitude (an all-zero frame stays finite).
    floor : float
        The features' floor under each frame's mean input-band magnitude (1e-3: -60 dB): bins
        below it read as the floor, not as the rounding noise of a float32 FFT.
    input_rates_hz : (low, high) or None
        A *versatile* model: it takes any input rate from ``low`` to ``high`` Hz (the cutoff
        ``rate / 2`` is the network's second input, :meth:`cutoff_bin_for`), and ``ratio`` is
        ``sr_hz / low``. None: the one input rate ``sr_hz / ratio``.
    band_gain : float
        Scales the magnitude of the band the model adds, from the cutoff bin up (1: as trained). Set
        after training by :func:`srlib.calibration.calibrate_band_gain` (``srlib calibrate``), never
        trained with: a network trained with another gain would learn to undo it.
    edge_gain : float
        Scales the transition bins below the cutoff, where the model rebuilds the edge of the
        recorded band that the anti-aliasing filter rolled off (1: rebuilt as trained). The
        calibration keeps 1 or scales the edge with the band (``band_gain``): the rebuilt edge helps
        above a 2 kHz cutoff in speech and costs SNR above a 5 kHz one, or a 13 kHz one in music.
    upper_gain : float
        Scales, on top of the band gain, the added band from twice the cutoff frequency up (bins from
        ``2 c``): the band's first octave continues what was recorded, and above it the model guesses
        more (1: as trained). ``srlib calibrate --upper-gains`` chooses it; on validation speech at 4 kHz
        the default model's band above 4 kHz lowered a listener-trained measure that its band below
        4 kHz raised.
    image_gain : float
        Adds, beside the model's band, this share of the spline interpolation's *images*: what the
        spline of the input holds above the input's Nyquist frequency, the input band mirrored as
        aliasing mirrors it (:func:`srlib.interpolate.spline_images`; 0: none, as trained). Not the
        network's: :meth:`srlib.inference.SRModel.upsample_lr` adds it to the network's output.
        ``srlib calibrate --image-gains`` chooses it; on the default model's validation clips at 4-6 kHz,
        all of the images raised DNSMOS P.808 from 2.682 to 2.732 (sinc 2.659) at a cost of 0.03
        PESQ-WB and 0.08 dB SNR (its ``config.json``'s ``calibration``).
    band_gains : ((rate_hz, gain, edge_gain[, upper_gain[, image_gain]]), ...) or None
        A versatile model's gains by input rate, rates ascending: an input at ``r`` Hz gets the gains
        of the last entry whose rate is at most ``r`` (``band_gain``, ``edge_gain``, ``upper_gain`` and
        ``image_gain`` below the first). Set by ``srlib calibrate``, one entry per span of the input
        range (the band a model adds above a 5 kHz cutoff and above a 2 kHz one are not equally
        predictable); an entry of two, as written before edge gains, keeps the edge (1), one of three
        the upper band (1), and one of four adds no images (0). None: ``band_gain``, ``edge_gain``,
        ``upper_gain`` and ``image_gain`` at every rate.
    """

    sr_hz: int = 16000
    ratio: int = 4
    n_fft: int = 512
    hop: int = 128
    channels: int = 64
    blocks: int = 4
    kernel: int = 7
    transition_bins: int = 8
    eps: float = 1e-7
    floor: float = 1e-3
    input_rates_hz: tuple | None = None
    band_gain: float = 1.0
    edge_gain: float = 1.0
    upper_gain: float = 1.0
    image_gain: float = 0.0
    band_gains: tuple | None = None

    def __post_init__(self):
        if self.input_rates_hz is not None:  # JSON gives a list; a tuple keeps the config hashable and comparable
            object.__setattr__(self, "input_rates_hz", tuple(int(r) for r in self.input_rates_hz))
        if self.band_gains is not None:
            steps = tuple((int(r), float(g), float(more[0]) if more else 1.0, float(more[1]) if len(more) > 1 else 1.0,
                           float(more[2]) if len(more) > 2 else 0.0) for r, g, *more in self.band_gains)
            if [r for r, *_ in steps] != sorted({r for r, *_ in steps}):
                raise ConfigError(f"band_gains: rates must ascend, got {[r for r, *_ in steps]}")
            object.__setattr__(self, "band_gains", steps)

    @property
    def gain_steps(self) -> tuple:
        """The gains as a step function of the cutoff bin: ((first bin, band gain, edge gain, upper gain, image
        gain), ...), ascending; the first entry starts at bin 0 with ``band_gain``, ``edge_gain``, ``upper_gain``
        and ``image_gain``. The Keras layer and the NumPy pass both read it."""
        return ((0, float(self.band_gain), float(self.edge_gain), float(self.upper_gain), float(self.image_gain)),
                *((self.cutoff_bin_for(r), *gains) for r, *gains in (self.band_gains or ())))

    def gain_for_bin(self, c: int) -> tuple:
        """(band gain, edge gain, upper gain) of an input whose cutoff bin is ``c`` (:attr:`gain_steps`).

        >>> cfg = FrameConfig(input_rates_hz=(4000, 12000), band_gain=0.3,
        ...                   band_gains=((4000, 0.3, 1.0), (10000, 0.1, 0.1, 0.5)))
        >>> cfg.gain_for_bin(176), cfg.gain_for_bin(64)
        ((0.1, 0.1, 0.5), (0.3, 1.0, 1.0))
        """
        return next((g, edge, upper) for first, g, edge, upper, _ in reversed(self.gain_steps) if c >= first)

    def image_gain_for(self, low_sr_hz: float | None) -> float:
        """The image gain (:attr:`image_gain`) of an input at ``low_sr_hz`` (None: the lowest input rate).

        >>> FrameConfig(input_rates_hz=(4000, 12000), band_gains=((4000, 0.5, 1.0, 1.0, 0.5), (8000, 0.3))
        ...             ).image_gain_for(7000)
        0.5
        """
        c = self.cutoff_bin_for(low_sr_hz)
        return next(image for first, *_, image in reversed(self.gain_steps) if c >= first)

    @property
    def calibrated(self) -> bool:
        """Whether any gain differs from what was trained (1, and no images)."""
        return any(g != 1.0 or edge != 1.0 or upper != 1.0 or image for _, g, edge, upper, image in self.gain_steps)

    @property
    def images(self) -> bool:
        """Whether any input rate gets images (:attr:`image_gain`)."""
        return any(image for *_, image in self.gain_steps)

    def uncalibrated(self) -> "FrameConfig":
        """This architecture with the band as trained: the gains are inference-only."""
        return replace(self, band_gain=1.0, edge_gain=1.0, upper_gain=1.0, image_gain=0.0, band_gains=None)

    @property
    def versatile(self) -> bool:
        """Whether the model takes a range of input rates (:attr:`input_rates_hz`)."""
        return self.input_rates_hz is not None

    @property
    def cutoff_bin(self) -> int:
        """First bin at the lowest input rate's Nyquist frequency: ``n_fft / (2 ratio)``, rounded down."""
        return self.n_fft // (2 * self.ratio)

    def cutoff_bin_for(self, low_sr_hz: float | None) -> int:
        """First bin at ``low_sr_hz / 2``: ``floor(n_fft low_sr_hz / (2 sr_hz))`` (the bins below are the input's);
        None: the lowest input rate's, :attr:`cutoff_bin`.

        >>> FrameConfig(input_rates_hz=(4000, 12000)).cutoff_bin_for(11025)
        176
        """
        if low_sr_hz is None:
            return self.cutoff_bin
        return int(self.n_fft * low_sr_hz // (2 * self.sr_hz))

    def to_dict(self) -> dict:
        d = asdict(self)
        for key, trained in (("band_gain", 1.0), ("edge_gain", 1.0), ("upper_gain", 1.0), ("image_gain", 0.0)):
            if d[key] == trained:  # the configs written before calibration (or edge, upper or image gains) stay
                del d[key]
        if d["input_rates_hz"] is None:  # and before versatile models
            del d["input_rates_hz"]
        else:
            d["input_rates_hz"] = list(d["input_rates_hz"])
        if d["band_gains"] is None:  # and before gains by rate
            del d["band_gains"]
        else:
            d["band_gains"] = [list(step[:5 if step[4] else 4 if step[3] != 1.0 else 3]) for step in d["band_gains"]]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "FrameConfig":
        return cls(**d)


def gains_text(gain: float, edge_gain: float = 1.0, upper_gain: float = 1.0, image_gain: float = 0.0) -> str:
    """A calibrated gain as the card and ``srlib calibrate`` print it.

    >>> gains_text(0.25), gains_text(0.1, 0.1), gains_text(1.0, 1.0, 0.1), gains_text(0.5, 1.0, 1.0, 0.25)
    ('0.25', '0.1 (edge 0.1)', '1.0 (upper 0.1)', '0.5 (images 0.25)')
    """
    notes = [f"{name} {g}" for name, g, trained in (("edge", edge_gain, 1.0), ("upper", upper_gain, 1.0),
                                                    ("images", image_gain, 0.0)) if g != trained]
    return f"{gain}" + (f" ({', '.join(notes)})" if notes else "")


def frame_reach(config: FrameConfig) -> int:
    """One-sided reach in samples: ``blocks (kernel // 2)`` frames of context, a hop each, plus one window.

    >>> frame_reach(FrameConfig())
    2048
    """
    return config.blocks * (config.kernel // 2) * config.hop + config.n_fft


def frame_macs_per_second(config: FrameConfig) -> float:
    """Multiply-accumulates of the network per second of output audio (the FFTs not counted).

    Per frame: the projection ``F C`` (``F = n_fft / 2 + 1 + 2 cutoff_bin`` features; a versatile
    model's phase features span every bin, ``F = 3 (n_fft / 2 + 1) + 1``), each block
    ``kernel C + 8 C^2`` (depthwise convolution and the 4x MLP), and the three heads ``3 (n_fft / 2 + 1) C``;
    ``sr_hz / hop`` frames per second.

    >>> round(frame_macs_per_second(FrameConfig()) / 1e6, 1)
    25.9
    """
    nb, c = config.n_fft // 2 + 1, config.channels
    features = 3 * nb + 1 if config.versatile else nb + 2 * config.cutoff_bin
    per_frame = features * c + config.blocks * (config.kernel * c + 8 * c * c) + 3 * nb * c
    return per_frame * config.sr_hz / config.hop


def build_frame_model(config: FrameConfig | None = None):
    """The frame-level model: interpolated input (batch, n, 1) -> (batch, n, 1), ``n`` a multiple of ``hop``.

    One layer, :class:`srlib.models.frame_layers.FrameBandwidthExtension` (named ``frame``), holds the chain.
    A versatile model (``config.input_rates_hz``) has a second input, ``cutoff`` (batch, 1): each
    example's cutoff bin (:meth:`FrameConfig.cutoff_bin_for` its input rate), as float32.
    """
    import keras

    cfg = config or FrameConfig()
    if cfg.cutoff_bin <= cfg.transition_bins or cfg.n_fft % cfg.hop:
        raise ConfigError(f"frame model: n_fft {cfg.n_fft}, hop {cfg.hop}, ratio {cfg.ratio} leave no room for a "
                          f"{cfg.transition_bins}-bin crossover below the cutoff bin {cfg.cutoff_bin}, or hop does not "
                          "divide n_fft")
    inp = keras.Input((None, 1), name="x_in")
    if cfg.versatile:
        low, high = cfg.input_rates_hz
        if not (cfg.sr_hz // cfg.ratio == low < high < cfg.sr_hz):
            raise ConfigError(f"frame model: input_rates_hz {cfg.input_rates_hz} must rise from sr_hz / ratio "
                              f"({cfg.sr_hz // cfg.ratio} Hz) to below sr_hz ({cfg.sr_hz} Hz)")
        cutoff = keras.Input((1,), name="cutoff")
        return keras.Model([inp, cutoff], blocks.FrameBandwidthExtension(cfg, name="frame")(inp, cutoff), name="frame_bwe")
    out = blocks.FrameBandwidthExtension(cfg, name="frame")(inp)
    return keras.Model(inp, out, name="frame_bwe")


def anti_wrapping(d):
    """``|d - 2 pi round(d / 2 pi)|``: the distance of a phase difference ``d`` (radians) from whole turns."""
    from keras import ops

    return ops.abs(d - 2 * math.pi * ops.round(d / (2 * math.pi)))


#: The frame loss's waveform MSE weight where a run does not set one (TrainConfig.wave_weight).
WAVE_WEIGHT = 100.0


def frame_loss(config: FrameConfig, mag_weight: float = 1.0, stft_weight: float = 1.0, phase_weight: float = 0.3,
               wave_weight: float = WAVE_WEIGHT, stft_sizes=STFT_SIZES):
    """The frame model's training loss on waveforms (batch, n, 1): a Keras loss function.

    ``mag_weight L1(log|Y| - log|Y_hat|) + stft_weight STFT(y, y_hat) + phase_weight (IP + GD + IAF)
    + wave_weight MSE(y, y_hat)``,
    the L1 and the phase terms over the bins from the cutoff up (the band below is the
    input's), with the STFT of the model (``n_fft``, ``hop``, Hann, centred) and
    :func:`srlib.losses.stft_loss` over ``stft_sizes`` ((n_fft, hop) pairs in samples) for the
    multi-resolution term. Both signals are first divided
    by the target's RMS (per example), so the loss is invariant to a common gain on ``y`` and
    ``y_hat``: a clip at -40 dBFS counts as much as one at 0 dBFS.

    The MSE term trades band for SNR: where the model cannot know the original's phase, a band of
    the right magnitude adds its own power to the error, and silence adds none. The frame models
    shipped up to 2026-12 trained at a weight of 100; on validation clips of their training sources
    (4 -> 16 kHz, Chebyshev filter) a run at that weight added a band 23 dB under the original's
    after five epochs, and one at 0, 21 dB under it after one (19 dB after a short fine-tune of the
    first): the term lowers the band, but most of the shortfall comes from elsewhere.
    """
    from keras import ops

    c = config.cutoff_bin
    own = (config.n_fft, config.hop)

    def analyse(y):
        """The model's STFT of y: log-magnitude and phase from the cutoff bin up, and the whole floored magnitude
        (the multi-resolution term's at this size, where it has one: one STFT serves both)."""
        re, im = ops.stft(y[..., 0], sequence_length=config.n_fft, sequence_stride=config.hop,
                          fft_length=config.n_fft, window="hann", center=True)
        whole = magnitude(re, im)
        re, im = re[..., c:], im[..., c:]
        return ops.log(ops.sqrt(re * re + im * im + 1e-12)), ops.arctan2(im, re + 1e-9), whole

    def frame_loss(y_true, y_pred):
        # both scaled by the target's RMS, so the magnitude floors sit at the same level for every recording
        scale = ops.sqrt(ops.mean(ops.square(y_true), axis=1, keepdims=True)) + 1e-8
        y_true, y_pred = y_true / scale, y_pred / scale
        log_t, phi_t, m_t = analyse(y_true)
        log_p, phi_p, m_p = analyse(y_pred)
        mag = ops.mean(ops.abs(log_t - log_p))
        ip = ops.mean(anti_wrapping(phi_p - phi_t))
        gd = ops.mean(anti_wrapping((phi_p[..., 1:] - phi_p[..., :-1]) - (phi_t[..., 1:] - phi_t[..., :-1])))
        iaf = ops.mean(anti_wrapping((phi_p[:, 1:] - phi_p[:, :-1]) - (phi_t[:, 1:] - phi_t[:, :-1])))
        multi = stft_loss(y_true, y_pred, stft_sizes, known={own: (m_t, m_p)})
        total = mag_weight * mag + stft_weight * multi + phase_weight * (ip + gd + iaf)
        if wave_weight:  # the waveform error relative to the target's power: pulls towards what SNR rewards
            total = total + wave_weight * ops.mean(ops.square(y_true - y_pred))
        return total

    return frame_loss


def run_loss(config, arch: FrameConfig):
    """:func:`frame_loss` with a run's weights (``config`` a :class:`~srlib.models.train_config.TrainConfig`)."""
    wave = WAVE_WEIGHT if config.wave_weight is None else config.wave_weight
    return frame_loss(arch, wave_weight=wave, stft_sizes=config.stft_sizes())


class FrameKind(STFTKind):
    """The frame-level model trained on log-magnitude, multi-resolution STFT and phase losses, with random gain."""

    arch_class = FrameConfig
    gain_db = (-40.0, 0.0)
    input_rates = True
    tunables = ("band_gain", "edge_gain", "upper_gain", "image_gain", "band_gains")
    # a row of the light pass costs about 0.9 ms of fixed NumPy calls and 4,096 samples of margins: at 4 -> 16 kHz
    # on 2 cores, chunks of 65,536 run about 1.3 times as fast as 32,768 (a few MB a row)
    chunk_len = 65536

    def architecture(self, config):
        """The :class:`FrameConfig` of a run; ``config.input_rates_hz`` makes it versatile."""
        rates = tuple(config.input_rates_hz) if config.input_rates_hz else None
        return replace(super().architecture(config), input_rates_hz=rates)

    def calibration_text(self, calibration: dict) -> str:
        """The gains by span of input rate and pooled (a versatile model), or the one band gain chosen."""
        by_rate = "; ".join(f"from {rate} Hz {gains_text(*gains)}" for rate, *gains in calibration.get("band_gains") or ())
        pooled = gains_text(calibration["band_gain"], calibration.get("edge_gain", 1.0), calibration.get("upper_gain", 1.0),
                            calibration.get("image_gain", 0.0))
        rule = calibration.get("rule", "no_harm")  # calibrations before the listener rule have no key
        how = "srlib calibrate" + (f" --rule {rule}" if rule != "no_harm" else "")
        if by_rate:  # what the model uses; the pooled choice is the rule's answer for one gain at every rate
            return (f"calibrated ({how}) on {calibration['n_clips']} {calibration['split']} clips, band gain "
                    f"by input rate: {by_rate} (pooled over the rates: {pooled})")
        return f"calibrated ({how}): band_gain {pooled}, chosen on {calibration['n_clips']} {calibration['split']} clips"

    def build(self, arch: FrameConfig):
        return build_frame_model(arch)

    def init_fits(self, init, arch) -> bool:
        """A frame model of the same architecture; a calibrated one's gains (inference-only) are left behind."""
        own = init.arch
        return isinstance(own, FrameConfig) and own.uncalibrated() == arch.uncalibrated()

    def runner(self, network, arch: FrameConfig):
        """``run(windows, low_sr_hz=None)``: a versatile network is told the input rate's cutoff bin."""
        def run(windows, low_sr_hz=None):
            if not arch.versatile:
                return np.asarray(network.predict_on_batch(windows[..., None]))[..., 0]
            cutoff = np.full((len(windows), 1), arch.cutoff_bin_for(low_sr_hz), np.float32)
            return np.asarray(network.predict_on_batch([windows[..., None], cutoff]))[..., 0]

        return run

    def fit_data(self, train_pairs, val_pairs, config, arch: FrameConfig) -> dict:
        """The default datasets; a versatile run's carry each patch's cutoff bin as the second input."""
        if not arch.versatile:
            return super().fit_data(train_pairs, val_pairs, config, arch)
        def cutoffs(pairs):
            if pairs.low_sr_hz is None:
                raise ConfigError("a versatile frame model needs pairs made over a range of input rates "
                                  "(make_pairs(..., input_rates_hz=...))")
            return np.array([[arch.cutoff_bin_for(r)] for r in pairs.low_sr_hz], np.float32)

        return dict(x=make_dataset(train_pairs, config.batch_size, seed=config.seed, gain_db=self.gain_db,
                                   extra=cutoffs(train_pairs)),
                    validation_data=make_dataset(val_pairs, config.batch_size, shuffle=False, extra=cutoffs(val_pairs)),
                    shuffle=False)

    def reach(self, arch: FrameConfig) -> int:
        return frame_reach(arch)

    def export(self, network, arch, folder) -> None:
        """``model.npz`` (the NumPy pass's weights) and ``model.blocks.tflite`` (its ConvNeXt stack in LiteRT)."""
        export_frame(network, Path(folder) / NPZ_NAME)
        export_frame_blocks(network, Path(folder) / BLOCKS_NAME)

    def light_runner(self, arch, folder):
        """The NumPy forward pass (:class:`srlib.models.frame_numpy.FrameForward`) of the folder's ``model.npz``,
        its ConvNeXt stack in LiteRT where the folder has ``model.blocks.tflite``."""
        path = Path(folder) / NPZ_NAME
        if not path.exists():
            return None
        forward = FrameForward(arch, path, blocks=Path(folder) / BLOCKS_NAME)
        if not arch.versatile:
            return forward
        return lambda windows, low_sr_hz=None: forward(windows, arch.cutoff_bin_for(low_sr_hz))

    def compile(self, network, config, arch):
        import keras

        # clipnorm: the phase terms' atan2 has steep gradients where a bin is nearly silent
        network.compile(keras.optimizers.Adam(config.learning_rate, clipnorm=1.0), loss=run_loss(config, arch))
        return network, "val_loss", {}


class FrameGANKind(FrameKind):
    """The frame generator fine-tuned against discriminators: the frame model's GAN variant.

    The generator is the frame model's own network (same architecture, runners and NumPy
    pass), started from a trained frame model (``init``). Its loss is :func:`frame_loss` plus
    the adversarial and feature-matching terms of :mod:`srlib.models.gan` (multi-resolution
    STFT, waveform and multi-period discriminators). The patches keep their recorded level
    (no random gain): the generator is level-normalised inside, and the discriminators then
    judge audio at the level it is heard at.
    """

    gain_db = None

    def compile(self, network, config, arch):
        gan, monitor, meta = compile_gan(network, config, reconstruction=run_loss(config, arch))
        return gan, monitor, {**meta, "reconstruction": "frame_loss"}
