"""Block diagrams of the model families, drawn from their configurations: the U-Net, the GAN, the frame model.

:func:`architecture_figure` draws boxes and arrows with matplotlib alone. Every number on a
diagram (filters, kernels, STFT sizes, channels, loss weights, gains) is read from a configuration,
never typed here: by default the ``config.json`` of the kind's shipped model (the registry's
``shipped`` folder, else the first shipped folder of that kind), else the architecture the kind's
``full`` training profile would build; or a configuration the caller passes.

Chapters: 04_unet_baseline (the U-Net), 05_gan_extension (the GAN), 06_frame_level_model (the
frame-level model and its adversarial fine-tune).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path as MplPath

from .errors import AudioError, ConfigError
from .models.card import ModelCard, model_folder, shipped_models
from .models.frame import FrameConfig, gains_text
from .models.gan import GANConfig
from .models.registry import DIAGRAMS, get_kind
from .models.unet import UNetConfig

__all__ = ["architecture_figure", "DRAWN_KINDS"]

#: The kinds :func:`architecture_figure` draws: kind → (its network's drawing, whether discriminators train it);
#: the registry's table (:data:`srlib.models.registry.DIAGRAMS`), since only the registry names kinds.
DRAWN_KINDS = DIAGRAMS

#: The ``config.json`` section of a GAN's discriminators and loss weights.
_GAN_KEY = "gan"

_FONT = 7.5  # points
_LINE = 0.15  # inches per text line at _FONT
_COLOURS = {"io": "#eeeeee", "net": "#dbe9f6", "spec": "#fde9d9", "disc": "#e2f0d9", "loss": "#fff2cc"}


def architecture_figure(kind: str, config=None):
    """A block diagram of one model family, with the sizes of ``config``.

    Parameters
    ----------
    kind : str
        A kind of :data:`DRAWN_KINDS`: ``"unet"`` (and ``"tfilm"``, ``"afilm"``), ``"gan"``,
        ``"frame"`` or ``"frame-gan"``.
    config : None, str, path, dict or architecture dataclass
        Where the numbers come from. None: the kind's shipped model (its ``config.json``), or
        the architecture of its ``full`` training profile where none ships. A shipped model's name
        or alias, or a model folder: its ``config.json`` (the model must be of ``kind``). A dict:
        a ``config.json``'s content, or only its architecture (``{"filters": ..., "kernels": ...}``);
        what it leaves out comes from the default. A :class:`~srlib.models.unet.UNetConfig`,
        :class:`~srlib.models.frame.FrameConfig` or :class:`~srlib.models.gan.GANConfig`: that part
        replaced in the default.

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
    if network == "u-net":
        return _draw_unet(arch, cfg, title, subtitle)
    return _draw_frame(arch, title, subtitle)


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
    if isinstance(config, (UNetConfig, FrameConfig, GANConfig)):
        part = _GAN_KEY if isinstance(config, GANConfig) else arch_key
        return ({**_without(base, part), part: config.to_dict()},
                f"the given {type(config).__name__} (the rest from {source})")
    raise ConfigError(f"config: got a {type(config).__name__}; expected None, a model name or folder, a dict, "
                      "or a UNetConfig, FrameConfig or GANConfig")


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
        gains = "\n× gains by input rate:\n" + "\n".join(f"from {r:g} Hz: {gains_text(g, e)}"
                                                         for r, g, e in arch.band_gains)
    elif arch.calibrated:
        gains = f"\n× band gain {gains_text(arch.band_gain, arch.edge_gain)}"
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


def _draw_frame(arch: FrameConfig, title: str, subtitle: str):
    """The chain of :class:`srlib.models.layers.FrameBandwidthExtension`, top to bottom."""
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
