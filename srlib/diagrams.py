"""Block diagrams of the model families, drawn from their configurations: the U-Net, the GAN, the frame model,
the spectral model, the flow and the diffusion model.

:func:`architecture_figure` draws boxes and arrows with matplotlib alone. Every number on a
diagram (filters, kernels, STFT sizes, channels, loss weights, gains) is read from a configuration,
never typed here: by default the ``config.json`` of the kind's shipped model (the registry's
``shipped`` folder, else the first shipped folder of that kind), else the architecture the kind's
``full`` training profile would build; or a configuration the caller passes.

Chapters: 04_unet_baseline (the U-Net), 05_gan_extension (the GAN), 06_frame_level_model (the
frame-level model and its adversarial fine-tune), 08_music_super_resolution (the spectral model),
09_other_families (the flow and the diffusion model).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path as MplPath

from .errors import AudioError, ConfigError
from .models.card import ModelCard, model_folder, shipped_models
from .models.diffusion import DiffusionConfig
from .models.flow import FlowConfig
from .models.frame import FrameConfig, gains_text
from .models.gan import GANConfig
from .models.registry import DIAGRAMS, get_kind
from .models.spectral import PHASES, SpectralConfig, reconstruct
from .models.unet import UNetConfig

__all__ = ["architecture_figure", "DRAWN_KINDS"]

#: The kinds :func:`architecture_figure` draws: kind → (its network's drawing, whether discriminators train it);
#: the registry's table (:data:`srlib.models.registry.DIAGRAMS`), since only the registry names kinds.
DRAWN_KINDS = DIAGRAMS

#: The ``config.json`` section of a GAN's discriminators and loss weights.
_GAN_KEY = "gan"

#: The architecture dataclasses a caller may pass as ``config`` (each kind's ``config.json`` section).
_ARCH_CLASSES = (UNetConfig, FrameConfig, SpectralConfig, FlowConfig, DiffusionConfig)

_FONT = 7.5  # points
_LINE = 0.15  # inches per text line at _FONT
_COLOURS = {"io": "#eeeeee", "net": "#dbe9f6", "spec": "#fde9d9", "disc": "#e2f0d9", "loss": "#fff2cc"}


def architecture_figure(kind: str, config=None):
    """A block diagram of one model family, with the sizes of ``config``.

    Parameters
    ----------
    kind : str
        A kind of :data:`DRAWN_KINDS`: ``"unet"`` (and ``"tfilm"``, ``"afilm"``), ``"gan"``,
        ``"frame"``, ``"frame-gan"``, ``"spectral"``, ``"flow"`` or ``"diffusion"``.
    config : None, str, path, dict or architecture dataclass
        Where the numbers come from. None: the kind's shipped model (its ``config.json``), or
        the architecture of its ``full`` training profile where none ships. A shipped model's name
        or alias, or a model folder: its ``config.json`` (the model must be of ``kind``). A dict:
        a ``config.json``'s content, or only its architecture (``{"filters": ..., "kernels": ...}``);
        what it leaves out comes from the default. An architecture dataclass
        (:class:`~srlib.models.unet.UNetConfig`, :class:`~srlib.models.frame.FrameConfig`,
        :class:`~srlib.models.spectral.SpectralConfig`, :class:`~srlib.models.flow.FlowConfig`,
        :class:`~srlib.models.diffusion.DiffusionConfig`) or a :class:`~srlib.models.gan.GANConfig`:
        that part replaced in the default.

    Returns
    -------
    matplotlib Figure: one axes, no ticks; each block is a patch with its label in ``ax.texts``.

    Raises
    ------
    ConfigError
        ``kind`` is not drawn, or ``config`` does not fit it.

    Examples
    --------
    >>> fig = architecture_figure("unet")
    >>> any("Conv1D" in t.get_text() for t in fig.axes[0].texts)
    True
    >>> plt.close(fig)
    """
    if kind not in DRAWN_KINDS:
        raise ConfigError(f"kind: got {kind!r}; architecture_figure draws {', '.join(DRAWN_KINDS)}")
    network, adversarial = DRAWN_KINDS[kind]
    model_kind = get_kind(kind)
    cfg, source = _model_config(kind, config)
    try:
        arch = model_kind.arch_from_dict(cfg[model_kind.arch_key])
    except (TypeError, KeyError) as e:
        raise ConfigError(f"config: not a {kind} architecture ({e!r}); expected the fields of config.json's "
                          f"{model_kind.arch_key!r} section") from None
    title = f"{kind}: {model_kind.summary}"
    subtitle = f"numbers from {source}" + (f"; {cfg['n_params']:,} parameters" if cfg.get("n_params") else "")
    if adversarial:
        try:
            gan = GANConfig.from_dict({**GANConfig().to_dict(), **(cfg.get("gan") or {})})
        except TypeError as e:
            raise ConfigError(f"config: gan: {e}") from None
        return _draw_gan(network, arch, gan, cfg, title, subtitle)
    return _DRAWINGS[network](arch, cfg, title, subtitle)


# --- where the numbers come from ---------------------------------------------------------------

def _shipped_config(kind: str) -> tuple[dict, str] | None:
    """The ``config.json`` of the kind's shipped model: the registry's folder, else the first of that kind."""
    folders = shipped_models()
    named = get_kind(kind).shipped
    if named in folders:
        card = ModelCard.read(folders[named])
        return card.config, card.name
    for path in folders.values():
        card = ModelCard.read(path)
        if card.kind == kind:
            return card.config, card.name
    return None


def _default_config(kind: str) -> tuple[dict, str]:
    shipped = _shipped_config(kind)
    if shipped:
        return shipped
    model_kind = get_kind(kind)
    run = model_kind.profile("full")
    arch = model_kind.architecture(run)
    return ({"kind": kind, model_kind.arch_key: arch.to_dict(), "gan": run.gan or {}, "sr_hz": run.sr_hz,
             "ratio": run.ratio, "init": run.init}, f"the '{kind}' kind's full training profile")


def _without(base: dict, *parts: str) -> dict:
    """``base`` less what described its replaced ``parts``: parameter counts, and the model a generator started from."""
    stale = {"n_params", "init"} if set(parts) - {_GAN_KEY} else set()
    stale |= {"n_discriminator_params"} if _GAN_KEY in parts else set()
    return {k: v for k, v in base.items() if k not in stale}


def _model_config(kind: str, config) -> tuple[dict, str]:
    """(a ``config.json``-shaped dict, where its numbers came from)."""
    if config is None:
        return _default_config(kind)
    if isinstance(config, (str, Path)):
        try:
            card = ModelCard.read(model_folder(config))
        except AudioError as e:
            raise ConfigError(f"config: {e}") from None
        if card.kind != kind:
            raise ConfigError(f"config: {card.name} is a {card.kind!r} model; expected a {kind!r} one")
        return card.config, card.name
    base, source = _default_config(kind)
    arch_key = get_kind(kind).arch_key
    if isinstance(config, dict):
        if arch_key in config or _GAN_KEY in config:
            return {**_without(base, arch_key, _GAN_KEY), **config}, "the given configuration"
        return {**_without(base, arch_key), arch_key: config}, "the given architecture"
    if isinstance(config, (*_ARCH_CLASSES, GANConfig)):
        part = _GAN_KEY if isinstance(config, GANConfig) else arch_key
        return ({**_without(base, part), part: config.to_dict()},
                f"the given {type(config).__name__} (the rest from {source})")
    raise ConfigError(f"config: got a {type(config).__name__}; expected None, a model name or folder, a dict, "
                      f"a GANConfig or an architecture ({', '.join(c.__name__ for c in _ARCH_CLASSES)})")


# --- drawing -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Box:
    cx: float
    cy: float
    w: float
    h: float

    @property
    def top(self):
        return (self.cx, self.cy + self.h / 2)

    @property
    def bottom(self):
        return (self.cx, self.cy - self.h / 2)

    @property
    def left(self):
        return (self.cx - self.w / 2, self.cy)

    @property
    def right(self):
        return (self.cx + self.w / 2, self.cy)


class _Canvas:
    """A figure whose data coordinates are inches, origin at the bottom left."""

    def __init__(self, width_in: float, height_in: float, title: str, subtitle: str):
        self.fig = plt.figure(figsize=(width_in, height_in))
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, width_in)
        self.ax.set_ylim(0, height_in)
        self.ax.axis("off")
        self.width, self.height = width_in, height_in
        self.ax.text(width_in / 2, height_in - 0.2, title, ha="center", va="center", fontsize=_FONT + 2,
                     weight="bold")
        self.ax.text(width_in / 2, height_in - 0.42, subtitle, ha="center", va="center", fontsize=_FONT,
                     style="italic", color="#444444")

    def box(self, cx: float, cy: float, w: float, text: str, role: str = "net", h: float | None = None) -> _Box:
        h = h or 0.16 + _LINE * (text.count("\n") + 1)
        self.ax.add_patch(FancyBboxPatch((cx - w / 2, cy - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.06",
                                         facecolor=_COLOURS[role], edgecolor="#555555", linewidth=0.8))
        self.ax.text(cx, cy, text, ha="center", va="center", fontsize=_FONT, linespacing=1.25)
        return _Box(cx, cy, w, h)

    def arrow(self, start, end, label: str | None = None, dashed: bool = False, label_offset=(0.0, 0.09)):
        self.path([start, end], label, (label_offset[0] + (start[0] + end[0]) / 2,
                                        label_offset[1] + (start[1] + end[1]) / 2), dashed)

    def path(self, points, label: str | None = None, label_at=None, dashed: bool = False, ha: str = "center"):
        codes = [MplPath.MOVETO] + [MplPath.LINETO] * (len(points) - 1)
        self.ax.add_patch(FancyArrowPatch(path=MplPath(points, codes), arrowstyle="-|>", mutation_scale=9,
                                          linewidth=0.9, color="#333333", linestyle="--" if dashed else "-"))
        if label:
            self.ax.text(*label_at, label, ha=ha, va="center", fontsize=_FONT - 0.5, color="#333333",
                         bbox=dict(facecolor="white", edgecolor="none", pad=0.5))


def _rates_line(cfg: dict) -> str:
    if "sr_hz" not in cfg:
        return "n samples"
    sr_hz, ratio = cfg["sr_hz"], cfg.get("ratio")
    return f"n samples at {sr_hz:g} Hz" + (f" (×{ratio} from {sr_hz / ratio:g} Hz)" if ratio else "")


def _film_line(arch: UNetConfig) -> str:
    return f"\nFiLM ({arch.film}) over blocks of {arch.film_block} input samples" if arch.film else ""


def _draw_unet(arch: UNetConfig, cfg: dict, title: str, subtitle: str):
    """The U: down blocks on the left, the bottleneck at the bottom, up blocks on the right, skips across."""
    depth, dropout = arch.depth, arch.dropout
    row, width = 0.95 + (0.15 if arch.film else 0.0), 9.0
    c = _Canvas(width, 1.4 + row * (depth + 1), title, subtitle)
    left, right, bw = 1.75, width - 1.75, 3.3
    y = [c.height - 0.95 - row * i for i in range(depth + 2)]  # row 0: input and output; the last: bottleneck
    inp = c.box(left, y[0], bw, f"x: the spline-interpolated input\n{_rates_line(cfg)}, 1 channel", "io")
    out = c.box(right, y[0], bw, "out: Conv1D to 2 channels (starts at zero),\nsubpixel ×2 → n steps × 1 channel;"
                                 "\nŷ = x + f(x)", "io")
    downs, ups = [], [None] * depth
    prev = inp
    for i, (f, k) in enumerate(zip(arch.filters, arch.kernels)):
        box = c.box(left, y[i + 1], bw, f"down {i}: Conv1D {f} filters, kernel {k}, stride 2\n"
                                         f"LeakyReLU → n/{2 ** (i + 1)} steps × {f} channels" + _film_line(arch))
        c.arrow(prev.bottom, box.top)
        downs.append(box)
        prev = box
    bottom = c.box(width / 2, y[-1], bw, f"bottleneck: Conv1D {arch.filters[-1]} filters, kernel {arch.kernels[-1]},"
                                         f" stride 2\ndropout {dropout:g}, LeakyReLU → n/{2 ** (depth + 1)} steps")
    c.path([downs[-1].bottom, (left, bottom.cy), bottom.left])
    prev = bottom
    for i in reversed(range(depth)):
        f, k = arch.filters[i], arch.kernels[i]
        ups[i] = c.box(right, y[i + 1], bw, f"up {i}: Conv1D {2 * f} filters, kernel {k}, dropout {dropout:g},\n"
                                            f"ReLU, subpixel ×2 → n/{2 ** (i + 1)} steps × {f} channels"
                                            + _film_line(arch) + f";\nconcatenated with down {i} → {2 * f} channels")
        if prev is bottom:
            c.path([bottom.right, (right, bottom.cy), ups[i].bottom])
        else:
            c.arrow(prev.top, ups[i].bottom)
        c.arrow(downs[i].right, ups[i].left, "skip (concatenate)", dashed=True)
        prev = ups[i]
    c.arrow(ups[0].top, out.bottom)
    c.arrow(inp.right, out.left, "residual: + x", dashed=True)
    return c.fig


def _generator_text(network: str, arch, cfg: dict) -> str:
    if network == "u-net":
        text = (f"generator G: the U-Net (its own diagram)\nfilters {'-'.join(map(str, arch.filters))}, "
                f"kernels {'-'.join(map(str, arch.kernels))}")
    else:
        text = (f"generator G: the frame-level model (its own diagram)\n{arch.blocks} ConvNeXt blocks × "
                f"{arch.channels} channels, STFT {arch.n_fft} / hop {arch.hop}")
    return text + (f"\nstarts from {cfg['init']}" if cfg.get("init") else "")


def _discriminators(gan: GANConfig) -> list:
    """(group title, [box text, ...]) per family of sub-discriminators, as :func:`build_discriminators` makes them."""
    groups = []
    if gan.stft_sizes:
        groups.append(("multi-resolution STFT", [
            f"STFT D: n_fft {n}, hop {h}\nlog-magnitude, frames × {n // 2 + 1} bins\n"
            f"Conv2D from {gan.stft_channels} channels, strided\nalong frequency → logits per patch"
            for n, h in gan.stft_sizes]))
    if gan.wave_scales:
        groups.append(("multi-scale waveform", [
            ("waveform D: full rate" if i == 0 else f"waveform D: average-pooled by {2 ** i}")
            + f"\nstrided Conv1D from {gan.wave_channels} channels\n→ logits along time"
            for i in range(gan.wave_scales)]))
    if gan.periods:
        groups.append(("multi-period", [
            f"period D: p = {p}\nfolded into rows of {p} samples\nConv2D from {gan.period_channels} channels"
            " down the rows" for p in gan.periods]))
    if not groups:
        raise ConfigError("gan: no discriminator (stft_sizes and periods are empty and wave_scales is 0)")
    return groups


def _loss_text(gan: GANConfig, cfg: dict) -> str:
    terms = [f"{w:g} {name}" for w, name in ((gan.mse_weight, "MSE"), (gan.stft_weight, "STFT"),
                                             (gan.adv_weight, "adversarial"), (gan.fm_weight, "feature matching"))
             if w]
    if cfg.get("reconstruction"):
        terms.insert(0, str(cfg["reconstruction"]))
    return ("least squares, per sub-discriminator D_k:  L_D = Σ_k mean((D_k(y) − 1)²) + mean(D_k(G(x))²)\n"
            "generator:  L_G = " + " + ".join(terms))


def _draw_gan(network: str, arch, gan: GANConfig, cfg: dict, title: str, subtitle: str):
    """The generator on top, then one column of sub-discriminators per family, then the losses."""
    groups = _discriminators(gan)
    n_rows = max(len(boxes) for _, boxes in groups)
    width, d_row = 9.0, 0.82
    height = 0.6 + 0.9 + 0.8 + 0.35 + d_row * n_rows + 0.95
    if cfg.get("n_discriminator_params"):
        subtitle += f"; discriminators {cfg['n_discriminator_params']:,} parameters"
    c = _Canvas(width, height, title, subtitle)
    top = c.height - 0.95
    x_in = c.box(1.1, top, 1.8, "x: the interpolated\nlow-rate input", "io")
    gen = c.box(width / 2, top, 4.2, _generator_text(network, arch, cfg), "net")
    y_hat = c.box(width - 1.1, top, 1.8, "G(x): generated\nhigh-rate audio", "io")
    c.arrow(x_in.right, gen.left)
    c.arrow(gen.right, y_hat.left)
    judged = c.box(width / 2, top - 0.85, 4.2, "each discriminator sees real audio y or generated G(x)", "io")
    c.path([y_hat.bottom, (y_hat.cx, judged.cy), judged.right])
    real = c.box(1.1, judged.cy, 1.8, "y: real high-rate\naudio", "io")
    c.arrow(real.right, judged.left)
    col_w = width / len(groups)
    header_y = judged.cy - 0.55
    losses = c.box(width / 2, 0.5, width - 0.6, _loss_text(gan, cfg), "loss")
    for j, (name, texts) in enumerate(groups):
        cx = col_w * (j + 0.5)
        c.ax.text(cx, header_y, f"{name} ({len(texts)})", ha="center", va="center", fontsize=_FONT, weight="bold")
        c.path([judged.bottom, (judged.cx, header_y + 0.2), (cx, header_y + 0.2), (cx, header_y + 0.12)])
        prev = None
        for i, text in enumerate(texts):
            box = c.box(cx, header_y - 0.5 - d_row * i, min(2.8, col_w - 0.2), text, "disc", h=d_row - 0.14)
            if prev is not None:
                c.ax.plot([cx, cx], [prev.bottom[1], box.top[1]], color="#bbbbbb", linewidth=0.6)
            prev = box
        c.arrow(prev.bottom, (cx, losses.top[1]))
    return c.fig


def _frame_texts(arch: FrameConfig) -> dict:
    """The label of each block of the frame model's chain."""
    nb, sr_hz = arch.n_fft // 2 + 1, arch.sr_hz

    def bin_hz(k):
        return f"{k} ({k * sr_hz / arch.n_fft:g} Hz)"

    if arch.versatile:
        low, high = arch.input_rates_hz
        rates = (f"input rates {low:g} to {high:g} Hz; the network is also told each input's cutoff bin c,\n"
                 f"from {bin_hz(arch.cutoff_bin_for(low))} to {bin_hz(arch.cutoff_bin_for(high))}")
        phase_bins = f"the bins below each input's c (and c / {nb})"
    else:
        rates = f"input rate {sr_hz / arch.ratio:g} Hz: cutoff bin c = {bin_hz(arch.cutoff_bin)}"
        phase_bins = f"the {arch.cutoff_bin} bins below c"
    gains = ""
    if arch.calibrated and arch.band_gains:
        gains = "\n× gains by input rate:\n" + "\n".join(f"from {r:g} Hz: {gains_text(*g)}"
                                                         for r, *g in arch.band_gains)
    elif arch.calibrated:
        gains = f"\n× band gain {gains_text(arch.band_gain, arch.edge_gain, arch.upper_gain, arch.image_gain)}"
    return {
        "input": f"x: the interpolated low-rate input, n samples at {sr_hz:g} Hz\n{rates}",
        "stft": f"STFT: Hann window {arch.n_fft}, hop {arch.hop} → X(t, k)\n"
                f"{nb} bins, {sr_hz / arch.hop:.4g} frames per second",
        "features": f"features per frame, relative to its level a_t (mean |X| below c):\n"
                    f"log(|X| + {arch.floor:g} a_t) − log a_t for all {nb} bins;\n"
                    f"X / (|X| + {arch.floor:g} a_t) for {phase_bins}",
        "proj": f"Dense → {arch.channels} channels per frame",
        "blocks": f"{arch.blocks} ConvNeXt blocks over frames: depthwise convolution of {arch.kernel} frames,\n"
                  "LayerNorm, pointwise MLP (GELU), residual",
        "heads": f"LayerNorm → three linear heads of {nb} bins each:\nlog-magnitude m, phase parts r and i",
        "magnitude": "magnitude: exp(log a_t + m)" + gains,
        "phase": "phase: the angle of X mirrored\nabout bin c, + atan2(i, r)",
        "crossover": f"crossover, per bin: Y = (1 − w) X + w Ŷ\nw = 0 below bin c − {arch.transition_bins}, "
                     f"a ramp over {arch.transition_bins} bins, 1 from bin c up",
        "output": f"inverse STFT → ŷ: n samples at {sr_hz:g} Hz",
    }


def _lines(text: str) -> int:
    return text.count("\n") + 1


def _draw_frame(arch: FrameConfig, cfg: dict, title: str, subtitle: str):
    """The chain of :class:`srlib.models.frame_layers.FrameBandwidthExtension`, top to bottom."""
    texts = _frame_texts(arch)
    width, main_w, gap = 9.0, 5.8, 0.3
    half = (main_w - 0.2) / 2
    pair_lines = max(_lines(texts["magnitude"]), _lines(texts["phase"]))
    chain = ("input", "stft", "features", "proj", "blocks", "heads", "pair", "crossover", "output")
    heights = {k: 0.16 + _LINE * (pair_lines if k == "pair" else _lines(texts[k])) for k in chain}
    c = _Canvas(width, 0.75 + sum(heights.values()) + gap * len(chain), title, subtitle)
    cx, y, boxes = width / 2, c.height - 0.7, {}
    for key in chain:
        y -= heights[key] / 2
        if key == "pair":
            roles = {"magnitude": ("net", cx - half / 2 - 0.1), "phase": ("net", cx + half / 2 + 0.1)}
            for part, (role, x) in roles.items():
                boxes[part] = c.box(x, y, half, texts[part], role, h=heights[key])
                c.arrow(boxes["heads"].bottom, boxes[part].top)
        else:
            role = "io" if key in ("input", "output") else "spec" if key in ("stft", "features", "crossover") else "net"
            boxes[key] = c.box(cx, y, main_w, texts[key], role)
            if key == "crossover":
                for part in ("magnitude", "phase"):
                    c.arrow(boxes[part].bottom, (boxes[part].cx, boxes[key].top[1]))
            elif key != "input":
                c.arrow(previous.bottom, boxes[key].top)
            previous = boxes[key]
        y -= heights[key] / 2 + gap
    stft, cross, phase = boxes["stft"], boxes["crossover"], boxes["phase"]
    side_l, side_r = cx - main_w / 2 - 0.5, cx + main_w / 2 + 0.5
    c.path([stft.left, (side_l, stft.cy), (side_l, cross.cy), cross.left], "X: the recorded\nband, kept\nexactly",
           (side_l, (stft.cy + cross.cy) / 2))
    c.path([stft.right, (side_r, stft.cy), (side_r, phase.cy), phase.right], "angle\nof X",
           (side_r, (stft.cy + phase.cy) / 2))
    return c.fig


def _height(text: str) -> float:
    """The height in inches of a box that holds ``text`` (as :meth:`_Canvas.box` sizes it)."""
    return 0.16 + _LINE * _lines(text)


def _cutoff_hz(arch) -> float:
    """The low rate's Nyquist frequency: the input's cutoff."""
    return arch.sr_hz / (2 * arch.ratio)


def _input_text(arch) -> str:
    return (f"x: the spline-interpolated input, n samples at {arch.sr_hz:g} Hz\n"
            f"(×{arch.ratio} from {arch.sr_hz / arch.ratio:g} Hz: nothing above {_cutoff_hz(arch):g} Hz)")


def _spectral_texts(arch: SpectralConfig) -> dict:
    """The labels of the spectral model's chain, and its 2-D U-Net's levels (``"level"`` and ``"up"``: lists)."""
    f, c, nb = arch.filters, arch.cutoff_bin, arch.n_bins
    default_phase = inspect.signature(reconstruct).parameters["phase"].default
    phase_lines = {"input": "input: X_in's own (interpolation leakage)",
                   "mirror": "mirror: X_in's low band reflected about bin c",
                   "griffin_lim": "griffin_lim: from mirror, iterated until\nthe spectrogram is consistent"}
    return {
        "input": _input_text(arch),
        "stft": f"STFT: Hann window {arch.n_fft}, hop {arch.hop} → X_in(t, k), {arch.n_fft // 2 + 1} bins;\n"
                f"the network sees the first {nb} (the Nyquist bin is copied)",
        "features": f"log |X_in|: frames × {nb} bins × 1 channel",
        "level": [f"level {i}: Conv2D {n} filters 3×3, LeakyReLU\n→ frames × {nb // 2 ** i} bins × {n} channels"
                  + (f"\nthen Conv2D {f[i + 1]} filters 3×3,\nstride 2 in bins" if i + 1 < len(f) else "")
                  for i, n in enumerate(f)],
        "up": [f"up {i}: upsampled ×2 in bins,\nConv2D {n} filters 3×3, LeakyReLU;\nconcatenated with level {i}\n"
               f"→ frames × {nb // 2 ** i} bins × {2 * n} channels" for i, n in enumerate(f[:-1])],
        "out": "Conv2D to 1 channel 3×3 (starts at zero):\nlog |X̂| = log |X_in| + f(log |X_in|)",
        "magnitude": f"magnitude: |X̂| from bin c up\nc = {c} ({c * arch.sr_hz / arch.n_fft:g} Hz), the low rate's "
                     f"Nyquist;\nbelow c, |X_in|",
        "phase": "phase φ above bin c, one of PHASES:\n"
                 + "\n".join(phase_lines.get(p, p) + (" (default)" if p == default_phase else "") for p in PHASES),
        "combine": "Y = |X̂| · exp(iφ) from bin c up; Y = X_in below bin c",
        "output": f"inverse STFT → ŷ: n samples at {arch.sr_hz:g} Hz",
        "loss": f"trained on magnitudes alone: mean |log |X| − log |X̂|| over bins {c} to {nb - 1};\n"
                "the phase is chosen after training, when the model plays",
    }


def _draw_spectral(arch: SpectralConfig, cfg: dict, title: str, subtitle: str):
    """The spectral model (:mod:`srlib.models.spectral`): the STFT, the 2-D U-Net on its side, the phase, the inverse STFT."""
    texts = _spectral_texts(arch)
    n_levels, gap = len(arch.filters), 0.3
    width = max(9.0, 2.7 * n_levels + 1.0)
    col_w = (width - 1.0) / n_levels  # the sides keep 0.5 in for the paths around the network
    cols = [0.5 + col_w * (i + 0.5) for i in range(n_levels)]
    main_w, cx = 5.8, width / 2
    level_h = max(_height(t) for t in texts["level"])
    up_h = max((_height(t) for t in texts["up"]), default=0.0)
    pair_h = max(_height(texts["magnitude"]), _height(texts["phase"]))
    chain = [("input", _height(texts["input"])), ("stft", _height(texts["stft"])),
             ("features", _height(texts["features"])), ("level", level_h), ("up", up_h), ("out", _height(texts["out"])),
             ("pair", pair_h), ("combine", _height(texts["combine"])), ("output", _height(texts["output"])),
             ("loss", _height(texts["loss"]))]
    c = _Canvas(width, 0.75 + sum(h for _, h in chain) + gap * len(chain), title, subtitle)
    after = {"stft": "input", "features": "stft", "output": "combine"}  # the straight arrows: block ← the one above
    y, boxes = c.height - 0.7, {}
    for key, h in chain:
        y -= h / 2
        if key == "level":
            for i, text in enumerate(texts["level"]):
                boxes[f"level{i}"] = c.box(cols[i], y, col_w - 0.2, text, "net", h=h)
                if i:
                    c.arrow(boxes[f"level{i - 1}"].right, boxes[f"level{i}"].left)
            c.path([boxes["features"].bottom, (cx, y + h / 2 + gap / 2), (cols[0], y + h / 2 + gap / 2),
                    boxes["level0"].top])
        elif key == "up":
            for i, text in enumerate(texts["up"]):
                boxes[f"up{i}"] = c.box(cols[i], y, col_w - 0.2, text, "net", h=h)
                c.arrow(boxes[f"level{i}"].bottom, boxes[f"up{i}"].top, "skip", dashed=True, label_offset=(0.0, 0.0))
            deepest = boxes[f"level{n_levels - 1}"]
            if n_levels > 1:
                c.path([deepest.bottom, (deepest.cx, y), boxes[f"up{n_levels - 2}"].right])
                for i in range(n_levels - 2, 0, -1):
                    c.arrow(boxes[f"up{i}"].left, boxes[f"up{i - 1}"].right)
        elif key == "pair":
            half = (main_w - 0.2) / 2
            boxes["magnitude"] = c.box(cx - half / 2 - 0.1, y, half, texts["magnitude"], "spec", h=h)
            boxes["phase"] = c.box(cx + half / 2 + 0.1, y, half, texts["phase"], "spec", h=h)
            c.arrow((boxes["magnitude"].cx, boxes["out"].bottom[1]), boxes["magnitude"].top)
        else:
            role = {"input": "io", "output": "io", "out": "net", "loss": "loss"}.get(key, "spec")
            boxes[key] = c.box(cx, y, main_w, texts[key], role, h=h)
            if key == "out":
                last = boxes["up0"] if n_levels > 1 else boxes["level0"]
                c.path([last.bottom, (last.cx, y + h / 2 + gap / 2), (cx, y + h / 2 + gap / 2), boxes[key].top])
            elif key == "combine":
                for part in ("magnitude", "phase"):
                    c.arrow(boxes[part].bottom, (boxes[part].cx, boxes[key].top[1]))
            elif key in after:
                c.arrow(boxes[after[key]].bottom, boxes[key].top)
        y -= h / 2 + gap
    stft, combine, phase, out = boxes["stft"], boxes["combine"], boxes["phase"], boxes["out"]
    side_l, side_r = 0.25, width - 0.25
    c.path([stft.left, (side_l, stft.cy), (side_l, combine.cy), combine.left],
           "X_in: the\nrecorded\nband, kept\nexactly", (side_l + 0.05, (out.cy + combine.cy) / 2), ha="left")
    c.path([stft.right, (side_r, stft.cy), (side_r, phase.cy), phase.right], "angle\nof X_in",
           (side_r - 0.05, (out.cy + phase.cy) / 2), ha="right")
    return c.fig


def _dilations(dilations) -> str:
    return "-".join(map(str, dilations))


def _crossover_text(arch, sampled: str) -> str:
    """The last block of the generative kinds: the sampled residual's high band added to the input."""
    if not arch.crossover_taps:
        return f"no crossover: ŷ = x + {sampled}, all bands: n samples at {arch.sr_hz:g} Hz"
    return (f"crossover: a linear-phase high-pass of {arch.crossover_taps} taps keeps {sampled} above "
            f"{_cutoff_hz(arch):g} Hz\nŷ = x + high-pass({sampled}): n samples at {arch.sr_hz:g} Hz")


def _flow_texts(arch: FlowConfig) -> dict:
    g, half = arch.group, arch.group // 2
    return {
        "input": _input_text(arch),
        "residual": "r = y − x: the residual to model\n(training only: y is the high-rate target)",
        "condition": f"condition: x squeezed to n/{g} steps × {g} channels,\n"
                     f"Conv1D to {arch.channels} channels, kernel 3, tanh",
        "squeeze": f"squeeze: r → z, n/{g} steps × {g} channels",
        "mix": f"invertible 1×1 convolution: z ← z W\nW: {g} × {g}, orthogonal at the start;\n"
               f"log |det J| += (n/{g}) log |det W|",
        "coupling": f"affine coupling: a = channels 1 to {half} pass;\nb = channels {half + 1} to {g}: "
                    "b ← b · exp(s) + t;\nlog |det J| += Σ s",
        "network": f"s, t = NN(a, condition):\nConv1D to {arch.channels} channels,\n{arch.layers} dilated Conv1D "
                   f"(kernel 3, dilations {_dilations(2 ** i for i in range(arch.layers))}),\n"
                   f"tanh, each added to its input;\nConv1D to {g} (starts at zero): tanh(s), t",
        "z": f"z: n/{g} steps × {g} channels\nloss per sample: (½ |z|² − log |det J|) / n",
        "sample": f"sampling: z ~ N(0, T² I) at temperature T = {arch.temperature:g}, a fixed table of "
                  f"{arch.period} samples repeated;\n"
                  "the steps run backwards (b = (b′ − t) · exp(−s), z ← z W⁻¹), unsqueezed → r̂",
        "output": _crossover_text(arch, "r̂"),
    }


def _section(c: _Canvas, x: float, y: float, text: str):
    c.ax.text(x, y, text, ha="left", va="center", fontsize=_FONT, weight="bold")


def _draw_flow(arch: FlowConfig, cfg: dict, title: str, subtitle: str):
    """:func:`srlib.models.flow.build_flow`: training maps the residual to z; sampling runs the steps backwards."""
    t = _flow_texts(arch)
    width, gap, col_w, header = 9.0, 0.3, 3.85, 0.25
    left, right = 0.35 + col_w / 2, width - 0.35 - col_w / 2
    rows = [max(_height(t["input"]), _height(t["residual"])), max(_height(t["condition"]), _height(t["squeeze"])),
            _height(t["mix"]), max(_height(t["coupling"]), _height(t["network"])), _height(t["z"]),
            _height(t["sample"]), _height(t["output"])]
    c = _Canvas(width, 1.2 + header + sum(rows) + gap * (len(rows) - 1), title, subtitle)
    ys, y = [], c.height - 0.95
    for i, h in enumerate(rows):
        y -= header if i == 5 else 0.0  # room for the sampling's heading
        ys.append(y - h / 2)
        y -= h + gap
    _section(c, 0.2, c.height - 0.68, "training: r → z, maximum likelihood")
    x = c.box(left, ys[0], col_w, t["input"], "io", h=rows[0])
    r = c.box(right, ys[0], col_w, t["residual"], "io", h=rows[0])
    cond = c.box(left, ys[1], col_w, t["condition"], "net", h=rows[1])
    squeeze = c.box(right, ys[1], col_w, t["squeeze"], "spec", h=rows[1])
    mix = c.box(right, ys[2], col_w, t["mix"], "net")
    coupling = c.box(right, ys[3], col_w, t["coupling"], "net", h=rows[3])
    network = c.box(left, ys[3], col_w, t["network"], "net", h=rows[3])
    z = c.box(right, ys[4], col_w, t["z"], "loss")
    c.arrow(x.right, r.left, "− x")
    c.arrow(x.bottom, cond.top)
    c.arrow(r.bottom, squeeze.top)
    c.arrow(squeeze.bottom, mix.top)
    c.arrow(mix.bottom, coupling.top)
    c.arrow(cond.bottom, network.top)
    c.arrow((coupling.left[0], coupling.cy + 0.15), (network.right[0], network.cy + 0.15), "a")
    c.arrow((network.right[0], network.cy - 0.15), (coupling.left[0], coupling.cy - 0.15), "s, t")
    c.arrow(coupling.bottom, z.top)
    loop_x = width - 0.15
    c.path([coupling.right, (loop_x, coupling.cy), (loop_x, mix.cy), mix.right], f"× {arch.flows} steps",
           (loop_x - 0.05, (coupling.cy + mix.cy) / 2), ha="right")
    sample_top = ys[5] + rows[5] / 2
    _section(c, 0.2, sample_top + 0.2, "sampling: z → r̂, the same steps inverted")
    sample = c.box(width / 2, ys[5], width - 0.7, t["sample"], "spec")
    out = c.box(width / 2, ys[6], width - 0.7, t["output"], "io")
    lane = network.right[0] - 0.6  # clear of the sampling's heading
    c.arrow((lane, network.bottom[1]), (lane, sample.top[1]), "condition, s and t", dashed=True)
    c.arrow(sample.bottom, out.top)
    return c.fig


def _diffusion_texts(arch: DiffusionConfig) -> dict:
    ch, n = arch.channels, arch.layers
    return {
        "input": _input_text(arch),
        "residual": "r = y − x: the residual to model\n(training only: y is the high-rate target)",
        "forward": "forward process: noise level t ~ U(0, 1), cosine schedule ᾱ(t);\n"
                   "r_t = √ᾱ r + σ ε,  σ = √(1 − ᾱ),  ε ~ N(0, I)",
        "condition": f"condition x: in every layer,\na Conv1D of kernel 1 to {2 * ch} channels",
        "sigma": f"noise level σ: sines and cosines,\nDense {4 * ch}, Dense {ch} (SiLU);\n"
                 f"in every layer, a Dense to {ch}",
        "in": f"r_t: Conv1D of kernel 1\nto {ch} channels, ReLU",
        "layers": f"{n} residual layers, dilations {_dilations(2 ** (i % arch.cycle) for i in range(n))} "
                  f"(a cycle of {arch.cycle}):\nh + σ's Dense → dilated Conv1D of kernel 3 to {2 * ch} channels, "
                  f"+ the condition's → tanh ⊙ sigmoid\n→ Conv1D of kernel 1 to {2 * ch}: {ch} back into h "
                  f"(h + ·) / √2, {ch} to the skips",
        "head": f"the skips summed / √{n}, ReLU, Conv1D of kernel 1 to {ch}, ReLU,\n"
                "Conv1D of kernel 1 to 1 channel (starts at zero) → ε̂ = ε_θ(r_t, x, σ)",
        "loss": "training: mean (ε̂ − ε)²",
        "sample": f"sampling: {arch.steps} DDIM steps from t = 1 to 0,\nr_1 a fixed noise table of {arch.period} "
                  "samples repeated;\nr̂_0 = (r_t − σ ε̂) / √ᾱ,  r_t′ = √ᾱ′ r̂_0 + σ′ ε̂",
        "output": _crossover_text(arch, "r̂_0"),
    }


def _draw_diffusion(arch: DiffusionConfig, cfg: dict, title: str, subtitle: str):
    """:func:`srlib.models.diffusion.build_diffusion_net` between the noise it learns to remove and the DDIM sampler."""
    t = _diffusion_texts(arch)
    width, gap, col_w = 9.0, 0.3, 3.85
    left, right = 0.35 + col_w / 2, width - 0.35 - col_w / 2
    third = (width - 0.9) / 3
    thirds = [0.45 + third * (i + 0.5) for i in range(3)]
    rows = [max(_height(t["input"]), _height(t["residual"])), _height(t["forward"]),
            max(_height(t[k]) for k in ("condition", "sigma", "in")), _height(t["layers"]), _height(t["head"]),
            max(_height(t["loss"]), _height(t["sample"])), _height(t["output"])]
    c = _Canvas(width, 1.0 + sum(rows) + gap * (len(rows) - 1), title, subtitle)
    ys, y = [], c.height - 0.7
    for h in rows:
        ys.append(y - h / 2)
        y -= h + gap
    x = c.box(left, ys[0], col_w, t["input"], "io", h=rows[0])
    r = c.box(right, ys[0], col_w, t["residual"], "io", h=rows[0])
    forward = c.box(right, ys[1], col_w + 0.6, t["forward"], "spec")
    cond = c.box(thirds[0], ys[2], third - 0.2, t["condition"], "net", h=rows[2])
    sigma = c.box(thirds[1], ys[2], third - 0.2, t["sigma"], "net", h=rows[2])
    inp = c.box(thirds[2], ys[2], third - 0.2, t["in"], "net", h=rows[2])
    layers = c.box(width / 2, ys[3], width - 0.7, t["layers"], "net")
    head = c.box(width / 2, ys[4], width - 0.7, t["head"], "net")
    loss = c.box(left, ys[5], col_w, t["loss"], "loss", h=rows[5])
    sample = c.box(right, ys[5], col_w, t["sample"], "spec", h=rows[5])
    out = c.box(width / 2, ys[6], width - 0.7, t["output"], "io")
    c.arrow(x.right, r.left, "− x")
    c.arrow(r.bottom, (r.cx, forward.top[1]))
    c.path([x.bottom, (x.cx, (forward.bottom[1] + cond.top[1]) / 2), (cond.cx, (forward.bottom[1] + cond.top[1]) / 2),
            cond.top])
    c.arrow((inp.cx, forward.bottom[1]), inp.top, "r_t")
    c.arrow((sigma.cx, forward.bottom[1]), sigma.top, "σ")
    for box in (cond, sigma, inp):
        c.arrow(box.bottom, (box.cx, layers.top[1]))
    c.arrow(layers.bottom, head.top)
    c.arrow((loss.cx, head.bottom[1]), loss.top, "ε̂")
    c.arrow((sample.cx, head.bottom[1]), sample.top, "ε̂")
    c.path([forward.left, (loss.left[0] - 0.2, forward.cy), (loss.left[0] - 0.2, loss.cy), loss.left], "ε",
           (loss.left[0] - 0.2, (forward.cy + cond.top[1]) / 2))
    loop_x = width - 0.15
    c.path([sample.right, (loop_x, sample.cy), (loop_x, inp.cy), inp.right], f"× {arch.steps} steps: r_t′",
           (loop_x - 0.05, (head.bottom[1] + sample.top[1]) / 2), dashed=True, ha="right")
    c.arrow(sample.bottom, (sample.cx, out.top[1]))
    return c.fig


#: The network drawings of :data:`DRAWN_KINDS` → what draws each: (arch, cfg, title, subtitle) → Figure.
_DRAWINGS = {"u-net": _draw_unet, "frames": _draw_frame, "spectrogram": _draw_spectral, "glow": _draw_flow,
             "denoising": _draw_diffusion}
